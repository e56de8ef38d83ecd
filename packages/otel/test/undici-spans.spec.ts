import { createUpstream, type Upstream } from '@steady/core';
import { startFaultServer, type FaultServer } from '@steady/fault-server';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { instrumentSteady, type SteadyInstrumentation } from '../src/index.ts';
import { countOf, createTelemetry, useContextManager } from './telemetry.ts';

let server: FaultServer;
let up: Upstream;
let otel: SteadyInstrumentation | undefined;
let restoreContext: () => void;

beforeEach(async () => {
  restoreContext = useContextManager();
  server = await startFaultServer({ routes: { '/flaky': [{ status: 503 }, { status: 200 }] } });
  up = createUpstream({ name: 'payments', origin: server.url, retry: { retries: 2, baseDelay: 1, budget: false } });
});
afterEach(async () => {
  otel?.shutdown();
  await up.destroy();
  await server.close();
  restoreContext();
});

describe('with @opentelemetry/instrumentation-undici', () => {
  it("makes the call's span the parent of undici's attempt spans, and counts each attempt once", async () => {
    const telemetry = createTelemetry();
    const undici = new UndiciInstrumentation();
    undici.setTracerProvider(telemetry.tracerProvider);
    undici.setMeterProvider(telemetry.meterProvider);
    undici.enable();
    try {
      otel = instrumentSteady({ meterProvider: telemetry.meterProvider, tracerProvider: telemetry.tracerProvider });
      const res = await up.request('/flaky');
      await res.body.dump();
      expect(res.statusCode).toBe(200);
      const spans = telemetry.spans();
      const call = spans.find((s) => s.name === 'steady GET')!;
      expect(call).toBeDefined();
      const attempts = spans.filter((s) => s !== call);
      expect(attempts).toHaveLength(2);
      for (const attempt of attempts) {
        expect(attempt.parentSpanContext?.spanId).toBe(call.spanContext().spanId);
        expect(attempt.spanContext().traceId).toBe(call.spanContext().traceId);
      }
      expect(call.attributes['http.request.resend_count']).toBe(1);
      const m = await telemetry.collect();
      // undici's instrumentation records the per-attempt duration; Steady adds none of its own.
      expect(countOf(m, 'http.client.request.duration')).toBe(2);
      expect(countOf(m, 'steady.client.call.duration')).toBe(1);
    } finally {
      undici.disable();
      await telemetry.shutdown();
    }
  });
});

describe('attemptDuration: true', () => {
  it('records http.client.request.duration once per attempt, with its status', async () => {
    const telemetry = createTelemetry();
    otel = instrumentSteady({ meterProvider: telemetry.meterProvider, attemptDuration: true });
    await (await up.request('/flaky')).body.dump();
    const m = await telemetry.collect();
    const base = { 'steady.upstream': 'payments', 'http.request.method': 'GET' };
    expect(
      countOf(m, 'http.client.request.duration', { ...base, 'http.response.status_code': 503, 'error.type': '503' }),
    ).toBe(1);
    expect(countOf(m, 'http.client.request.duration', { ...base, 'http.response.status_code': 200 })).toBe(1);
    expect(countOf(m, 'http.client.request.duration')).toBe(2);
    expect(countOf(m, 'steady.client.call.duration')).toBe(1);
    await telemetry.shutdown();
  });
});
