import {
  fallbackAnswer,
  hopTimeout,
  isAbortedError,
  isSteadyError,
  nextRedirect,
  redirectLocation,
  type Upstream,
  type UpstreamRequestOptions,
} from '@steady/core';
import { isStreamBody, type SteadyCallOptions } from './call-options.ts';
import { fetchFailed, redirectError } from './redirect.ts';
import { translateRequest, type OutgoingRequest } from './request.ts';
import { discardBody, toResponse } from './response.ts';
import { registerUpstream } from './upstream-registry.ts';

/** The `init` of {@link steadyFetch}: a standard `RequestInit` plus the per-call Steady options. */
export interface SteadyRequestInit extends RequestInit {
  /** Steady's per-call options (deadline, retry override, idempotency, …). */
  steady?: SteadyCallOptions | undefined;
}

/** A fetch-compatible function that runs every request on one upstream. */
export type SteadyFetch = (input: string | URL | Request, init?: SteadyRequestInit) => Promise<Response>;

/** `RequestInit` members that change the request; without any, a `Request` input is used as is (no copy). */
const REQUEST_FIELDS = ['method', 'headers', 'body', 'signal', 'redirect', 'credentials', 'mode', 'cache', 'referrer'];

/**
 * A `fetch` that runs requests on `upstream`'s undici pool through `upstream.request()`, so the
 * policies (deadline, retry, breaker, bulkhead) and the stale-socket replay apply. Hand it to ky
 * as the `fetch` option. It accepts a global `Request` (what ky always passes), a URL, or a path
 * (`'/users'`, resolved against the upstream's origin), and resolves with a global `Response`
 * whose body streams. It decodes gzip/deflate/br, follows same-origin redirects (`redirect`:
 * `'follow'` up to 20, `'manual'`, `'error'`), resolves with a `fallback`'s answer (the very
 * `Response` it returned, or a `200` built from its string/bytes/JSON value, as core's
 * `RequestFallbackValue` says), and rejects with the Steady error itself
 * (`code`, `cause` kept, and ky's `request` attached) — or, when the request's signal aborts,
 * with the signal's reason, like fetch.
 */
export function steadyFetch(upstream: Upstream): SteadyFetch {
  const origin = upstream.origin;
  const fetchOnUpstream: SteadyFetch = (input, init) => {
    let request: Request;
    try {
      request = toRequest(input, init, origin);
    } catch (error) {
      return Promise.reject(error);
    }
    const signal = request.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    const call = init?.steady;
    const fail = (error: unknown): never => {
      throw surface(error, request);
    };
    try {
      const streamBody = call?.streamBody === true || isStreamBody(init?.body);
      const outgoing = translateRequest(request, origin, upstream.name, streamBody);
      const sent =
        outgoing instanceof Promise
          ? outgoing.then((first) => send(upstream, first, request, call))
          : send(upstream, outgoing, request, call);
      return sent.catch(fail);
    } catch (error) {
      return Promise.reject(surface(error, request));
    }
  };
  registerUpstream(fetchOnUpstream, upstream);
  return fetchOnUpstream;
}

/** One hop: the request, then either the final `Response` or the next hop of a redirect. */
function send(
  upstream: Upstream,
  outgoing: OutgoingRequest,
  request: Request,
  call: SteadyCallOptions | undefined,
  deadline = call?.timeout === undefined ? undefined : Date.now() + call.timeout,
  url = request.url,
  redirects = 0,
): Promise<Response> {
  const options: UpstreamRequestOptions = {
    method: outgoing.method,
    headers: outgoing.headers,
    body: outgoing.body as UpstreamRequestOptions['body'],
    signal: request.signal,
  };
  if (call !== undefined) applyCallOptions(options, call, deadline);
  return upstream.request(outgoing.path, options).then((raw) => {
    const answer = fallbackAnswer(raw);
    if (answer !== undefined) {
      // A fallback answered: the caller gets its Response itself, or one built from its body.
      if (answer.value instanceof Response) return answer.value;
      return toResponse(raw, outgoing.method, url, redirects > 0, request.signal);
    }
    const mode = request.redirect;
    const location = redirectLocation(raw.statusCode, raw.headers);
    if (location === undefined || mode === 'manual') {
      return toResponse(raw, outgoing.method, url, redirects > 0, request.signal, upstream);
    }
    discardBody(raw.body);
    if (mode === 'error') throw fetchFailed('unexpected redirect');
    const hop = nextRedirect({
      status: raw.statusCode,
      location,
      url,
      method: outgoing.method,
      headers: outgoing.headers,
      body: outgoing.body,
      origin: upstream.origin,
      redirects,
    });
    if (hop.kind !== 'follow') throw redirectError(hop, outgoing, upstream.origin, upstream.name);
    const next: OutgoingRequest = { method: hop.method, path: hop.path, headers: hop.headers, body: hop.body };
    return send(upstream, next, request, call, deadline, hop.url.href, redirects + 1);
  });
}

function applyCallOptions(
  options: UpstreamRequestOptions,
  call: SteadyCallOptions,
  deadline: number | undefined,
): void {
  if (deadline !== undefined) options.timeout = hopTimeout(deadline);
  if (call.retry !== undefined) options.retry = call.retry;
  if (call.idempotent !== undefined) options.idempotent = call.idempotent;
  if (call.breaker !== undefined) options.breaker = call.breaker;
  if (call.bulkhead !== undefined) options.bulkhead = call.bulkhead;
  if (call.hedge !== undefined) options.hedge = call.hedge;
  if (call.fallback !== undefined) options.fallback = call.fallback;
}

function toRequest(input: string | URL | Request, init: SteadyRequestInit | undefined, origin: string): Request {
  if (input instanceof Request && (init === undefined || !changesRequest(init))) return input;
  const target = typeof input === 'string' && input.startsWith('/') ? origin + input : input;
  const requestInit = init?.body != null && isStreamBody(init.body) ? { duplex: 'half', ...init } : init;
  return new Request(target, requestInit as RequestInit);
}

function changesRequest(init: SteadyRequestInit): boolean {
  for (const key of REQUEST_FIELDS) if (key in init) return true;
  return false;
}

/**
 * What the caller sees: the signal's reason for a caller abort (fetch's contract, so
 * `error.name === 'AbortError'` checks keep working), otherwise the Steady error itself with
 * ky's `request` attached (ky rethrows non-network fetch rejections as they are).
 */
function surface(error: unknown, request: Request): unknown {
  if (isAbortedError(error) && request.signal.aborted) return request.signal.reason;
  if (isSteadyError(error) && !Object.hasOwn(error, 'request')) {
    Object.defineProperty(error, 'request', { value: request, configurable: true, writable: true });
  }
  return error;
}
