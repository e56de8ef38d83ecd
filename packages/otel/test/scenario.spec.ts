import { startFaultServer, startLoadBalancer, type FaultServer, type LoadBalancer } from '@steady/fault-server';
import { createUpstream, type Upstream } from '@steady/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentSteady, type SteadyInstrumentation } from '../src/index.ts';
import { countOf, createTelemetry, eventually, pause, pointsOf, sumOf, useContextManager } from './telemetry.ts';

const EVENTS = 'steady.client.events';
const CALLS = 'steady.client.call.duration';

/**
 * One scripted scenario against real fault servers, read through the real SDKs:
 * 3 plain calls, one call that needs 2 retries, a bulkhead rejection, a breaker that opens
 * after 3 failures and then rejects, and a stale-socket replay behind a load balancer.
 */
describe('a scripted scenario', () => {
  let server: FaultServer;
  let balancer: LoadBalancer;
  let before: Upstream;
  let payments: Upstream;
  let otel: SteadyInstrumentation;
  const telemetry = createTelemetry();
  let restoreContext: () => void;

  beforeAll(async () => {
    restoreContext = useContextManager();
    server = await startFaultServer({
      routes: {
        '/flaky': [{ status: 503 }, { status: 503 }, { status: 200 }],
        '/slow': { latency: 300 },
        '/down': { status: 500 },
      },
    });
    balancer = await startLoadBalancer({ target: server.url, idleTimeout: 100 });
    // Created before instrumentSteady(): found in core's registry of live upstreams.
    before = createUpstream({ name: 'before', origin: balancer.url, retry: false });
    otel = instrumentSteady({ meterProvider: telemetry.meterProvider, tracerProvider: telemetry.tracerProvider });
    // Created after: announced on steady:upstream:created.
    payments = createUpstream({
      name: 'payments',
      origin: server.url,
      retry: { retries: 2, baseDelay: 1, maxDelay: 2, budget: false },
      breaker: { consecutiveFailures: 3, openFor: 60_000 },
      bulkhead: { maxConcurrent: 1, maxQueued: 0 },
    });

    const secret = { query: { token: 'secret-token' }, headers: { authorization: 'Bearer secret-token' } };
    for (let i = 0; i < 3; i++) await (await payments.request('/ok', secret)).body.dump();
    await (await payments.request('/flaky', secret)).body.dump();
    const slow = payments.request('/slow', secret);
    await expect(payments.request('/ok', secret)).rejects.toMatchObject({ code: 'STEADY_BULKHEAD_FULL' });
    await (await slow).body.dump();
    for (let i = 0; i < 3; i++) {
      const res = await payments.request('/down', { ...secret, retry: false });
      expect(res.statusCode).toBe(500);
      await res.body.dump();
    }
    await expect(payments.request('/ok', secret)).rejects.toMatchObject({ code: 'STEADY_CIRCUIT_OPEN' });

    await (await before.request('/warm', secret)).body.dump();
    await pause(160); // the balancer forgets the idle socket: the next request meets a reset
    await (await before.request('/again', secret)).body.dump();
    expect(before.stats().calls.replays).toBe(1);
  });

  afterAll(async () => {
    otel.shutdown();
    await payments.destroy();
    await before.destroy();
    await balancer.close();
    await server.close();
    await telemetry.shutdown();
    restoreContext();
  });

  it('counts every event exactly', async () => {
    const m = await telemetry.collect();
    const p = { 'steady.upstream': 'payments' };
    expect(sumOf(m, EVENTS, { ...p, 'steady.event': 'retry' })).toBe(2);
    expect(sumOf(m, EVENTS, { ...p, 'steady.event': 'rejected', 'error.type': 'STEADY_BULKHEAD_FULL' })).toBe(1);
    expect(sumOf(m, EVENTS, { ...p, 'steady.event': 'rejected', 'error.type': 'STEADY_CIRCUIT_OPEN' })).toBe(1);
    expect(sumOf(m, EVENTS, { ...p, 'steady.event': 'breaker_opened' })).toBe(1);
    expect(sumOf(m, EVENTS, { ...p, 'steady.event': 'replay' })).toBe(0);
    expect(sumOf(m, EVENTS, { 'steady.upstream': 'before', 'steady.event': 'replay' })).toBe(1);
    expect(sumOf(m, EVENTS)).toBe(6);
  });

  it('records one call duration per logical call, with the outcome as attributes', async () => {
    const m = await telemetry.collect();
    const p = { 'steady.upstream': 'payments', 'http.request.method': 'GET' };
    // 3 ok + flaky (after 2 retries) + slow: 200; one point per call, not per attempt.
    expect(countOf(m, CALLS, { ...p, 'http.response.status_code': 200 })).toBe(5);
    expect(countOf(m, CALLS, { ...p, 'http.response.status_code': 500, 'error.type': '500' })).toBe(3);
    expect(countOf(m, CALLS, { ...p, 'error.type': 'STEADY_BULKHEAD_FULL' })).toBe(1);
    expect(countOf(m, CALLS, { ...p, 'error.type': 'STEADY_CIRCUIT_OPEN' })).toBe(1);
    expect(countOf(m, CALLS, p)).toBe(10);
    expect(countOf(m, CALLS, { 'steady.upstream': 'before', 'http.response.status_code': 200 })).toBe(2);
    // The flaky call waited for two backoffs: its duration covers them (sum > 0 s).
    const point = pointsOf<{ sum: number }>(m, CALLS, { ...p, 'http.response.status_code': 200 })[0]!;
    expect(point.value.sum).toBeGreaterThan(0.3); // the slow call alone took 300 ms
    // Per-attempt durations are off by default (instrumentation-undici records them).
    expect(m.has('http.client.request.duration')).toBe(false);
    expect(sumOf(m, 'http.client.active_requests')).toBe(0);
  });

  it('observes the breaker, bulkhead, pool and connections', async () => {
    const m = await telemetry.collect();
    const p = { 'steady.upstream': 'payments' };
    expect(sumOf(m, 'steady.client.breaker.state', { ...p, 'steady.breaker.state': 'open' })).toBe(1);
    expect(sumOf(m, 'steady.client.breaker.state', { ...p, 'steady.breaker.state': 'closed' })).toBe(0);
    expect(pointsOf(m, 'steady.client.breaker.state', p)).toHaveLength(4);
    expect(sumOf(m, 'steady.client.bulkhead.running', p)).toBe(0);
    expect(sumOf(m, 'steady.client.bulkhead.queued', p)).toBe(0);
    expect(pointsOf(m, 'steady.client.retry_budget.available', p)).toHaveLength(0); // budget: false
    expect(pointsOf(m, 'steady.client.retry_budget.available', { 'steady.upstream': 'before' })).toHaveLength(0);
    expect(sumOf(m, 'steady.client.pool.sockets.opened', p)).toBe(payments.stats().pool.socketsOpened);
    expect(sumOf(m, 'steady.client.pool.sockets.limit', p)).toBe(payments.options.pool.connections);
    // 'before' met a reset: its first socket died, the replay opened a second.
    expect(sumOf(m, 'steady.client.pool.sockets.opened', { 'steady.upstream': 'before' })).toBe(2);
    const open = sumOf(m, 'http.client.open_connections', p);
    expect(open).toBe(payments.stats().pool.connected);
    expect(sumOf(m, 'http.client.open_connections', { ...p, 'http.connection.state': 'active' })).toBe(0);
    // The reset socket of 'before' is closed: one connection duration recorded.
    expect(countOf(m, 'http.client.connection.duration', { 'steady.upstream': 'before' })).toBe(1);
    const point = pointsOf(m, 'http.client.open_connections', p)[0]!;
    expect(point.attributes).toMatchObject({
      'server.address': '127.0.0.1',
      'server.port': server.port,
      'url.scheme': 'http',
    });
  });

  it('never puts a path, a query or a secret in a label', async () => {
    const m = await telemetry.collect();
    const labels = [...m.values()].flatMap((metric) => metric.dataPoints.map((point) => point.attributes));
    expect(labels.length).toBeGreaterThan(20);
    for (const attributes of labels) {
      for (const [key, value] of Object.entries(attributes)) {
        expect(key).toMatch(/^(steady|server|url|http|error)\./);
        expect(String(value)).not.toMatch(/\/|secret|token|bearer|\?/i);
      }
    }
    const spanText = JSON.stringify(telemetry.spans().map((s) => [s.name, s.attributes, s.events]));
    expect(spanText).not.toMatch(/secret|token|\/flaky|\/ok|\/down/i);
  });

  it('traces each logical call with its retries, replays and rejections', () => {
    const spans = telemetry.spans();
    const payments = spans.filter((s) => s.attributes['steady.upstream'] === 'payments');
    expect(payments).toHaveLength(10);
    expect(payments.every((s) => s.name === 'steady GET')).toBe(true);
    const flaky = payments.find((s) => s.events.filter((e) => e.name === 'steady.retry').length === 2);
    expect(flaky).toBeDefined();
    expect(flaky!.attributes).toMatchObject({ 'http.request.resend_count': 2, 'steady.call.attempts': 3 });
    const rejected = payments.filter((s) => s.events.some((e) => e.name === 'steady.rejected'));
    expect(rejected.map((s) => s.attributes['error.type']).sort()).toEqual([
      'STEADY_BULKHEAD_FULL',
      'STEADY_CIRCUIT_OPEN',
    ]);
    expect(rejected.every((s) => s.status.code === 2 && s.attributes['steady.call.attempts'] === 0)).toBe(true);
    const replayed = spans.filter((s) => s.events.some((e) => e.name === 'steady.replay'));
    expect(replayed).toHaveLength(1);
    expect(replayed[0]!.attributes).toMatchObject({ 'steady.upstream': 'before', 'http.request.resend_count': 1 });
  });

  it('records a connection duration when a socket closes', async () => {
    const late = createUpstream({ name: 'late', origin: server.url });
    await (await late.request('/ok')).body.dump();
    let m = await telemetry.collect();
    expect(sumOf(m, 'steady.client.pool.sockets', { 'steady.upstream': 'late' })).toBe(1);
    await late.close();
    await eventually(async () => {
      m = await telemetry.collect();
      return countOf(m, 'http.client.connection.duration', { 'steady.upstream': 'late' }) === 1;
    });
  });
});
