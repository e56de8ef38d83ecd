import diagnostics from 'node:diagnostics_channel';
import { metrics, trace, type Span } from '@opentelemetry/api';
import {
  liveUpstreams,
  STEADY_CHANNELS,
  type AttemptTraceMessage,
  type CallTraceMessage,
  type UpstreamLifecycleMessage,
  type UpstreamSocketMessage,
} from '@steady/core';
import { errorType } from './attributes.ts';
import { CallSpans } from './call-spans.ts';
import { resolveInstrumentOptions, type InstrumentSteadyOptions } from './options.ts';
import { SteadyMetrics } from './steady-metrics.ts';
import { TrackedUpstreams, type TrackedUpstream } from './tracked-upstreams.ts';
import { watchUpstreamEvents } from './upstream-events.ts';

/** The name and version of the meter and tracer. */
export const INSTRUMENTATION_SCOPE = Object.freeze({ name: '@steady/otel', version: '0.1.0' });

/** What {@link instrumentSteady} returns. */
export interface SteadyInstrumentation {
  /** Unsubscribe from everything: no further points or spans (spans still open are ended). Idempotent. */
  shutdown(): void;
}

/**
 * Per-call state, kept on the core's tracing message under keys of each instrumentation's own
 * (two instrumentations may run side by side): no object is allocated per call.
 */
type CallMessage = CallTraceMessage & Record<symbol, unknown>;
type AttemptMessage = AttemptTraceMessage & Record<symbol, number | undefined>;

/** Telemetry must never break a call nor crash the process (a subscriber's throw would): warn instead. */
function guarded<M>(what: string, fn: (message: M) => void): (message: M) => void {
  return (message) => {
    try {
      fn(message);
    } catch (error) {
      process.emitWarning(`@steady/otel: ${what} failed: ${String(error)}`, 'SteadyTelemetryWarning');
    }
  };
}

/**
 * Subscribe to only the tracing events used (`start`, and `asyncEnd`, which follows `error`
 * too): each event nobody subscribes to is not delivered at all.
 */
function tracingHandlers<M extends object>(
  handlers: Pick<diagnostics.TracingChannelSubscribers<M>, 'start' | 'asyncEnd'>,
): diagnostics.TracingChannelSubscribers<M> {
  return handlers as diagnostics.TracingChannelSubscribers<M>;
}

/**
 * OpenTelemetry metrics (and, as an option, spans) for every Steady upstream of the
 * process: those created before this call (found in core's registry of live upstreams)
 * and after it (`steady:upstream:created`). Everything flows through
 * `node:diagnostics_channel`; `shutdown()` unsubscribes.
 *
 * @example
 * ```ts
 * const otel = instrumentSteady({ meterProvider });
 * // … on shutdown
 * otel.shutdown();
 * ```
 */
export function instrumentSteady(options?: InstrumentSteadyOptions): SteadyInstrumentation {
  const resolved = resolveInstrumentOptions(options);
  // A call's upstream (set at its start: marks the calls this instrumentation counted), start time and span.
  const TRACKED = Symbol('steady.otel.tracked');
  const STARTED = Symbol('steady.otel.started');
  const SPAN = Symbol('steady.otel.span');
  const ATTEMPT = Symbol('steady.otel.attempt');
  const meterProvider = resolved.meterProvider ?? metrics.getMeterProvider();
  const meter = meterProvider.getMeter(INSTRUMENTATION_SCOPE.name, INSTRUMENTATION_SCOPE.version);
  const spans = resolved.tracing
    ? new CallSpans(
        (resolved.tracerProvider ?? trace.getTracerProvider()).getTracer(
          INSTRUMENTATION_SCOPE.name,
          INSTRUMENTATION_SCOPE.version,
        ),
      )
    : undefined;
  const upstreams = new TrackedUpstreams((tracked) => watchUpstreamEvents(tracked, steadyMetrics, spans));
  const steadyMetrics = new SteadyMetrics(meter, resolved.attemptDuration, () => upstreams);

  const onCreated = guarded('steady:upstream:created', (message: unknown) => {
    upstreams.get((message as UpstreamLifecycleMessage).upstream);
  });
  const onClosed = guarded('steady:upstream:closed', (message: unknown) => {
    upstreams.delete((message as UpstreamLifecycleMessage).upstream);
  });
  const onSocket = guarded('steady:upstream:socket', (message: unknown) => {
    const { upstream, socket } = message as UpstreamSocketMessage;
    const tracked = upstreams.get(upstream);
    if (tracked !== undefined) steadyMetrics.socketOpened(tracked, socket);
  });
  const call = tracingHandlers<CallMessage>({
    start: guarded('call start', (message: CallMessage) => {
      const tracked = upstreams.get(message.upstream);
      if (tracked === undefined) return;
      tracked.callStarted(message.method);
      message[TRACKED] = tracked;
      message[STARTED] = performance.now();
      if (spans !== undefined) message[SPAN] = spans.start(message, tracked.request(message.method));
    }),
    asyncEnd: guarded('call end', (message: CallMessage) => {
      const tracked = message[TRACKED] as TrackedUpstream | undefined;
      if (tracked === undefined) return;
      const seconds = (performance.now() - (message[STARTED] as number)) / 1000;
      message[TRACKED] = undefined;
      const failed = message.outcome !== 'success';
      const type = errorType(message.error, failed, message.status);
      tracked.callEnded(message.method);
      steadyMetrics.callEnded(tracked.outcomes.get(message.method, failed ? undefined : message.status, type), seconds);
      if (spans !== undefined) {
        const span = message[SPAN] as Span | undefined;
        if (span !== undefined) spans.end(span, message, type);
      }
    }),
  });
  const attempt = tracingHandlers<AttemptMessage>({
    start: (message: AttemptMessage) => {
      message[ATTEMPT] = performance.now();
    },
    asyncEnd: guarded('attempt end', (message: AttemptMessage) => {
      const started = message[ATTEMPT];
      const tracked = upstreams.get(message.upstream);
      if (started === undefined || tracked === undefined) return;
      const failed = 'error' in message;
      const type = errorType(message.error, failed, message.status);
      steadyMetrics.attemptEnded(
        tracked.outcomes.get(message.method, failed ? undefined : message.status, type),
        (performance.now() - started) / 1000,
      );
    }),
  });

  const callChannel = diagnostics.tracingChannel<object, CallMessage>(STEADY_CHANNELS.call);
  const attemptChannel = diagnostics.tracingChannel<object, AttemptMessage>(STEADY_CHANNELS.attempt);
  diagnostics.subscribe(STEADY_CHANNELS.upstreamCreated, onCreated);
  diagnostics.subscribe(STEADY_CHANNELS.upstreamClosed, onClosed);
  diagnostics.subscribe(STEADY_CHANNELS.upstreamSocket, onSocket);
  callChannel.subscribe(call);
  if (steadyMetrics.recordsAttempts) attemptChannel.subscribe(attempt);
  for (const upstream of liveUpstreams()) upstreams.get(upstream);

  let active = true;
  return {
    shutdown() {
      if (!active) return;
      active = false;
      diagnostics.unsubscribe(STEADY_CHANNELS.upstreamCreated, onCreated);
      diagnostics.unsubscribe(STEADY_CHANNELS.upstreamClosed, onClosed);
      diagnostics.unsubscribe(STEADY_CHANNELS.upstreamSocket, onSocket);
      callChannel.unsubscribe(call);
      if (steadyMetrics.recordsAttempts) attemptChannel.unsubscribe(attempt);
      upstreams.clear();
      steadyMetrics.shutdown();
      spans?.shutdown();
    },
  };
}
