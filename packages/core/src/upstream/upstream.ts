import type { Dispatcher } from 'undici';
import { ClosedError, isTimeoutError, ResponseTooLargeError } from '../errors/errors.ts';
import { redactUrl } from '../errors/steady-error.ts';
import {
  attemptTracing,
  callTracing,
  forgetUpstream,
  registerUpstream,
  upstreamSocket,
} from '../events/diagnostics.ts';
import { EventHub, type Disposer, type UpstreamEventName, type UpstreamEvents } from '../events/events.ts';
import { watchBody } from '../http/request-body.ts';
import { isIdempotentRequest, isReplayableBody } from '../http/request-facts.ts';
import { resolveUpstreamOptions, type ResolvedUpstreamOptions, type UpstreamOptions } from '../options/resolve.ts';
import { answeringWithResponse, type RequestFallback } from '../http/fallback-response.ts';
import { dispatchWhole, readWhole, type WholeResponse } from '../http/whole-body.ts';
import { dispatchSink, SINK_BODY, type SinkResponse } from '../http/body-sink.ts';
import { FallbackPolicy, NEVER_SIGNAL } from '../policies/index.ts';
import type { CallContext } from '../policies/policy.ts';
import { createPool, type SteadyPool } from '../pool/create-pool.ts';
import { CallState, callUrl, type CallShape } from './call-state.ts';
import { CallTracker } from './call-tracker.ts';
import { traceAttempt, traceCall } from './call-tracing.ts';
import { createUpstreamPipeline, type Pipeline } from './pipeline.ts';
import { checkCallOptions } from './call-options-check.ts';
import {
  AttemptRequest,
  buildPath,
  classifyResponse,
  discardResponse,
  HeldBody,
  sendAttempt,
} from './request-parts.ts';
import { toSteadyError } from './errors-from-undici.ts';
import { buildStats, type UpstreamStats } from './stats.ts';
import type { AttemptContext, CallOptions, ExecuteOptions, UpstreamRequestOptions, UpstreamResponse } from './types.ts';

/**
 * One origin behind a tuned keep-alive pool and the resilience pipeline
 * (fallback → bulkhead → total deadline → retry → hedge → circuit breaker → attempt).
 * Create with {@link createUpstream}.
 */
export class Upstream {
  /** The upstream's name (stats, events, errors). */
  readonly name: string;
  /** The origin every request goes to. */
  readonly origin: string;
  /** The tuned undici dispatcher (pool + stale-socket replay); usable with `undici.request`/`fetch`. */
  readonly dispatcher: Dispatcher;
  /** The resolved options, frozen. */
  readonly options: ResolvedUpstreamOptions;

  readonly #events = new EventHub();
  readonly #pool: SteadyPool;
  readonly #pipeline: Pipeline;
  readonly #calls = new CallTracker();
  /** The upstream's `fallback`, answering `request()` calls with response data (null: none). */
  readonly #requestFallback: FallbackPolicy | null;
  readonly #registration: WeakRef<Upstream>;
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(options: UpstreamOptions) {
    const resolved = resolveUpstreamOptions(options);
    this.options = resolved;
    this.name = resolved.name;
    this.origin = resolved.origin.origin;
    this.#pool = createPool(resolved, {
      idempotentMethods: resolved.retry === false ? undefined : resolved.retry.methods,
      mapBodyError: (error, method, path) =>
        toSteadyError(error, {
          upstream: this.name,
          method,
          url: redactUrl(this.origin + path),
          closed: this.#closing !== undefined,
          signal: undefined,
          headersTimeout: resolved.timeouts.headers,
          bodyTimeout: resolved.timeouts.body,
          connectTimeout: resolved.pool.connectTimeout,
        }) as Error,
      maxResponseSize: resolved.pool.maxResponseSize,
      tooLarge: (method, path) =>
        new ResponseTooLargeError(resolved.pool.maxResponseSize, {
          upstream: this.name,
          method,
          url: redactUrl(this.origin + path),
        }),
      onReplay: (method, path, reason) => {
        this.#calls.counters.replays++;
        this.#events.emit('replay', () => ({
          upstream: this.name,
          method,
          url: redactUrl(this.origin + path),
          reason,
        }));
      },
      onSocketOpen: (socket) => {
        if (upstreamSocket.hasSubscribers) upstreamSocket.publish({ upstream: this, socket });
      },
    });
    this.dispatcher = this.#pool.dispatcher;
    this.#pipeline = createUpstreamPipeline(resolved, {
      events: this.#events,
      hooks: {
        attempt: this.#runAttempt,
        first: this.#firstAttempt as (ctx: CallContext) => Promise<unknown>,
        typed: (error, ctx) => this.#typed(error, ctx as CallState),
        settled: (ok, outcome) => (ok ? this.#calls.succeeded() : this.#countFailure(outcome)),
      },
    });
    this.#requestFallback = resolved.fallback === false ? null : responseFallback(resolved.fallback);
    this.#registration = registerUpstream(this);
  }

  /** The circuit breaker, for operators: `isolate()`, `reset()`, `state`. Null when turned off. */
  get breaker(): Pipeline['breaker'] {
    return this.#pipeline.breaker;
  }

  /** Calls admitted and not yet settled (a response whose body still streams counts as settled). */
  get inFlight(): number {
    return this.#calls.inFlight;
  }

  /** `open`, `closing` or `closed`. */
  get state(): 'open' | 'closing' | 'closed' {
    return this.#closed ? 'closed' : this.#closing ? 'closing' : 'open';
  }

  /**
   * Send a request with every policy applied. Resolves with undici's response data
   * (`statusCode`, `headers`, `body`); HTTP error statuses are responses, not errors.
   * A `fallback` (the upstream's or this call's) answers with response data too: see
   * `RequestFallbackValue` for how its value becomes one, and `fallbackAnswer()` to tell it apart.
   *
   * With `wholeBody: true` the body is read to its end inside the call and the call resolves with a
   * {@link WholeResponse} (the bytes in memory) — except that a fallback's answer stays undici's
   * response data: tell them apart with `isWholeResponse()`.
   */
  request(
    path: string,
    options?: UpstreamRequestOptions & { wholeBody?: false | undefined },
  ): Promise<UpstreamResponse>;
  request(path: string, options: UpstreamRequestOptions): Promise<UpstreamResponse | WholeResponse>;
  request(path: string, options: UpstreamRequestOptions = {}): Promise<UpstreamResponse | WholeResponse> {
    const invalid = checkCallOptions(options, this.name, true) ?? this.#pipeline.checkRetryOverride(options.retry);
    if (invalid !== undefined) return Promise.reject(invalid);
    const method = (options.method ?? 'GET').toUpperCase();
    let fullPath: string;
    try {
      fullPath = buildPath(path, options.query, this.name, method);
    } catch (error) {
      return Promise.reject(error);
    }
    const fallback = options.fallback === undefined ? this.#requestFallback : responseFallback(options.fallback);
    if (this.#refusing(options, fallback)) return this.#refuse(method, fullPath);
    const body = options.body;
    const headersTimeout = options.headersTimeout ?? this.options.timeouts.headers;
    const bodyTimeout = options.bodyTimeout ?? this.options.timeouts.body;
    const origin = this.origin;
    // A whole body is read inside the attempt: nothing is left to hold once the call resolves.
    const whole = options.wholeBody === true;
    const held = whole ? undefined : new HeldBody();
    const shape: CallShape = {
      method,
      rawUrl: fullPath,
      idempotent: isIdempotentRequest(method, options.headers, options.idempotent, this.#pipeline.idempotentMethods),
      replayable: typeof body === 'function' || isReplayableBody(body),
      classify: classifyResponse,
      discard: discardResponse,
      observed: true,
    };
    const observed = this.#pool.abortsThroughObserver;
    // Core's own fetch: a body fed straight by the handler (Steady's own pools only).
    const sink = !whole && observed && (options as { [SINK_BODY]?: boolean })[SINK_BODY] === true;
    const attempt = (ctx: AttemptContext): Promise<UpstreamResponse | WholeResponse | SinkResponse> => {
      const request = new AttemptRequest(
        origin,
        fullPath,
        method,
        options.headers,
        watchBody(typeof body === 'function' ? body() : body),
        // Steady's own pools abort the request through its observer (the call state): no
        // abort listener per request in undici. A user's transport gets the signal.
        observed ? undefined : ctx.signal,
        headersTimeout,
        bodyTimeout,
        ctx as CallState,
      );
      if (sink) return dispatchSink(ctx.dispatcher, request.options);
      if (!whole) return sendAttempt(ctx.dispatcher, request, observed);
      // Steady's own pools: one handler collects the body, no stream. A user's transport: read its body.
      return observed
        ? dispatchWhole(ctx.dispatcher, request.options)
        : sendAttempt(ctx.dispatcher, request, false).then(readWhole);
    };
    // The total deadline and the caller's signal stay in force while the body streams; `held`
    // ends them when the response has ended (on a transport of the user's, when the body closes).
    return this.#call<UpstreamResponse | WholeResponse | SinkResponse>(
      attempt,
      shape,
      options,
      held,
      fallback,
    ) as Promise<UpstreamResponse | WholeResponse>;
  }

  /**
   * Run any attempt function under the policies. The attempt gets a signal that fires on
   * the deadline, the caller's abort or `destroy()`, and the dispatcher to send through.
   */
  execute<T>(attempt: (ctx: AttemptContext) => Promise<T>, options: ExecuteOptions<T> = {}): Promise<T> {
    const invalid = checkCallOptions(options, this.name, false) ?? this.#pipeline.checkRetryOverride(options.retry);
    if (invalid !== undefined) return Promise.reject(invalid);
    const method = (options.method ?? 'GET').toUpperCase();
    const fallback = options.fallback === undefined ? null : new FallbackPolicy(options.fallback);
    if (this.#refusing(options, fallback)) return this.#refuse(method, options.url);
    const shape: CallShape = {
      method,
      rawUrl: options.url,
      idempotent: isIdempotentRequest(method, options.headers, options.idempotent, this.#pipeline.idempotentMethods),
      replayable: options.replayable ?? true,
      classify: options.classify,
      discard: options.discard,
      observed: false,
    };
    return this.#call(attempt, shape, options, undefined, fallback);
  }

  /**
   * True when an open (or isolated) breaker refuses this call before the pipeline: it cannot run,
   * so it takes no bulkhead slot, deadline or retry credit. A call with a fallback, with
   * `breaker: false`, with an aborted signal, or traced on the diagnostics channel takes the full
   * path (the fallback answers; the abort wins; the trace sees the call).
   */
  #refusing(options: CallOptions, fallback: FallbackPolicy | null): boolean {
    const breaker = this.#pipeline.breaker;
    return (
      breaker !== null &&
      fallback === null &&
      options.breaker !== false &&
      this.#closing === undefined &&
      options.signal?.aborted !== true &&
      !callTracing.hasSubscribers &&
      breaker.refusing
    );
  }

  /** Reject a call {@link #refusing} turned away, counted as a failed call. */
  #refuse(method: string, rawUrl: string | undefined): Promise<never> {
    this.#calls.start();
    this.#calls.failed();
    const error = this.#pipeline.breaker!.rejection({
      upstream: this.name,
      method,
      url: callUrl(rawUrl, this.origin),
      events: this.#events,
    });
    return Promise.reject(error);
  }

  #call<T>(
    attempt: (ctx: AttemptContext) => Promise<T>,
    shape: CallShape,
    options: CallOptions,
    retain: CallContext['retain'],
    fallback: FallbackPolicy | null,
  ): Promise<T> {
    const ctx = new CallState(
      this.name,
      this.origin,
      shape,
      options.signal ?? NEVER_SIGNAL,
      options.timeout ?? this.options.timeouts.total,
      // The call's options are its policy overrides (same keys): no copy per call.
      options,
      this.#events,
      retain,
      attempt,
      this.dispatcher,
    );
    if (this.#closing !== undefined) {
      this.#calls.counters.rejected++;
      return Promise.reject(new ClosedError({ upstream: this.name, method: shape.method, url: ctx.url }));
    }
    this.#calls.start();
    if (callTracing.hasSubscribers) return this.#traced(ctx, fallback) as Promise<T>;
    const fused = this.#fused(ctx, fallback);
    if (fused !== undefined) return fused as Promise<T>;
    return this.#pipeline.run(this.#runAttempt, ctx, fallback).then(this.#succeeded, this.#failed) as Promise<T>;
  }

  /**
   * The common case runs as one object per call (no fallback, no hedging, a free bulkhead slot),
   * which counts the outcome itself; undefined when the call takes the composed pipeline.
   */
  #fused(ctx: CallState, fallback: FallbackPolicy | null): Promise<unknown> | undefined {
    return fallback === null ? this.#pipeline.runFused(ctx) : undefined;
  }

  /** A call on the `steady:call` tracing channel: fused when it can be, counted once either way. */
  #traced(ctx: CallState, fallback: FallbackPolicy | null): Promise<unknown> {
    let counted = false;
    const run = (): Promise<unknown> => {
      const fused = this.#fused(ctx, fallback);
      if (fused === undefined) return this.#pipeline.run(this.#runAttempt, ctx, fallback);
      counted = true;
      return fused;
    };
    return traceCall(
      this,
      ctx,
      run,
      (result) => (counted ? result : this.#succeeded(result)),
      (error) => {
        if (counted) throw error;
        return this.#failed(error);
      },
    );
  }

  /** One attempt, on the `steady:attempt` tracing channel when it has subscribers. */
  readonly #runAttempt = (ctx: CallContext): Promise<unknown> => {
    const call = ctx as CallState;
    if (call.trace !== undefined) call.trace.attempts++;
    return attemptTracing.hasSubscribers ? traceAttempt(this, call, this.#attempt) : this.#attempt(call);
  };

  /** The call's own function, with undici's errors turned into typed ones. */
  readonly #attempt = (call: CallState): Promise<unknown> => {
    let running: Promise<unknown>;
    try {
      running = this.#rawAttempt(call);
    } catch (error) {
      return Promise.reject(this.#typed(error, call));
    }
    return running.catch((error: unknown) => {
      throw this.#typed(error, call);
    });
  };

  /** A fused call's first attempt: as is, or traced (and typed) when a tracer listens. */
  readonly #firstAttempt = (call: CallState): Promise<unknown> =>
    call.trace !== undefined || attemptTracing.hasSubscribers ? this.#runAttempt(call) : this.#rawAttempt(call);

  /** The call's own function as is (its errors still undici's or the user's). */
  readonly #rawAttempt = (call: CallState): Promise<unknown> => {
    if (call.socketAt !== undefined) call.socketAt = 0;
    return call.run(call);
  };

  #typed(error: unknown, call: CallState): unknown {
    return toSteadyError(error, {
      upstream: this.name,
      method: call.method,
      url: call.url,
      headersTimeout: this.options.timeouts.headers,
      bodyTimeout: this.options.timeouts.body,
      connectTimeout: this.options.pool.connectTimeout,
      attempt: call.attempt,
      elapsed: Date.now() - call.startedAt,
      closed: this.#closed || this.#closing !== undefined,
      signal: call.signal,
    });
  }

  readonly #succeeded = (result: unknown): unknown => {
    this.#calls.succeeded();
    return result;
  };

  readonly #failed = (error: unknown): never => {
    this.#countFailure(error);
    throw error;
  };

  #countFailure(error: unknown): void {
    this.#calls.failed(isTimeoutError(error) ? error.phase : undefined);
  }

  /** Pool, breaker, retry, budget and bulkhead figures, as plain JSON. */
  stats(): UpstreamStats {
    return buildStats(this, this.#pool, this.#pipeline, this.#calls);
  }

  /** Listen to an event; returns a disposer (also usable with `using`). */
  on<K extends UpstreamEventName>(event: K, listener: (event: UpstreamEvents[K]) => void): Disposer {
    return this.#events.on(event, listener);
  }

  /**
   * Graceful close: new calls fail with `STEADY_CLOSED`, in-flight calls finish (up to
   * `closeTimeout`; then every call still in flight — in an attempt, sleeping in a retry
   * backoff or queued in the bulkhead — fails with `STEADY_CLOSED` and sockets are destroyed),
   * and the promise resolves once every call has settled and every socket is closed: no timer
   * of Steady is left. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /**
   * Immediate close: every call in flight, sleeping in a backoff or queued fails with
   * `STEADY_CLOSED` at once, held response bodies are destroyed, sockets are destroyed.
   * Resolves once every call has settled.
   */
  async destroy(): Promise<void> {
    this.#closing ??= Promise.resolve();
    this.#pipeline.fleet?.leave();
    await this.#abortEverything();
    this.#finish(false);
  }

  /** End every call and socket now; resolves when every call has settled. */
  async #abortEverything(): Promise<void> {
    this.#pipeline.abortAll(this.#closedError);
    await this.#pool.pool.destroy().catch(() => {});
    // Rejections are settled; their bookkeeping runs in microtasks. A fallback that never
    // returns is the only thing that could hold a call now: do not wait for it for ever.
    await this.#calls.drain(1_000);
  }

  readonly #closedError = (ctx: CallContext): ClosedError =>
    new ClosedError({ upstream: this.name, method: ctx.method, url: ctx.url, attempt: ctx.attempt });

  async #close(): Promise<void> {
    this.#pipeline.fleet?.leave();
    this.#events.emit('closing', () => ({ upstream: this.name, inFlight: this.#calls.inFlight }));
    const deadline = Date.now() + this.options.closeTimeout;
    const drained = await this.#calls.drain(this.options.closeTimeout);
    const left = Math.max(0, deadline - Date.now());
    let graceful = drained;
    if (drained) {
      // Calls are settled; response bodies may still be streaming: let the pool finish them.
      graceful = await withTimeout(this.#pool.pool.close(), left);
    }
    if (!graceful) await this.#abortEverything();
    this.#finish(graceful);
  }

  #finish(graceful: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    forgetUpstream(this, this.#registration);
    this.#events.emit('closed', () => ({ upstream: this.name, drained: graceful }));
    this.#events.clear();
  }
}

/** Create an {@link Upstream}. Options are validated here, once; a bad one throws `STEADY_INVALID_OPTION`. */
export function createUpstream(options: UpstreamOptions): Upstream {
  return new Upstream(options);
}

/** A fallback policy for `request()`: the fallback's value becomes response data. */
function responseFallback(fallback: RequestFallback): FallbackPolicy {
  return new FallbackPolicy(answeringWithResponse(fallback));
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms).unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}
