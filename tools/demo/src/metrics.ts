/**
 * The demo's OpenTelemetry side: a real MeterProvider with an in-memory reader, read on
 * demand, so the live view shows what a dashboard would (`@steady/otel`'s metrics).
 */
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type MetricData,
} from '@opentelemetry/sdk-metrics';

/** One host's figures, as the metrics tell them. */
export interface HostFigures {
  breakerState: string;
  events: Record<string, number>;
  budgetAvailable: number;
  calls: number;
}

/** The metrics at one moment. */
export interface MetricsSnapshot {
  /** The figures of the upstream whose `server.port` is `port`. */
  host(port: number): HostFigures;
}

/** A MeterProvider for `instrumentSteady()` and a reader of its current values. */
export interface DemoMetrics {
  readonly meterProvider: MeterProvider;
  read(): Promise<MetricsSnapshot>;
  empty(): MetricsSnapshot;
  shutdown(): Promise<void>;
}

/** Points of the metric `name` (any kind) whose `server.port` is `port`. */
function pointsFor(metrics: Map<string, MetricData>, name: string, port: number): Array<DataPoint<unknown>> {
  const metric = metrics.get(name);
  if (metric === undefined) return [];
  return (metric.dataPoints as Array<DataPoint<unknown>>).filter((p) => Number(p.attributes['server.port']) === port);
}

function snapshotOf(metrics: Map<string, MetricData>): MetricsSnapshot {
  return {
    host(port) {
      const events: Record<string, number> = {};
      for (const point of pointsFor(metrics, 'steady.client.events', port)) {
        const event = String(point.attributes['steady.event']);
        events[event] = (events[event] ?? 0) + Number(point.value);
      }
      const state = pointsFor(metrics, 'steady.client.breaker.state', port).find((p) => Number(p.value) === 1);
      const budget = pointsFor(metrics, 'steady.client.retry_budget.available', port)[0];
      const calls = pointsFor(metrics, 'steady.client.call.duration', port).reduce(
        (n, p) => n + (p.value as { count: number }).count,
        0,
      );
      return {
        breakerState: state === undefined ? 'closed' : String(state.attributes['steady.breaker.state']),
        events,
        budgetAvailable: budget === undefined ? 0 : Math.floor(Number(budget.value)),
        calls,
      };
    },
  };
}

/** Create the provider and its reader (cumulative: each read shows the totals so far). */
export function createDemoMetrics(): DemoMetrics {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    meterProvider,
    async read() {
      exporter.reset();
      await reader.forceFlush();
      const byName = new Map<string, MetricData>();
      for (const resource of exporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) {
          for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
        }
      }
      return snapshotOf(byName);
    },
    empty: () => snapshotOf(new Map()),
    shutdown: () => meterProvider.shutdown(),
  };
}
