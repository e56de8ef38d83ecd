import { InvalidRequestError, type RedirectRefusal } from '@steady/core';
import type { OutgoingRequest } from './request.ts';

/** A rejection shaped like fetch's own (`TypeError: fetch failed` with the reason as `cause`), which ky wraps in its `NetworkError`. */
export function fetchFailed(reason: string): TypeError {
  return new TypeError('fetch failed', { cause: new Error(reason) });
}

/**
 * A redirect that core's `nextRedirect()` refused, in fetch's idiom: `TypeError('fetch failed')`
 * with the reason as `cause`, except a target off the upstream's origin (or with credentials),
 * which is `STEADY_INVALID_REQUEST`: an upstream serves one origin.
 */
export function redirectError(
  refusal: RedirectRefusal,
  current: OutgoingRequest,
  origin: string,
  upstream: string,
): Error {
  switch (refusal.kind) {
    case 'too-many':
      return fetchFailed('redirect count exceeded');
    case 'invalid-location':
      return fetchFailed('invalid redirect location');
    case 'unsupported-scheme':
      return fetchFailed('URL scheme must be a HTTP(S) scheme');
    case 'stream-body':
      return fetchFailed('cannot follow a redirect with a streamed request body');
    case 'credentials':
    case 'cross-origin':
      return new InvalidRequestError(
        `redirect to another origin (${refusal.url.origin}) is not followed: an upstream serves one origin; use \`redirect: 'manual'\``,
        { upstream, method: current.method, url: `${origin}${current.path.split('?')[0] ?? ''}` },
      );
  }
}
