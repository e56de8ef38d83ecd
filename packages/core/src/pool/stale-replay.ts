import { AsyncLocalStorage } from 'node:async_hooks';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { callsInContext } from '../events/diagnostics.ts';
import { errorCode, isIdempotentRequest, isReplayableBody, STALE_SOCKET_CODES } from '../http/request-facts.ts';
import { isRefusedStream } from '../http/refused-stream.ts';
import type { ClientAware, TrackedClient } from './tracked-client.ts';

/** What the replay reports, for stats and the `replay` event, and the response-size bound. */
export interface ReplayHooks {
  /**
   * Idempotent methods for a request sent on the dispatcher without a Steady call (e.g. with
   * `undici.request`): the upstream's `retry.methods`. A Steady call brings its own verdict.
   * @default IDEMPOTENT_METHODS
   */
  idempotentMethods?: readonly string[];
  onReplay(method: string, path: string, reason: string): void;
  /** A pool socket opened (for the `steady:upstream:socket` channel). */
  onSocketOpen?(socket: Socket): void;
  /** Type an error raised while the response body streams (the caller reads it from the body). */
  mapBodyError?(error: Error, method: string, path: string): Error;
  /** Most response-body bytes read off the socket (`pool.maxResponseSize`); Infinity for no bound. */
  maxResponseSize?: number;
  /** The error a response past `maxResponseSize` fails with. */
  tooLarge?(method: string, path: string): Error;
}

/**
 * Dispatch options may carry, under this key, the attempt that sent them: it is told when the
 * request gets a socket (so time spent queueing for a local socket is never blamed on the upstream).
 */
export const ATTEMPT_OBSERVER: unique symbol = Symbol('steady.attempt-observer');

/** Told when an attempt's request is written to a socket; says whether its call is idempotent. */
export interface AttemptObserver {
  onSocket(): void;
  /**
   * The call's own idempotency (its method in the upstream's `retry.methods`, an
   * `Idempotency-Key`, or the caller's `idempotent` option): the retry policy decides with it,
   * and so does the replay.
   */
  readonly idempotent: boolean;
  /**
   * The attempt's request is in flight until {@link detach}: the observer aborts it with
   * `attempt.abort(reason)` when the call's deadline or signal fires. Observers that have it get
   * no `signal` in their dispatch options (no abort listener in undici per request).
   */
  attach?(attempt: AbortableAttempt): void;
  /** The attempt settled (response ended, or failed for good): no abort reaches it any more. */
  detach?(attempt: AbortableAttempt): void;
}

/** An attempt an {@link AttemptObserver} can abort. */
export interface AbortableAttempt {
  abort(reason: unknown): void;
}

/** Whether a failed request may have reached the server. Read with {@link deliveryOf}. */
const deliveries = new WeakMap<object, 'not-sent' | 'unknown'>();

/** `not-sent` when the request failed before undici started writing it, `unknown` after. */
export function deliveryOf(error: unknown): 'not-sent' | 'unknown' | undefined {
  return typeof error === 'object' && error !== null ? deliveries.get(error) : undefined;
}

type Controller = Dispatcher.DispatchController;

/**
 * The stale-socket replay interceptor: a request that fails on a *reused* keep-alive
 * socket before any response byte (ECONNRESET, EPIPE, "other side closed") is replayed
 * once, at once, on the same client — whose dead socket is gone, so the replay goes out
 * on a fresh connection, never on another pooled socket that may be stale too. Only
 * idempotent calls (as the retry policy judges them: the call's `idempotent` option, else its
 * method in `retry.methods` or an `Idempotency-Key`) with a replayable body, or requests that
 * provably never left, are replayed.
 */
export function createStaleReplayInterceptor(hooks: ReplayHooks): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => dispatch(options, new StaleReplayHandler(options, handler, hooks));
}

/** Per-request state of the replay. */
export class StaleReplayHandler implements Dispatcher.DispatchHandler, ClientAware, AbortableAttempt {
  readonly #options: Dispatcher.DispatchOptions;
  readonly #handler: Dispatcher.DispatchHandler;
  readonly #hooks: ReplayHooks;
  #client: TrackedClient | null = null;
  #controller: Controller | null = null;
  #proxy: ProxyController;
  #innerStarted = false;
  #written = false;
  #reused = false;
  #responded = false;
  #replayed = false;
  #settled = false;
  /** The request's async context, kept only while a tracer runs calls in its own context: the replay is reported in it. */
  readonly #context: (<R>(fn: () => R) => R) | undefined;
  /** Response-body bytes received so far. */
  #received = 0;

  constructor(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler, hooks: ReplayHooks) {
    this.#options = options;
    this.#handler = handler;
    this.#hooks = hooks;
    this.#context = callsInContext.count > 0 ? AsyncLocalStorage.snapshot() : undefined;
    this.#proxy = new ProxyController(this);
    (options as { [ATTEMPT_OBSERVER]?: AttemptObserver })[ATTEMPT_OBSERVER]?.attach?.(this);
  }

  /** End the request now with `reason` (its call's deadline or signal fired), wherever it is. */
  abort(reason: unknown): void {
    this.#proxy.abort(reason);
  }

  /** The request settled for good: its observer lets go of it. */
  #done(): void {
    (this.#options as { [ATTEMPT_OBSERVER]?: AttemptObserver })[ATTEMPT_OBSERVER]?.detach?.(this);
  }

  attachClient(client: TrackedClient): void {
    this.#client = client;
  }

  onRequestStart(controller: Controller, context: unknown): void {
    this.#controller = controller;
    this.#written = true;
    const state = this.#client?.socketState;
    if (state !== undefined) {
      this.#reused = state.served > 0;
      state.served++;
    }
    (this.#options as { [ATTEMPT_OBSERVER]?: AttemptObserver })[ATTEMPT_OBSERVER]?.onSocket();
    if (this.#proxy.aborted) {
      controller.abort(this.#proxy.reason as Error);
      return;
    }
    if (!this.#innerStarted) {
      this.#innerStarted = true;
      this.#handler.onRequestStart?.(this.#proxy as unknown as Controller, context);
    }
  }

  onRequestUpgrade(
    controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[]>,
    socket: Duplex,
  ): void {
    this.#responded = true;
    this.#done();
    this.#handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    this.#responded = true;
    const declared = headers['content-length'];
    if (declared !== undefined && Number(declared) > (this.#hooks.maxResponseSize ?? Infinity)) {
      this.#tooLarge(controller);
      return;
    }
    this.#handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    this.#received += chunk.length;
    if (this.#received > (this.#hooks.maxResponseSize ?? Infinity)) {
      this.#tooLarge(controller);
      return;
    }
    this.#handler.onResponseData?.(controller, chunk);
  }

  /** Stop reading a response past `maxResponseSize`: the request is aborted and its socket destroyed. */
  #tooLarge(controller: Controller): void {
    const method = (this.#options.method ?? 'GET').toUpperCase();
    const error = this.#hooks.tooLarge?.(method, String(this.#options.path ?? '/')) ?? new Error('response too large');
    controller.abort(error);
  }

  onResponseEnd(controller: Controller, trailers: Record<string, string | string[] | undefined>): void {
    this.#settled = true;
    this.#done();
    this.#handler.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Controller | null, error: Error): void {
    if (this.#settled) return;
    if (this.#shouldReplay(error)) {
      this.#replayed = true;
      const client = this.#client!;
      this.#controller = null;
      const method = (this.#options.method ?? 'GET').toUpperCase();
      const reason = errorCode(error) ?? error.message;
      const report = () => this.#hooks.onReplay(method, String(this.#options.path ?? '/'), reason);
      // Reported in the request's own context (a socket's events run in the socket's).
      if (this.#context === undefined) report();
      else this.#context(report);
      // Let the client finish tearing down the dead socket, then send on a fresh one.
      queueMicrotask(() => {
        if (this.#proxy.aborted) return;
        this.#written = false;
        this.#reused = false;
        client.dispatch(this.#options, this);
      });
      return;
    }
    this.#settled = true;
    this.#done();
    if (this.#responded && this.#hooks.mapBodyError !== undefined) {
      error = this.#hooks.mapBodyError(
        error,
        (this.#options.method ?? 'GET').toUpperCase(),
        String(this.#options.path ?? '/'),
      );
    } else if (!deliveries.has(error)) {
      deliveries.set(error, this.#written && !isRefusedStream(error) ? 'unknown' : 'not-sent');
    }
    this.#handler.onResponseError?.(controller ?? (this.#proxy as unknown as Controller), error);
  }

  #shouldReplay(error: Error): boolean {
    if (this.#replayed || this.#responded || !this.#reused || this.#client === null) return false;
    if (this.#proxy.aborted || this.#client.closed || this.#client.destroyed) return false;
    const code = errorCode(error);
    if (code === undefined || !STALE_SOCKET_CODES.has(code)) return false;
    const observer = (this.#options as { [ATTEMPT_OBSERVER]?: AttemptObserver })[ATTEMPT_OBSERVER];
    const idempotent =
      observer !== undefined
        ? observer.idempotent
        : isIdempotentRequest(
            this.#options.method ?? 'GET',
            this.#options.headers,
            undefined,
            this.#hooks.idempotentMethods,
          );
    return isReplayableBody(this.#options.body) && (idempotent || !this.#written);
  }

  /** The controller of the attempt that is running, null between a failed attempt and its replay. */
  get currentController(): Controller | null {
    return this.#controller;
  }

  /** @internal The caller aborted while a replay was being scheduled. */
  abortBetweenAttempts(reason: unknown): void {
    // Aborted while a replay was being scheduled: settle the caller now.
    if (this.#settled) return;
    this.#settled = true;
    this.#done();
    const error = reason instanceof Error ? reason : new Error(String(reason));
    this.#handler.onResponseError?.(this.#proxy as unknown as Controller, error);
  }
}

/**
 * The controller the caller's handler sees: stable across a replay, it forwards abort,
 * pause and resume to the controller of the attempt that is running.
 */
class ProxyController {
  readonly #owner: StaleReplayHandler;
  #aborted = false;
  #reason: unknown = null;
  #paused = false;

  constructor(owner: StaleReplayHandler) {
    this.#owner = owner;
  }

  #current(): Controller | null {
    return this.#owner.currentController;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const current = this.#current();
    if (current !== null) current.abort(reason as Error);
    else this.#owner.abortBetweenAttempts(reason);
  }

  pause(): void {
    this.#paused = true;
    this.#current()?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#current()?.resume();
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get rawHeaders(): unknown {
    return (this.#current() as { rawHeaders?: unknown } | null)?.rawHeaders ?? null;
  }

  get rawTrailers(): unknown {
    return (this.#current() as { rawTrailers?: unknown } | null)?.rawTrailers ?? null;
  }
}
