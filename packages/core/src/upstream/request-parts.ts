import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ATTEMPT_OBSERVER, type AbortableAttempt, type AttemptObserver } from '../pool/stale-replay.ts';
import { InvalidRequestError } from '../errors/errors.ts';
import { headerValue } from '../http/request-facts.ts';
import type { ResultInfo, RetainedResult } from '../policies/policy.ts';
import type { UpstreamRequestOptions, UpstreamResponse } from './types.ts';

/** The parts of `upstream.request()` that are about HTTP, not about the policies. */

/** Path plus query string; a path that is not `/…` or holds whitespace or CR/LF is a typed error. */
export function buildPath(
  path: string,
  query: UpstreamRequestOptions['query'],
  upstream: string,
  method: string,
): string {
  if (typeof path !== 'string' || !path.startsWith('/') || /[\r\n\s]/.test(path)) {
    throw new InvalidRequestError(
      `path must be a string starting with "/" without spaces or CR/LF (received ${JSON.stringify(String(path)).slice(0, 80)})`,
      {
        upstream,
        method,
      },
    );
  }
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const text = params.toString();
  if (text === '') return path;
  return path + (path.includes('?') ? '&' : '?') + text;
}

/*
 * Why the per-call objects below are classes, not object literals.
 *
 * V8 pretenures an object literal's allocation site (allocates its objects straight in the old
 * generation) when its objects keep surviving young-generation GCs. These do: they live as long
 * as their call. A pretenured one that is dead still points at young objects, and young objects
 * that an old one points at survive every scavenge until the next full GC. Through the call state
 * and the response these are the whole call: the body, its chunks, the caller's objects. Measured
 * with `--trace-gc-nvp` on a fast upstream: when undici's response-data literal and the response
 * classifier's literal were pretenured (some runs, not all), every scavenge copied 13–20 MB
 * instead of ~0.6 MB, and a call cost ~8 µs more (`--no-allocation-site-pretenuring` removes it).
 * Instances of a class get no allocation site, so they are never pretenured.
 */

/** What an attempt observes once its response ended: nothing. */
const ENDED: AttemptObserver = Object.freeze({ idempotent: false, onSocket() {} });

/** undici's request options for one attempt of `upstream.request()` (a class: see above). */
export class AttemptRequest implements AttemptObserver {
  readonly origin: string;
  readonly path: string;
  readonly method: Dispatcher.HttpMethod;
  readonly headers: Dispatcher.DispatchOptions['headers'];
  readonly body: Dispatcher.DispatchOptions['body'];
  readonly signal: AbortSignal | undefined;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  /**
   * This attempt itself, for Steady's own pools: it passes on to its call when the request gets
   * a socket (queueing for one is never blamed on the upstream) and notes when its response ends.
   */
  readonly [ATTEMPT_OBSERVER]: AttemptObserver;
  /**
   * The call, until the pool lets go of this attempt (its response ended, or it failed for good);
   * then {@link ENDED}.
   */
  #call: AttemptObserver;
  #onEnd: (() => void) | undefined = undefined;

  constructor(
    origin: string,
    path: string,
    method: string,
    headers: unknown,
    body: unknown,
    signal: AbortSignal | undefined,
    headersTimeout: number,
    bodyTimeout: number,
    observer: AttemptObserver,
  ) {
    this.origin = origin;
    this.path = path;
    this.method = method as Dispatcher.HttpMethod;
    this.headers = headers as Dispatcher.DispatchOptions['headers'];
    this.body = body as Dispatcher.DispatchOptions['body'];
    this.signal = signal;
    this.headersTimeout = headersTimeout;
    this.bodyTimeout = bodyTimeout;
    this.#call = observer;
    this[ATTEMPT_OBSERVER] = this;
  }

  get idempotent(): boolean {
    return this.#call.idempotent;
  }

  onSocket(): void {
    this.#call.onSocket();
  }

  attach(attempt: AbortableAttempt): void {
    this.#call.attach?.(attempt);
  }

  detach(attempt: AbortableAttempt): void {
    this.#call.detach?.(attempt);
    // Let go of the call: the pool's handler, and so the response body, keep this request alive
    // for as long as the body is, and nothing asks the call anything after the response ended.
    this.#call = ENDED;
    const onEnd = this.#onEnd;
    this.#onEnd = undefined;
    onEnd?.();
  }

  /**
   * Call `onEnd` once the pool lets go of this attempt (every byte of its response arrived, or it
   * failed for good); false, keeping nothing, when it already has.
   */
  whenEnded(onEnd: () => void): boolean {
    if (this.#call === ENDED) return false;
    this.#onEnd = onEnd;
    return true;
  }

  /** These options as undici's dispatch options. */
  get options(): Dispatcher.DispatchOptions {
    return this as unknown as Dispatcher.DispatchOptions;
  }
}

/**
 * Send one attempt; resolve with its response data as a {@link ResponseData}. undici's promise
 * form of `request()` resolves with an object literal (see above); this copies it at once, so it
 * dies young. The same promises as undici's promise form.
 */
export function sendAttempt(
  dispatcher: Dispatcher,
  request: AttemptRequest,
  observed: boolean,
): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    dispatcher.request(request.options, (error, data) => {
      if (error !== null) reject(error);
      else resolve(new ResponseData(data, observed ? request : undefined));
    });
  });
}

/** undici's response data with the same fields (a class: see above). */
class ResponseData implements UpstreamResponse {
  statusCode: number;
  statusText: string;
  headers: UpstreamResponse['headers'];
  trailers: UpstreamResponse['trailers'];
  opaque: UpstreamResponse['opaque'];
  body: UpstreamResponse['body'];
  context: object;
  /** The attempt that got it, when Steady's own pool tells it when the response ends. */
  readonly #attempt: AttemptRequest | undefined;

  constructor(data: Dispatcher.ResponseData, attempt: AttemptRequest | undefined) {
    this.#attempt = attempt;
    this.statusCode = data.statusCode;
    this.statusText = data.statusText;
    this.headers = data.headers;
    this.trailers = data.trailers;
    this.opaque = data.opaque;
    this.body = data.body;
    this.context = data.context;
  }

  /** The attempt of a response from {@link sendAttempt} on Steady's own pool, else undefined. */
  static attemptOf(response: unknown): AttemptRequest | undefined {
    return typeof response === 'object' && response !== null && #attempt in response ? response.#attempt : undefined;
  }
}

/** The status and headers of a response, for the retry policy and the breaker. */
export function classifyResponse(res: UpstreamResponse): ResultInfo {
  return new ResponseInfo(res.statusCode, res.headers);
}

/** A response's status and header reader (a class: see above). */
class ResponseInfo implements ResultInfo {
  readonly status: number;
  readonly #headers: UpstreamResponse['headers'];

  constructor(status: number, headers: UpstreamResponse['headers']) {
    this.status = status;
    this.#headers = headers;
  }

  /** A function property (callers take it off the object, as `ResultInfo` allows). */
  readonly header = (name: string): string | undefined => headerValue(this.#headers, name);
}

/** Release a response that is retried past: its body is dumped so the socket is reused. */
export function discardResponse(res: UpstreamResponse): void {
  res.body.dump().catch(() => {});
}

/**
 * A response body the caller reads after `request()` resolved: the call's deadline and signal
 * stay in force while it streams (the deadline policy puts the function that ends them in
 * `release`). A body nobody touched is `unused()`: when the deadline then dumps it, that is no
 * failed call (no `timeout` event) — the call succeeded and the caller chose not to read.
 *
 * On Steady's own pools the hold ends when the pool lets go of the attempt: the response's last
 * byte arrived (or it failed). Past that point the deadline and the signal can no longer reach
 * the request, and a small body has usually arrived before the call resolves: then nothing is
 * held and no listener is added to the body. (Node's `once()` allocates its state from an object
 * literal; see "Why the per-call objects below are classes".) On a transport of the user's, the
 * hold ends when the body closes.
 */
export class HeldBody implements RetainedResult {
  release: (() => void) | undefined = undefined;
  #body: Readable | undefined = undefined;

  /** Hold `response.body` until its response ends (or the body closes); release at once when there is none. */
  hold(response: unknown): void {
    const release = this.release;
    if (release === undefined) return;
    const body = (response as { body?: Readable } | null)?.body;
    if (body === undefined || typeof body.once !== 'function' || body.destroyed) {
      release();
      return;
    }
    const attempt = ResponseData.attemptOf(response);
    if (attempt !== undefined) {
      if (attempt.whenEnded(release)) this.#body = body;
      else release();
      return;
    }
    this.#body = body;
    body.once('close', release);
  }

  unused(): boolean {
    const body = this.#body as (Readable & { bodyUsed?: boolean }) | undefined;
    return body !== undefined && !body.readableDidRead && body.readableFlowing === null && body.bodyUsed !== true;
  }
}
