import { AxiosError, type InternalAxiosRequestConfig } from 'axios';
import type { Dispatcher } from 'undici';

/** follow-redirects' default, which axios' http adapter inherits when `maxRedirects` is unset. */
export const DEFAULT_MAX_REDIRECTS = 21;

/** The next hop of a redirect chain. */
export interface RedirectHop {
  url: URL;
  method: string;
  /** False when the method changed to GET and the body (and its `Content-*` headers) are dropped. */
  keepBody: boolean;
}

/**
 * Decide whether a response is a redirect to follow and where it goes, with
 * follow-redirects' rules (which axios' http adapter uses): any 3xx with a `Location`;
 * 301/302 turn POST into GET; 303 turns anything but GET/HEAD into GET.
 * Returns undefined when the response is final.
 */
export function redirectOf(res: Dispatcher.ResponseData, current: URL, method: string): RedirectHop | undefined {
  const status = res.statusCode;
  if (status < 300 || status >= 400) return undefined;
  const location = res.headers.location;
  if (location === undefined) return undefined;
  const url = new URL(Array.isArray(location) ? location[0]! : location, current);
  const toGet =
    ((status === 301 || status === 302) && method === 'POST') ||
    (status === 303 && method !== 'GET' && method !== 'HEAD');
  return toGet ? { url, method: 'GET', keepBody: false } : { url, method, keepBody: true };
}

/** follow-redirects' error when a chain is longer than `maxRedirects`, as axios surfaces it. */
export function tooManyRedirectsError(config: InternalAxiosRequestConfig, request: unknown): AxiosError {
  return new AxiosError('Maximum number of redirects exceeded', AxiosError.ERR_FR_TOO_MANY_REDIRECTS, config, request);
}

/** Remove every header whose name starts with `content-`, for a redirect that drops the body. */
export function dropContentHeaders(headers: Record<string, string | string[]>): void {
  for (const name of Object.keys(headers)) {
    if (name.length > 8 && name.slice(0, 8).toLowerCase() === 'content-') delete headers[name];
  }
}
