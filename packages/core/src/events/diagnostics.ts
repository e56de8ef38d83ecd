import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { Upstream } from '../upstream/upstream.ts';

/**
 * What an instrumentation (e.g. `@steady/otel`) needs, published on `node:diagnostics_channel`
 * with no cost when nobody subscribes: every publisher checks `hasSubscribers` before it
 * builds a message. Core depends on no telemetry library.
 *
 * | channel | message |
 * | --- | --- |
 * | `steady:upstream:created` | {@link UpstreamLifecycleMessage} — a new upstream |
 * | `steady:upstream:closed` | {@link UpstreamLifecycleMessage} — its sockets are closed |
 * | `steady:upstream:socket` | {@link UpstreamSocketMessage} — the pool opened a socket |
 * | `tracing:steady:call:{start,end,asyncStart,asyncEnd,error}` | {@link CallTraceMessage} — one logical call |
 * | `tracing:steady:attempt:{start,end,asyncStart,asyncEnd,error}` | {@link AttemptTraceMessage} — one attempt of a call |
 */
export const STEADY_CHANNELS = Object.freeze({
  upstreamCreated: 'steady:upstream:created',
  upstreamClosed: 'steady:upstream:closed',
  upstreamSocket: 'steady:upstream:socket',
  call: 'steady:call',
  attempt: 'steady:attempt',
});

/** Message of `steady:upstream:created` and `steady:upstream:closed`. */
export interface UpstreamLifecycleMessage {
  readonly upstream: Upstream;
}

/** Message of `steady:upstream:socket`: the pool of `upstream` opened `socket` (its `close` event ends it). */
export interface UpstreamSocketMessage {
  readonly upstream: Upstream;
  readonly socket: Socket;
}

/**
 * The context of one logical call on the `steady:call` tracing channel: the whole call,
 * every attempt, backoff and fallback included. Subscribers may add their own fields.
 */
export interface CallTraceMessage {
  readonly upstream: Upstream;
  /** HTTP method, upper-case (`EXECUTE` for an `execute()` without one). */
  readonly method: string;
  /** Attempts started so far (0 when the call was refused before any, e.g. breaker open). */
  attempts: number;
  /** `success` or `error`, set when the call settles. */
  outcome: 'success' | 'error' | undefined;
  /** Status of the response the call resolved with, when it is an HTTP response. */
  status: number | undefined;
  /** Set by the tracing channel: the value the call resolved with. */
  result?: unknown;
  /** Set by the tracing channel: the typed error the call rejected with. */
  error?: unknown;
  /**
   * A `start` subscriber may set this to run the call inside its own async context (an
   * OpenTelemetry span made active), so that whatever the call does — undici's own
   * instrumentation included — sees that context.
   */
  runInContext?: <R>(run: () => R) => R;
}

/** The context of one attempt on the `steady:attempt` tracing channel. */
export interface AttemptTraceMessage {
  readonly upstream: Upstream;
  readonly method: string;
  /** 0 for the first attempt. */
  readonly attempt: number;
  /** Status of the attempt's response, when it is an HTTP response. */
  status: number | undefined;
  result?: unknown;
  error?: unknown;
}

export const upstreamCreated = diagnostics.channel(STEADY_CHANNELS.upstreamCreated);
export const upstreamClosed = diagnostics.channel(STEADY_CHANNELS.upstreamClosed);
export const upstreamSocket = diagnostics.channel(STEADY_CHANNELS.upstreamSocket);
export const callTracing = diagnostics.tracingChannel<object, CallTraceMessage>(STEADY_CHANNELS.call);
export const attemptTracing = diagnostics.tracingChannel<object, AttemptTraceMessage>(STEADY_CHANNELS.attempt);

/**
 * Calls in flight that a subscriber runs in its own async context (`runInContext`). While
 * there are any, the stale-socket replay keeps each request's context, so that its `replay`
 * event is emitted in the call's context (a span can take it); otherwise it keeps nothing.
 */
export const callsInContext = { count: 0 };

/**
 * Upstreams that are not closed yet, held weakly: an instrumentation started after some
 * upstreams were created finds them here; `steady:upstream:created` tells it of later ones.
 */
const live = new Set<WeakRef<Upstream>>();
const collected = new FinalizationRegistry<WeakRef<Upstream>>((ref) => live.delete(ref));

/** Record a new upstream (and publish `steady:upstream:created`); returns what {@link forgetUpstream} needs. */
export function registerUpstream(upstream: Upstream): WeakRef<Upstream> {
  const ref = new WeakRef(upstream);
  live.add(ref);
  collected.register(upstream, ref, ref);
  if (upstreamCreated.hasSubscribers) upstreamCreated.publish({ upstream } satisfies UpstreamLifecycleMessage);
  return ref;
}

/** Forget a closed upstream (and publish `steady:upstream:closed`). */
export function forgetUpstream(upstream: Upstream, ref: WeakRef<Upstream>): void {
  live.delete(ref);
  collected.unregister(ref);
  if (upstreamClosed.hasSubscribers) upstreamClosed.publish({ upstream } satisfies UpstreamLifecycleMessage);
}

/** Every upstream of this process (this copy of `@steady/core`) that is not closed, oldest first. */
export function liveUpstreams(): Upstream[] {
  const found: Upstream[] = [];
  for (const ref of live) {
    const upstream = ref.deref();
    if (upstream !== undefined) found.push(upstream);
  }
  return found;
}
