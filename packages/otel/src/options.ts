import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { InvalidOptionError, knownKeys } from '@steady/core';

/** Options of {@link instrumentSteady}. */
export interface InstrumentSteadyOptions {
  /**
   * Where the metrics go.
   * @default the global meter provider (`metrics.getMeterProvider()`)
   */
  meterProvider?: MeterProvider;
  /**
   * Where the spans go. Giving one turns `tracing` on.
   * @default the global tracer provider (`trace.getTracerProvider()`)
   */
  tracerProvider?: TracerProvider;
  /**
   * A span per logical call (`steady GET`), made the active context of the call so that
   * undici's attempt spans (`@opentelemetry/instrumentation-undici`) become its children.
   * @default true when `tracerProvider` is given, else false
   */
  tracing?: boolean;
  /**
   * Also record the stable per-attempt `http.client.request.duration`. Off by default:
   * `@opentelemetry/instrumentation-undici` records it for every attempt already, and an
   * attempt must never be counted twice.
   * @default false
   */
  attemptDuration?: boolean;
}

/** {@link InstrumentSteadyOptions} after defaults. */
export interface ResolvedInstrumentSteadyOptions {
  meterProvider: MeterProvider | undefined;
  tracerProvider: TracerProvider | undefined;
  tracing: boolean;
  attemptDuration: boolean;
}

/** Validate once; a bad option throws `STEADY_INVALID_OPTION` naming it. */
export function resolveInstrumentOptions(options: unknown): ResolvedInstrumentSteadyOptions {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionError('options', 'an object or undefined', options);
  }
  knownKeys('', options, KEYS);
  const { meterProvider, tracerProvider, tracing, attemptDuration } = options as Record<string, unknown>;
  if (meterProvider !== undefined && !hasMethod(meterProvider, 'getMeter')) {
    throw new InvalidOptionError('meterProvider', 'a MeterProvider (an object with getMeter())', meterProvider);
  }
  if (tracerProvider !== undefined && !hasMethod(tracerProvider, 'getTracer')) {
    throw new InvalidOptionError('tracerProvider', 'a TracerProvider (an object with getTracer())', tracerProvider);
  }
  for (const [name, value] of [
    ['tracing', tracing],
    ['attemptDuration', attemptDuration],
  ] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw new InvalidOptionError(name, 'a boolean', value);
  }
  return {
    meterProvider: meterProvider as MeterProvider | undefined,
    tracerProvider: tracerProvider as TracerProvider | undefined,
    tracing: (tracing as boolean | undefined) ?? tracerProvider !== undefined,
    attemptDuration: (attemptDuration as boolean | undefined) ?? false,
  };
}

const KEYS = ['meterProvider', 'tracerProvider', 'tracing', 'attemptDuration'] as const satisfies ReadonlyArray<
  keyof InstrumentSteadyOptions
>;

function hasMethod(value: unknown, name: string): boolean {
  return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[name] === 'function';
}
