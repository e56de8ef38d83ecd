import { startFaultServer, type FaultServer } from '@steady/fault-server';
import { createUpstream, type Upstream } from '@steady/core';
import { afterEach, expect, it } from 'vitest';
import { instrumentSteady } from '../src/index.ts';
import { createTelemetry, sumOf } from './telemetry.ts';

let server: FaultServer | undefined;
let upstream: Upstream | undefined;

afterEach(async () => {
  await upstream?.close();
  await server?.close();
});

it('a hedged copy is counted once as steady.event="hedge", with the method', async () => {
  // The first request is slow; the hedged copy sent after 50 ms answers at once and wins.
  server = await startFaultServer({ routes: { '/tail': [{ latency: 1_000 }, { status: 200 }] } });
  const telemetry = createTelemetry();
  const otel = instrumentSteady({ meterProvider: telemetry.meterProvider });
  try {
    upstream = createUpstream({ name: 'tail', origin: server.url, hedge: { delay: 50 } });
    const res = await upstream.request('/tail');
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    expect(upstream.stats().hedge).toMatchObject({ sent: 1, won: 1 });
    const metrics = await telemetry.collect();
    expect(sumOf(metrics, 'steady.client.events', { 'steady.event': 'hedge', 'http.request.method': 'GET' })).toBe(1);
  } finally {
    otel.shutdown();
    await telemetry.shutdown();
  }
});
