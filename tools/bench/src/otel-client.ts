/**
 * The `steady-otel` row: Steady core with `@steady/otel` recording every metric into the real
 * OpenTelemetry metrics SDK (an in-memory exporter collected every 10 s, as a scrape would).
 * Its "vs plain" ratio is against the plain Steady core row: the cost of the instrumentation.
 * The instrumentation lives only while the client does (created per run, shut down in close()).
 */
import { JSON_HEADERS, status, steadyOptions } from './client-kit.ts';
import type { ClientSpec } from './clients.ts';

export const steadyOtelClient: ClientSpec = {
  id: 'steady-otel',
  label: 'Steady core + @steady/otel',
  steady: true,
  plain: 'steady',
  async probe() {
    const m = await import('@steady/otel');
    if (typeof m.instrumentSteady !== 'function') throw new Error('instrumentSteady is not exported');
    await import('@opentelemetry/sdk-metrics');
  },
  async create(setup) {
    const [{ createUpstream }, { instrumentSteady }, sdk] = await Promise.all([
      import('@steady/core'),
      import('@steady/otel'),
      import('@opentelemetry/sdk-metrics'),
    ]);
    const exporter = new sdk.InMemoryMetricExporter(sdk.AggregationTemporality.CUMULATIVE);
    const reader = new sdk.PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 10_000 });
    const meterProvider = new sdk.MeterProvider({ readers: [reader] });
    const otel = instrumentSteady({ meterProvider });
    const upstream = createUpstream(steadyOptions(setup));
    return {
      get: (path, signal) => status(upstream.request(path, { signal })),
      post: (path, body, signal) =>
        status(upstream.request(path, { method: 'POST', body, signal, headers: JSON_HEADERS })),
      close: async () => {
        await upstream.destroy();
        otel.shutdown();
        await meterProvider.shutdown();
      },
      socketsOpened: () => upstream.stats().pool.socketsOpened,
    };
  },
};
