import { InvalidRequestError } from '@steady/core';
import { pathOf, type OutgoingRequest } from './request.ts';

/** fetch's redirect limit. */
export const MAX_REDIRECTS = 20;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Headers that describe a body, dropped when a redirect turns the request into a body-less GET. */
const BODY_HEADERS = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
]);

/** A redirect status. */
export function isRedirectStatus(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

/** A rejection shaped like fetch's own (`TypeError: fetch failed` with the reason as `cause`), which ky wraps in its `NetworkError`. */
export function fetchFailed(reason: string): TypeError {
  return new TypeError('fetch failed', { cause: new Error(reason) });
}

/**
 * The request to send after a redirect, following fetch's rules: 303 (and 301/302 after a POST)
 * becomes a body-less GET; 307/308 resend method and body, which needs a replayable (byte) body.
 * Only same-origin targets are followed: a redirect to another origin throws `STEADY_INVALID_REQUEST`.
 */
export function followRedirect(
  current: OutgoingRequest,
  currentUrl: string,
  status: number,
  location: string,
  origin: string,
  upstream: string,
): { request: OutgoingRequest; url: string } {
  let next: URL;
  try {
    next = new URL(location, currentUrl);
  } catch {
    throw fetchFailed('invalid redirect location');
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') throw fetchFailed('URL scheme must be a HTTP(S) scheme');
  next.hash = '';
  const url = next.href;
  const path = pathOf(url, origin);
  if (path === undefined) {
    throw new InvalidRequestError(
      `redirect to another origin (${next.origin}) is not followed: an upstream serves one origin; use \`redirect: 'manual'\``,
      { upstream, method: current.method, url: `${origin}${current.path.split('?')[0] ?? ''}` },
    );
  }
  const toGet =
    (status === 303 && current.method !== 'GET' && current.method !== 'HEAD') ||
    ((status === 301 || status === 302) && current.method === 'POST');
  if (toGet) {
    const headers: string[] = [];
    for (let i = 0; i + 1 < current.headers.length; i += 2) {
      if (!BODY_HEADERS.has(current.headers[i]!)) headers.push(current.headers[i]!, current.headers[i + 1]!);
    }
    return { request: { method: 'GET', path, headers, body: undefined }, url };
  }
  if (current.body !== undefined && !(current.body instanceof Uint8Array)) {
    throw fetchFailed('cannot follow a redirect with a streamed request body');
  }
  return { request: { ...current, path }, url };
}
