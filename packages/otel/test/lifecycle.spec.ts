import diagnostics from 'node:diagnostics_channel';
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { createUpstream, isInvalidOptionError, STEADY_CHANNELS, type Upstream } from '@steady/core';
import { startFaultServer, type FaultServer } from '@steady/fault-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { instrumentSteady, type SteadyInstrumentation } from '../src/index.ts';
import { countOf, createTelemetry, pointsOf, sumOf, useContextManager } from './telemetry.ts';

let server: FaultServer;
const upstreams: Upstream[] = [];
const instrumentations: SteadyInstrumentation[] = [];
const upstream = (name: string, options: object = {}) => {
  const u = createUpstream({ name, origin: server.url, ...options });
  upstreams.push(u);
  return u;
};
const instrument = (options: Parameters<typeof instrumentSteady>[0]) => {
  const otel = instrumentSteady(options);
  instrumentations.push(otel);
  return otel;
};
const call = async (u: Upstream, path = '/ok') => (await u.request(path)).body.dump();

beforeEach(async () => {
  server = await startFaultServer({ routes: { '/fail': { status: 503 } } });
});
afterEach(async () => {
  for (const otel of instrumentations.splice(0)) otel.shutdown();
  for (const u of upstreams.splice(0)) await u.destroy();
  await server.close();
});

describe('instrumentSteady()', () => {
  it('sees upstreams created before and after it was called', async () => {
    const telemetry = createTelemetry();
    const early = upstream('early');
    instrument({ meterProvider: telemetry.meterProvider });
    const late = upstream('late');
    await call(early);
    await call(late);
    await call(late);
    const m = await telemetry.collect();
    expect(countOf(m, 'steady.client.call.duration', { 'steady.upstream': 'early' })).toBe(1);
    expect(countOf(m, 'steady.client.call.duration', { 'steady.upstream': 'late' })).toBe(2);
    expect(sumOf(m, 'steady.client.pool.sockets.limit', { 'steady.upstream': 'early' })).toBe(
      early.options.pool.connections,
    );
    expect(pointsOf(m, 'steady.client.pool.sockets', { 'steady.upstream': 'late' })).toHaveLength(1);
  });

  it('shutdown() unsubscribes: no further points, no listener left', async () => {
    const telemetry = createTelemetry(AggregationTemporality.DELTA);
    const u = upstream('payments', { retry: { retries: 1, baseDelay: 1, budget: false } });
    const otel = instrument({ meterProvider: telemetry.meterProvider, tracerProvider: telemetry.tracerProvider });
    await call(u, '/fail');
    let m = await telemetry.collect();
    expect(countOf(m, 'steady.client.call.duration')).toBe(1);
    expect(sumOf(m, 'steady.client.events', { 'steady.event': 'retry' })).toBe(1);
    expect(telemetry.spans()).toHaveLength(1);

    otel.shutdown();
    otel.shutdown(); // idempotent
    expect(diagnostics.tracingChannel(STEADY_CHANNELS.call).hasSubscribers).toBe(false);
    expect(diagnostics.hasSubscribers(STEADY_CHANNELS.upstreamCreated)).toBe(false);
    expect(diagnostics.hasSubscribers(STEADY_CHANNELS.upstreamSocket)).toBe(false);
    await call(u, '/fail');
    await call(upstream('after-shutdown'));
    m = await telemetry.collect();
    // Delta temporality: anything recorded or observed since the last collection would show.
    const points = [...m.values()].flatMap((metric) => metric.dataPoints as unknown[]);
    expect(points).toEqual([]);
    expect(telemetry.spans()).toHaveLength(1);
    await telemetry.shutdown();
  });

  it('counts calls in flight as http.client.active_requests', async () => {
    const telemetry = createTelemetry();
    instrument({ meterProvider: telemetry.meterProvider });
    server.route('/slow', { latency: 300 });
    const u = upstream('busy');
    const slow = [u.request('/slow'), u.request('/slow', { method: 'DELETE' })];
    let m = await telemetry.collect();
    expect(sumOf(m, 'http.client.active_requests', { 'steady.upstream': 'busy', 'http.request.method': 'GET' })).toBe(
      1,
    );
    expect(
      sumOf(m, 'http.client.active_requests', { 'steady.upstream': 'busy', 'http.request.method': 'DELETE' }),
    ).toBe(1);
    for (const res of await Promise.all(slow)) await res.body.dump();
    m = await telemetry.collect();
    expect(sumOf(m, 'http.client.active_requests', { 'steady.upstream': 'busy' })).toBe(0);
    await telemetry.shutdown();
  });

  it('counts only the calls it saw start: one in flight when it started is not recorded when it ends', async () => {
    const first = createTelemetry();
    const second = createTelemetry();
    server.route('/slow', { latency: 200 });
    const u = upstream('inflight');
    // The first instrumentation makes core trace the call; the second subscribes while it runs.
    instrument({ meterProvider: first.meterProvider });
    const before = u.request('/slow');
    instrument({ meterProvider: second.meterProvider });
    await (await before).body.dump();
    let m = await second.collect();
    expect(countOf(m, 'steady.client.call.duration', { 'steady.upstream': 'inflight' })).toBe(0);
    expect(pointsOf(m, 'http.client.active_requests', { 'steady.upstream': 'inflight' })).toEqual([]);
    expect(countOf(await first.collect(), 'steady.client.call.duration', { 'steady.upstream': 'inflight' })).toBe(1);
    await call(u);
    m = await second.collect();
    expect(countOf(m, 'steady.client.call.duration', { 'steady.upstream': 'inflight' })).toBe(1);
    expect(sumOf(m, 'http.client.active_requests', { 'steady.upstream': 'inflight' })).toBe(0);
    for (const t of [first, second]) await t.shutdown();
  });

  it('lets two instrumentations run side by side, each with its own provider', async () => {
    const first = createTelemetry();
    const second = createTelemetry();
    instrument({ meterProvider: first.meterProvider });
    instrument({ meterProvider: second.meterProvider });
    const u = upstream('shared');
    await call(u);
    await call(u);
    for (const t of [first, second]) {
      expect(countOf(await t.collect(), 'steady.client.call.duration', { 'steady.upstream': 'shared' })).toBe(2);
      await t.shutdown();
    }
  });

  it('stops observing an upstream once it is closed', async () => {
    const telemetry = createTelemetry(AggregationTemporality.DELTA);
    instrument({ meterProvider: telemetry.meterProvider });
    const kept = upstream('kept');
    const closed = upstream('closed');
    await call(closed);
    await closed.close();
    const m = await telemetry.collect();
    expect(pointsOf(m, 'steady.client.pool.sockets.limit', { 'steady.upstream': 'kept' })).toHaveLength(1);
    expect(pointsOf(m, 'steady.client.pool.sockets.limit', { 'steady.upstream': 'closed' })).toHaveLength(0);
    expect(kept.state).toBe('open');
    await telemetry.shutdown();
  });

  it('uses the global providers by default', async () => {
    const telemetry = createTelemetry();
    const restore = useContextManager();
    metrics.setGlobalMeterProvider(telemetry.meterProvider);
    try {
      instrument(undefined);
      await call(upstream('global'));
      const m = await telemetry.collect();
      expect(countOf(m, 'steady.client.call.duration', { 'steady.upstream': 'global' })).toBe(1);
      // Tracing is off unless asked for.
      expect(telemetry.spans()).toHaveLength(0);
    } finally {
      metrics.disable();
      restore();
      await telemetry.shutdown();
    }
  });

  it('rejects bad options with STEADY_INVALID_OPTION naming the option', () => {
    const cases: Array<[unknown, string]> = [
      ['yes', '`options` must be an object or undefined (received "yes")'],
      [{ meterProvider: {} }, '`meterProvider` must be a MeterProvider'],
      [{ tracerProvider: 42 }, '`tracerProvider` must be a TracerProvider'],
      [{ tracing: 'on' }, '`tracing` must be a boolean (received "on")'],
      [{ attemptDuration: 1 }, '`attemptDuration` must be a boolean (received 1)'],
      [
        { tracng: true },
        '`tracng` must be a known option (one of meterProvider, tracerProvider, tracing, attemptDuration)',
      ],
    ];
    for (const [options, message] of cases) {
      let error: unknown;
      try {
        instrumentSteady(options as Parameters<typeof instrumentSteady>[0]);
      } catch (e) {
        error = e;
      }
      expect(isInvalidOptionError(error)).toBe(true);
      expect((error as Error).message).toContain(message);
    }
    // Nothing was subscribed by the failed calls.
    expect(diagnostics.tracingChannel(STEADY_CHANNELS.call).hasSubscribers).toBe(false);
  });
});
