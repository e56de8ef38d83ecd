import { AxiosError, CanceledError, isCancel, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { ErrorCode, isSteadyError, isTimeoutError, NetworkError, redactUrl, TimeoutError } from '@steady/core';
import type { SteadyRequestInfo } from './request-info.ts';

/**
 * Re-express any failure of a Steady-backed axios call in axios' idiom:
 * - an `AxiosError` passes through unchanged;
 * - the caller's `signal` or `cancelToken` (`STEADY_ABORTED`) becomes axios' `CanceledError`;
 * - any other `SteadyError` becomes an `AxiosError` whose `code` is the Steady code
 *   (e.g. `STEADY_CIRCUIT_OPEN`) and whose `cause` is the `SteadyError`;
 * - anything else becomes `AxiosError.from(error)`, as in axios' http adapter.
 */
export function toAxiosError(
  error: unknown,
  config: InternalAxiosRequestConfig,
  request: SteadyRequestInfo,
  signal: AbortSignal | undefined,
): AxiosError {
  if (error instanceof AxiosError) return error;
  if (signal?.aborted === true || (isSteadyError(error) && error.code === ErrorCode.ABORTED)) {
    const reason: unknown = signal?.reason;
    return isCancel(reason) ? reason : new CanceledError(undefined, config, request);
  }
  const steady = isSteadyError(error) ? error : fromBodyError(error, request, config);
  if (steady === undefined) return AxiosError.from(error, undefined, config, request);
  const wrapped = AxiosError.from(steady, steady.code, config, request);
  wrapped.name = 'AxiosError';
  if (config.timeoutErrorMessage && isTimeoutError(steady) && steady.phase === 'total') {
    wrapped.message = config.timeoutErrorMessage;
  }
  return wrapped;
}

/**
 * `upstream.request()` maps errors up to the response headers; a failure while the body is
 * read reaches the adapter as a raw undici error. Type the two that matter.
 */
function fromBodyError(
  error: unknown,
  request: SteadyRequestInfo,
  config: InternalAxiosRequestConfig,
): TimeoutError | NetworkError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const context = { upstream: request.upstream, method: request.method, url: redactUrl(request.res.responseUrl) };
  if (code === 'UND_ERR_BODY_TIMEOUT') return new TimeoutError('body', config.steady?.bodyTimeout, context, error);
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') return new NetworkError('unknown', context, error);
  return undefined;
}

/** The error for a URL (or a redirect `Location`) outside the upstream's origin. */
export function originMismatchError(
  url: URL,
  origin: string,
  config: InternalAxiosRequestConfig,
  request: SteadyRequestInfo,
  response?: AxiosResponse,
): AxiosError {
  const what = response === undefined ? 'request URL' : `redirect (status ${response.status}) location`;
  return new AxiosError(
    `${what} origin ${url.origin} differs from the upstream's origin ${origin}: ` +
      'a Steady axios instance only sends to its own origin',
    AxiosError.ERR_BAD_REQUEST,
    config,
    request,
    response,
  );
}
