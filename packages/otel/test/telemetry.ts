import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Attributes } from '@opentelemetry/api';

/**
 * The real OpenTelemetry SDKs with in-memory exporters: metrics are read by flushing the
 * reader (cumulative temporality unless told), spans as they end.
 */
export function createTelemetry(temporality = AggregationTemporality.CUMULATIVE) {
  const exporter = new InMemoryMetricExporter(temporality);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spanExporter })] });
  return {
    meterProvider,
    tracerProvider,
    /** Collect now; the metrics of the last export, by name. */
    async collect(): Promise<Map<string, MetricData>> {
      exporter.reset();
      await reader.forceFlush();
      const byName = new Map<string, MetricData>();
      for (const resource of exporter.getMetrics()) {
        for (const scope of resource.scopeMetrics)
          for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
      }
      return byName;
    },
    spans(): ReadableSpan[] {
      return spanExporter.getFinishedSpans();
    },
    async shutdown(): Promise<void> {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

/** Install the AsyncLocalStorage context manager (once per test file). */
export function useContextManager(): () => void {
  const manager = new AsyncLocalStorageContextManager();
  manager.enable();
  context.setGlobalContextManager(manager);
  return () => {
    context.disable();
    manager.disable();
  };
}

/** Points of a metric whose attributes include `match`. */
export function pointsOf<T = number>(
  metrics: Map<string, MetricData>,
  name: string,
  match: Attributes = {},
): Array<DataPoint<T>> {
  const metric = metrics.get(name);
  if (metric === undefined) return [];
  return (metric.dataPoints as Array<DataPoint<T>>).filter((point) =>
    Object.entries(match).every(([key, value]) => point.attributes[key] === value),
  );
}

/** Sum of the values of the matching points (counters, gauges). */
export function sumOf(metrics: Map<string, MetricData>, name: string, match: Attributes = {}): number {
  return pointsOf<number>(metrics, name, match).reduce((sum, point) => sum + point.value, 0);
}

/** Sum of the counts of the matching histogram points. */
export function countOf(metrics: Map<string, MetricData>, name: string, match: Attributes = {}): number {
  return pointsOf<Histogram>(metrics, name, match).reduce((sum, point) => sum + point.value.count, 0);
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `check` until it holds (bounded: `tries` tries, 20 ms apart). */
export async function eventually(check: () => boolean | Promise<boolean>, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await pause(20);
  }
  throw new Error(`condition never held within ${tries * 20} ms`);
}
