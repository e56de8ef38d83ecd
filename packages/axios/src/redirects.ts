import { AxiosError, type InternalAxiosRequestConfig } from 'axios';
import type { RedirectRefusal, UpstreamResponse, WholeResponse } from '@steady/core';
import { originMismatchError } from './errors.ts';
import { axiosResponseOf } from './response.ts';
import type { SteadyRequestInfo } from './request-info.ts';

/**
 * A redirect that core's `nextRedirect()` refused, in axios' idiom: follow-redirects' error
 * past `maxRedirects`, the `Location`'s own parse error (the adapter's catch wraps it like any
 * other), `ERR_BAD_REQUEST` with the 3xx response for a target off the upstream's origin, and
 * `ERR_BAD_REQUEST` for a stream body that a 307/308 would have to resend.
 */
export function redirectError(
  refusal: RedirectRefusal,
  res: UpstreamResponse | WholeResponse,
  origin: string,
  config: InternalAxiosRequestConfig,
  request: SteadyRequestInfo,
): unknown {
  switch (refusal.kind) {
    case 'too-many':
      return new AxiosError(
        'Maximum number of redirects exceeded',
        AxiosError.ERR_FR_TOO_MANY_REDIRECTS,
        config,
        request,
      );
    case 'invalid-location':
      return refusal.cause;
    case 'stream-body':
      return new AxiosError(
        `cannot resend a stream body to follow a ${res.statusCode} redirect`,
        AxiosError.ERR_BAD_REQUEST,
        config,
        request,
      );
    default:
      return originMismatchError(refusal.url, origin, config, request, axiosResponseOf(res, config, request));
  }
}
