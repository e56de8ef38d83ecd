import { InvalidRequestError } from '../errors/errors.ts';
import { redactUrl } from '../errors/steady-error.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { createRoutedFetch, type SteadyFetch } from './fetch.ts';

/**
 * A WHATWG `fetch` bound to one upstream (what `agent.fetch` is for many origins): a URL on
 * another origin, or a redirect to one, fails with `STEADY_INVALID_REQUEST` as the `cause`,
 * and nothing is sent.
 */
export function createUpstreamFetch(upstream: Upstream): SteadyFetch {
  const origin = upstream.origin;
  return createRoutedFetch({
    crossOrigin: false,
    route(url, method) {
      if (url.origin === origin) return upstream;
      throw new InvalidRequestError(
        `URL ${redactUrl(url)} is not on the upstream's origin ${origin}: use a path, or a URL on that origin`,
        { upstream: upstream.name, method },
      );
    },
  });
}
