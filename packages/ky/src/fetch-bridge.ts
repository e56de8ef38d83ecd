import {
  createUpstreamFetch,
  isSteadyError,
  type Agent,
  type SteadyFetch,
  type SteadyRequestInit,
  type Upstream,
} from '@steady/core';
import { registerAgent, registerUpstream } from './upstream-registry.ts';

export type { SteadyFetch, SteadyRequestInit };

/**
 * A `fetch` that runs requests on `upstream` (core's `createUpstreamFetch`), so the policies
 * (deadline, retry, breaker, bulkhead) and the stale-socket replay apply. Hand it to ky as the
 * `fetch` option. It accepts a global `Request` (what ky always passes), a URL, or a path
 * (`'/users'`, resolved against the upstream's origin), and resolves with a global `Response`
 * whose body streams. It decodes gzip/deflate/br, follows same-origin redirects (`redirect`:
 * `'follow'` up to 20 within one total deadline, `'manual'`, `'error'`), resolves with a
 * `fallback`'s answer (the very `Response` it returned, or a `200` built from its
 * string/bytes/JSON value, as core's `RequestFallbackValue` says), and rejects with the
 * Steady error itself (`code`, `cause` kept, and ky's `request` attached) — or, when the
 * request's signal aborts, with the signal's reason, like fetch.
 */
export function steadyFetch(upstream: Upstream): SteadyFetch {
  const origin = upstream.origin;
  const fetchOnUpstream = kyIdiom(createUpstreamFetch(upstream), (input) =>
    typeof input === 'string' && input.startsWith('/') ? origin + input : input,
  );
  registerUpstream(fetchOnUpstream, upstream);
  return fetchOnUpstream;
}

/** `agent.fetch` in the same idiom as {@link steadyFetch}: any origin, each on its own upstream. */
export function agentFetch(agent: Agent): SteadyFetch {
  const fetchOnAgent = kyIdiom(agent.fetch, (input) => input);
  registerAgent(fetchOnAgent, agent);
  return fetchOnAgent;
}

/**
 * Core's fetch rejects like WHATWG fetch (`TypeError('fetch failed')`, the Steady error as
 * `cause`). ky wraps such a `TypeError` in its generic `NetworkError`; a Steady failure is
 * more useful as itself, so it is rethrown with ky's `request` attached. Redirect refusals
 * (`redirect count exceeded`, …) stay `TypeError`s, which ky turns into its `NetworkError`.
 */
function kyIdiom(fetch: SteadyFetch, resolve: (input: string | URL | Request) => string | URL | Request): SteadyFetch {
  return (input: string | URL | Request, init?: SteadyRequestInit) =>
    fetch(resolve(input), init).catch((error: unknown) => {
      const cause: unknown = error instanceof TypeError ? error.cause : undefined;
      if (!isSteadyError(cause)) throw error;
      if (input instanceof Request && !Object.hasOwn(cause, 'request')) {
        Object.defineProperty(cause, 'request', { value: input, configurable: true, writable: true });
      }
      throw cause;
    });
}
