import { isStreamBody, type CallOptions, type RetryCallOptions, type UpstreamRequestOptions } from '@steady/core';
import type { Options, RetryOptions } from 'ky';

/**
 * Per-request Steady options. Pass them through ky's `context` (`context: { steady: {...} }`),
 * or as `init.steady` when calling {@link steadyFetch} directly.
 */
export interface SteadyCallOptions extends Omit<CallOptions, 'signal'>, Pick<UpstreamRequestOptions, 'fallback'> {
  /**
   * Send the request body as a stream instead of reading it to bytes first. A streamed body is
   * not replayable: it is never retried, replayed on a stale socket, or resent on a 307/308.
   * Set automatically when ky's `body` is a `ReadableStream`, an async iterable or a Node stream.
   * @default false
   */
  streamBody?: boolean;
}

/** The key under which ky forwards the per-request options to the fetch bridge (an unknown ky option). */
export const STEADY_INIT_KEY = 'steady';

/** The largest ky `retry.limit` Steady accepts (`retry.retries` is 0…10). */
const MAX_RETRIES = 10;

const numericRetry = new Map<number, false | RetryCallOptions>();
const objectRetry = new WeakMap<object, RetryCallOptions>();

/**
 * ky's `retry` option, expressed as a Steady per-call retry override (cached, so the core
 * validates each distinct value once). `0` turns retries off; `n` sets `retries` (capped at 10);
 * an object maps `limit → retries`, `statusCodes → statuses`, `backoffLimit → maxDelay`,
 * `maxRetryAfter → maxRetryAfter`. `delay`, `jitter`, `shouldRetry`, `retryOnTimeout` and
 * `afterStatusCodes` are ignored: Steady's backoff and `Retry-After` handling apply.
 */
export function retryFromKy(retry: Options['retry']): false | RetryCallOptions | undefined {
  if (retry === undefined) return undefined;
  if (typeof retry === 'number') {
    let mapped = numericRetry.get(retry);
    if (mapped === undefined) {
      const retries = clampRetries(retry);
      mapped = retries === 0 ? false : Object.freeze({ retries });
      numericRetry.set(retry, mapped);
    }
    return mapped;
  }
  if (retry === null || typeof retry !== 'object') return undefined;
  let mapped = objectRetry.get(retry);
  if (mapped === undefined) {
    mapped = mapRetryObject(retry);
    objectRetry.set(retry, mapped);
  }
  return mapped.retries === 0 ? false : mapped;
}

function mapRetryObject(retry: RetryOptions): RetryCallOptions {
  const out: { -readonly [K in keyof RetryCallOptions]: RetryCallOptions[K] } = {};
  if (retry.limit !== undefined) out.retries = clampRetries(retry.limit);
  if (retry.statusCodes !== undefined) out.statuses = [...retry.statusCodes];
  if (retry.backoffLimit !== undefined && Number.isFinite(retry.backoffLimit)) out.maxDelay = retry.backoffLimit;
  if (retry.maxRetryAfter !== undefined && Number.isFinite(retry.maxRetryAfter))
    out.maxRetryAfter = retry.maxRetryAfter;
  return Object.freeze(out);
}

function clampRetries(limit: number): number {
  if (!Number.isFinite(limit) || limit <= 0) return 0;
  return Math.min(MAX_RETRIES, Math.floor(limit));
}

/**
 * ky's `timeout` and `totalTimeout` as Steady's per-call total deadline: the smaller of the
 * numbers given, or undefined (the upstream's `timeouts.total`) when neither is a number.
 */
export function deadlineFromKy(timeout: Options['timeout'], totalTimeout: Options['totalTimeout']): number | undefined {
  const a = typeof timeout === 'number' ? timeout : undefined;
  const b = typeof totalTimeout === 'number' ? totalTimeout : undefined;
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/**
 * The ky `init` hook that makes Steady the one owner of retries and deadlines: it maps the
 * request's ky `retry`, `timeout` and `totalTimeout` onto Steady's per-call options (explicit
 * `context.steady` values win), then turns ky's own retry and timers off (`retry: 0`,
 * `timeout: false`, `totalTimeout: false`). The result travels to the fetch bridge as an
 * unknown ky option, which ky forwards to `fetch(request, init)`.
 */
export function steadyInitHook(options: Options): void {
  const explicit = (options.context as { steady?: SteadyCallOptions } | undefined)?.steady;
  const retry = retryFromKy(options.retry);
  const timeout = deadlineFromKy(options.timeout, options.totalTimeout);
  const streamBody = isStreamBody(options.body);
  let call: SteadyCallOptions | undefined;
  if (retry !== undefined || timeout !== undefined || streamBody || explicit !== undefined) {
    call = {};
    if (retry !== undefined) call.retry = retry;
    if (timeout !== undefined) call.timeout = timeout;
    if (streamBody) call.streamBody = true;
    if (explicit !== undefined) Object.assign(call, explicit);
  }
  options.retry = 0;
  options.timeout = false;
  options.totalTimeout = false;
  (options as Record<string, unknown>)[STEADY_INIT_KEY] = call;
}
