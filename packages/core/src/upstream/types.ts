import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { HedgeOptions } from '../policies/hedge-options.ts';
import type { RequestFallback } from '../http/fallback-response.ts';
import type { CallContext, ResultInfo } from '../policies/policy.ts';
import type { RetryCallOptions } from '../policies/retry-options.ts';

/** Per-call policy options, accepted by `request()` and `execute()`. */
export interface CallOptions {
  /** Caller's cancellation: aborts the request and frees its socket; rejects with `STEADY_ABORTED`. */
  signal?: AbortSignal;
  /**
   * Total deadline for this call in ms, replacing `timeouts.total`: 1…2 147 483 647 (2³¹−1), or
   * `Infinity` for none. Anything else rejects the call with `STEADY_INVALID_OPTION`, like every
   * per-call option here (checked where the call enters, nothing sent).
   */
  timeout?: number;
  /** Treat the call as idempotent (or not), whatever its method. */
  idempotent?: boolean;
  /**
   * `false` turns retries off for this call; an object overrides the upstream's retry options
   * for it (checked where the call enters: a bad one rejects with `STEADY_INVALID_OPTION`).
   */
  retry?: false | RetryCallOptions;
  /** `false` lets this call bypass the circuit breaker. */
  breaker?: false;
  /** `false` lets this call bypass the bulkhead. */
  bulkhead?: false;
  /** `false` turns hedging off for this call; an object hedges it (idempotent, replayable calls only). */
  hedge?: false | HedgeOptions;
}

/** A request body; a function is called for every attempt, which makes any body replayable. */
export type RequestBody =
  | string
  | Uint8Array
  | Buffer
  | Readable
  | AsyncIterable<Uint8Array>
  | null
  | undefined
  | (() => string | Uint8Array | Buffer | Readable | AsyncIterable<Uint8Array> | null | undefined);

/** Options of `upstream.request(path, options)`: undici's request options plus the policies'. */
export interface UpstreamRequestOptions extends CallOptions {
  /** @default 'GET' */
  method?: string;
  headers?: Record<string, string | string[] | undefined> | string[] | Iterable<[string, string]> | null;
  body?: RequestBody;
  /** Query parameters appended to `path`. */
  query?: Record<string, string | number | boolean | undefined | Array<string | number | boolean>>;
  /** Per-attempt headers timeout, ms (default `timeouts.headers`). */
  headersTimeout?: number;
  /** Per-attempt body idle timeout, ms (default `timeouts.body`). */
  bodyTimeout?: number;
  /**
   * Answer instead of failing, for this call (replaces the upstream's `fallback`). Its value
   * becomes the response by the rule of `RequestFallbackValue`: a `Response` or undici
   * response data as is, a string, bytes or a JSON value as the body of a `200`; anything else
   * fails the call with `STEADY_INVALID_OPTION`. So `request()` always resolves with response data.
   */
  fallback?: RequestFallback;
  /**
   * Read the response body to its end inside the call, and resolve with a `WholeResponse` (the bytes
   * in memory, undici's body methods on them) instead of a streaming body. The deadline covers the
   * body; a failure mid-body fails the attempt, so an idempotent call is retried; the socket is back
   * in the pool when the call resolves. Bounded by `pool.maxResponseSize`. For callers that read the
   * whole body anyway (the axios adapter): it skips the stream and is the cheaper path. A fallback's
   * answer stays undici's response data (`isWholeResponse()` tells them apart).
   * @default false
   */
  wholeBody?: boolean;
}

/** What `request()` resolves with: undici's response data. */
export type UpstreamResponse = Dispatcher.ResponseData;

/** What an `execute()` attempt function receives. */
export interface AttemptContext {
  /** Abort the attempt's I/O when this fires (deadline, caller abort, close). */
  signal: AbortSignal;
  /** 0 for the first attempt. */
  attempt: number;
  /** Absolute `Date.now()` deadline of the whole call (`Infinity` when none). */
  deadline: number;
  /** The upstream's dispatcher: send the attempt's request through it. */
  dispatcher: Dispatcher;
}

/** Options of `upstream.execute(attempt, options)`. */
export interface ExecuteOptions<T> extends CallOptions {
  /** HTTP method the attempt sends (decides retry safety). @default 'GET' */
  method?: string;
  /** Headers the attempt sends (only `Idempotency-Key` is read). */
  headers?: unknown;
  /** URL or path for errors and events (query and credentials are removed). */
  url?: string;
  /** False when the attempt cannot be sent twice (a stream body). @default true */
  replayable?: boolean;
  /** Read the status (and headers) of a result so the policies can retry or count it. */
  classify?: (result: T) => ResultInfo | undefined;
  /** Release a result that will be retried past (dump its body). */
  discard?: (result: T) => void;
  /**
   * Answer instead of failing, for this call: its value is what `execute()` resolves with, so it
   * has the attempt's type. (The upstream's `fallback` answers `request()` calls only.)
   */
  fallback?: (error: unknown, ctx: CallContext) => T | PromiseLike<T>;
}
