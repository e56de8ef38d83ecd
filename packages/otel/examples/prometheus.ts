// Steady's metrics on a Prometheus scrape endpoint.
//
//   npm install @steady/core @steady/otel @opentelemetry/api @opentelemetry/sdk-metrics @opentelemetry/exporter-prometheus
//   PAYMENTS_ORIGIN=http://127.0.0.1:8080 node examples/prometheus.ts
//   curl http://127.0.0.1:9464/metrics
//
// Knobs (env): PAYMENTS_ORIGIN (the upstream to call), METRICS_PORT (default 9464),
// INTERVAL_MS (one call per interval, default 200).
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createUpstream } from '@steady/core';
import { instrumentSteady } from '@steady/otel';

const port = Number(process.env.METRICS_PORT ?? 9464);
const exporter = new PrometheusExporter({ host: '127.0.0.1', port });
const meterProvider = new MeterProvider({ readers: [exporter] });

// Every upstream of the process is instrumented, whether created before or after this line.
const otel = instrumentSteady({ meterProvider });

const payments = createUpstream({
  name: 'payments',
  origin: process.env.PAYMENTS_ORIGIN ?? 'http://127.0.0.1:8080',
  breaker: { consecutiveFailures: 5 },
});

async function callPayments(): Promise<void> {
  try {
    const res = await payments.request('/health');
    await res.body.dump();
  } catch (error) {
    // Typed errors (STEADY_CIRCUIT_OPEN, STEADY_TIMEOUT…) are counted on the dashboard.
    console.error((error as { code?: string }).code ?? error);
  }
}
const timer = setInterval(() => void callPayments(), Number(process.env.INTERVAL_MS ?? 200));

console.log(`metrics on http://127.0.0.1:${port}/metrics`);

async function stop(): Promise<void> {
  clearInterval(timer);
  otel.shutdown();
  await payments.close();
  await meterProvider.shutdown(); // also stops the exporter's HTTP server
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
