import type { AxiosError } from 'axios';
import type { RequestFallbackValue, UpstreamRequestOptions } from '@steady/core';

/**
 * Per-request Steady policy overrides, set as `config.steady` on any axios request
 * that runs through a Steady adapter.
 *
 * @example
 * await api.post('/payments', body, { steady: { idempotent: true, timeout: 2_000 } });
 * await api.get('/health', { steady: { retry: false, breaker: false } });
 */
export interface SteadyRequestOptions extends Pick<
  UpstreamRequestOptions,
  'retry' | 'idempotent' | 'timeout' | 'breaker' | 'bulkhead' | 'hedge' | 'headersTimeout' | 'bodyTimeout'
> {
  /**
   * Answer instead of failing: called with the `AxiosError` the call would reject with
   * (policy, network, timeout, cancel — not an HTTP status refused by `validateStatus`).
   * Core's rule (`RequestFallbackValue`) in axios' terms: a `Response` (or undici response data)
   * is read like the upstream's answer; a string, bytes or a JSON value becomes `response.data`
   * (status 200), then goes through `transformResponse` like any body; `undefined` and other
   * non-values fail with `STEADY_INVALID_OPTION`.
   * `response.request.fallback` is true either way.
   */
  fallback?: (error: AxiosError) => RequestFallbackValue | PromiseLike<RequestFallbackValue>;
}

declare module 'axios' {
  interface AxiosRequestConfig {
    /**
     * Steady policy overrides for this request (only read by the Steady adapter).
     * `timeout` here wins over axios' own `timeout`.
     */
    steady?: SteadyRequestOptions;
  }
}
