import type { Dispatcher } from 'undici';
import { redactUrl } from '../errors/steady-error.ts';
import type { CallTraceMessage } from '../events/diagnostics.ts';
import type { EventHub } from '../events/events.ts';
import type { CallContext, PolicyOverrides, ResultInfo } from '../policies/policy.ts';
import type { AbortableAttempt, AttemptObserver } from '../pool/stale-replay.ts';
import type { AttemptContext } from './types.ts';

/** How one call is classified and released, given by `request()` or by `execute()`'s options. */
export interface CallShape {
  method: string;
  /** Path or URL as given; redacted only when an error or an event needs it. */
  rawUrl: string | undefined;
  idempotent: boolean;
  replayable: boolean;
  classify: ((result: never) => ResultInfo | undefined) | undefined;
  discard: ((result: never) => void) | undefined;
  /** The attempt reports when its request gets a socket (`request()` does; `execute()` cannot). */
  observed: boolean;
}

/**
 * One call's {@link CallContext}, also handed to the attempt as its {@link AttemptContext}:
 * a class, so every call has the same shape; the redacted URL is built only if an error or
 * an event asks for it, and a result is classified once however many policies ask.
 */
export class CallState implements CallContext, AttemptContext, AttemptObserver {
  readonly upstream: string;
  readonly method: string;
  readonly idempotent: boolean;
  readonly replayable: boolean;
  readonly startedAt: number;
  signal: AbortSignal;
  deadline: number;
  attempt = 0;
  /** See {@link CallContext.socketAt}; reset to 0 as each observed attempt starts. */
  socketAt: number | undefined;
  readonly overrides: PolicyOverrides;
  readonly discard: CallContext['discard'];
  readonly events: EventHub;
  readonly retain: CallContext['retain'];
  /** Runs one attempt of the call. */
  readonly run: (ctx: AttemptContext) => Promise<unknown>;
  readonly dispatcher: Dispatcher;
  /** See {@link CallContext.lightSignal}: only `request()`'s own attempt (observed) gets one. */
  readonly lightSignal: boolean;
  /** The call's `steady:call` tracing message; undefined unless that channel has subscribers. */
  trace: CallTraceMessage | undefined = undefined;
  readonly #origin: string;
  readonly #rawUrl: string | undefined;
  readonly #classifier: ((result: unknown) => ResultInfo | undefined) | undefined;
  #url: string | undefined | null = null;
  #classified: unknown = undefined;
  #info: ResultInfo | undefined = undefined;
  #inFlight: AbortableAttempt | undefined = undefined;

  constructor(
    upstream: string,
    origin: string,
    shape: CallShape,
    signal: AbortSignal,
    total: number,
    overrides: PolicyOverrides,
    events: EventHub,
    retain: CallContext['retain'],
    run: (ctx: AttemptContext) => Promise<unknown>,
    dispatcher: Dispatcher,
  ) {
    this.upstream = upstream;
    this.method = shape.method;
    this.idempotent = shape.idempotent;
    this.replayable = shape.replayable;
    this.startedAt = Date.now();
    this.signal = signal;
    this.deadline = this.startedAt + total;
    this.socketAt = shape.observed ? 0 : undefined;
    this.lightSignal = shape.observed;
    this.overrides = overrides;
    this.discard = shape.discard as CallContext['discard'];
    this.events = events;
    this.retain = retain;
    this.run = run;
    this.dispatcher = dispatcher;
    this.#origin = origin;
    this.#rawUrl = shape.rawUrl;
    this.#classifier = shape.classify as ((result: unknown) => ResultInfo | undefined) | undefined;
  }

  /** The same call with its own signal and attempt number: one request of a hedged round. */
  fork(signal: AbortSignal, attempt: number): CallState {
    const shape: CallShape = {
      method: this.method,
      rawUrl: this.#rawUrl,
      idempotent: this.idempotent,
      replayable: this.replayable,
      classify: this.#classifier,
      discard: this.discard,
      observed: this.socketAt !== undefined,
    };
    const copy = new CallState(
      this.upstream,
      this.#origin,
      shape,
      signal,
      0,
      this.overrides,
      this.events,
      this.retain,
      this.run,
      this.dispatcher,
    );
    (copy as { startedAt: number }).startedAt = this.startedAt;
    copy.deadline = this.deadline;
    copy.attempt = attempt;
    // What compose() keeps on the context (the call's innermost function) goes along.
    for (const key of Object.getOwnPropertySymbols(this)) {
      (copy as unknown as Record<symbol, unknown>)[key] = (this as unknown as Record<symbol, unknown>)[key];
    }
    return copy;
  }

  /** The attempt's request was written to a socket. */
  onSocket(): void {
    this.socketAt = Date.now();
  }

  /**
   * The running attempt's request, which this call aborts when its signal fires (Steady's own
   * pools: the request carries no signal of its own). One at a time: attempts run in turn, and
   * a hedged copy has a call state of its own.
   */
  attach(attempt: AbortableAttempt): void {
    if (this.signal.aborted) {
      attempt.abort(this.signal.reason);
      return;
    }
    this.#inFlight = attempt;
    this.signal.addEventListener('abort', this);
  }

  detach(attempt: AbortableAttempt): void {
    if (this.#inFlight !== attempt) return;
    this.#inFlight = undefined;
    this.signal.removeEventListener('abort', this);
  }

  /** The call's signal fired: abort the request in flight. */
  handleEvent(): void {
    const attempt = this.#inFlight;
    this.#inFlight = undefined;
    attempt?.abort(this.signal.reason);
  }

  /** Origin and path, no query, no credentials. */
  get url(): string | undefined {
    if (this.#url === null) {
      this.#url = callUrl(this.#rawUrl, this.#origin);
    }
    return this.#url;
  }

  /** The status (and headers) of a result, computed once per result. */
  classify(result: unknown): ResultInfo | undefined {
    if (this.#classifier === undefined) return undefined;
    if (result !== this.#classified || this.#info === undefined) {
      this.#classified = result;
      this.#info = this.#classifier(result);
    }
    return this.#info;
  }
}

/** A call's URL for errors and events: resolved against the origin, no query, no credentials. */
export function callUrl(rawUrl: string | undefined, origin: string): string | undefined {
  return rawUrl === undefined ? undefined : redactUrl(URL.parse(rawUrl, origin) ?? rawUrl);
}
