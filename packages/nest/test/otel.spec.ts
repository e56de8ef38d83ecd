import 'reflect-metadata';
import diagnostics from 'node:diagnostics_channel';
import { Test } from '@nestjs/testing';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import { isInvalidOptionError, STEADY_CHANNELS, type Upstream } from '@steady/core';
import { startFaultServer, type FaultServer } from '@steady/fault-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getUpstreamToken, SteadyModule, SteadyTelemetry } from '../src/index.ts';

let server: FaultServer;
beforeEach(async () => {
  server = await startFaultServer();
});
afterEach(async () => {
  await server.close();
});

function telemetry() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    meterProvider,
    async callCount(upstream: string): Promise<number> {
      exporter.reset();
      await reader.forceFlush();
      const metric = exporter
        .getMetrics()
        .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
        .find((m) => m.descriptor.name === 'steady.client.call.duration');
      return (metric?.dataPoints ?? [])
        .filter((p) => p.attributes['steady.upstream'] === upstream)
        .reduce((sum, p) => sum + (p.value as Histogram).count, 0);
    },
  };
}

describe('SteadyModule `otel`', () => {
  it('instruments the upstreams with the given meter provider and stops on shutdown', async () => {
    const t = telemetry();
    const app = await Test.createTestingModule({
      imports: [
        SteadyModule.forRoot({
          upstreams: { payments: { origin: server.url } },
          otel: { meterProvider: t.meterProvider },
        }),
      ],
    }).compile();
    await app.init();
    expect(app.get(SteadyTelemetry).active).toBe(true);
    const payments = app.get<Upstream>(getUpstreamToken('payments'));
    await (await payments.request('/x')).body.dump();
    await (await payments.request('/x')).body.dump();
    expect(await t.callCount('payments')).toBe(2);
    await app.close();
    expect(app.get(SteadyTelemetry).active).toBe(false);
    expect(diagnostics.tracingChannel(STEADY_CHANNELS.call).hasSubscribers).toBe(false);
    await t.meterProvider.shutdown();
  });

  it('otel: true uses the global meter provider', async () => {
    const t = telemetry();
    metrics.setGlobalMeterProvider(t.meterProvider);
    try {
      const app = await Test.createTestingModule({
        imports: [SteadyModule.forRoot({ upstreams: { orders: { origin: server.url } }, otel: true })],
      }).compile();
      await (await app.get<Upstream>(getUpstreamToken('orders')).request('/x')).body.dump();
      expect(await t.callCount('orders')).toBe(1);
      await app.close();
    } finally {
      metrics.disable();
      await t.meterProvider.shutdown();
    }
  });

  it('forRootAsync: the factory may return `otel` too', async () => {
    const t = telemetry();
    const app = await Test.createTestingModule({
      imports: [
        SteadyModule.forRootAsync({
          upstreams: ['async'],
          useFactory: () => ({
            upstreams: { async: { origin: server.url } },
            otel: { meterProvider: t.meterProvider },
          }),
        }),
      ],
    }).compile();
    await (await app.get<Upstream>(getUpstreamToken('async')).request('/x')).body.dump();
    expect(await t.callCount('async')).toBe(1);
    await app.close();
    expect(app.get(SteadyTelemetry).active).toBe(false);
    await t.meterProvider.shutdown();
  });

  it('is off by default', async () => {
    const app = await Test.createTestingModule({
      imports: [SteadyModule.forRoot({ upstreams: { quiet: { origin: server.url } } })],
    }).compile();
    expect(app.get(SteadyTelemetry).active).toBe(false);
    expect(diagnostics.tracingChannel(STEADY_CHANNELS.call).hasSubscribers).toBe(false);
    await app.close();
  });

  it('rejects a bad `otel` option naming its path', async () => {
    for (const [otel, path] of [
      ['yes', '`otel` must be true, false or the options of instrumentSteady()'],
      [{ tracing: 'on' }, '`otel.tracing` must be a boolean'],
    ] as const) {
      const error = await Test.createTestingModule({
        imports: [SteadyModule.forRoot({ upstreams: { x: { origin: server.url } }, otel: otel as never })],
      })
        .compile()
        .catch((caught: unknown) => caught);
      expect(isInvalidOptionError(error)).toBe(true);
      expect((error as Error).message).toContain(path);
    }
  });
});
