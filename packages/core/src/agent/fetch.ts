import { InvalidRequestError, isAbortedError } from '../errors/errors.ts';
import { isSteadyError } from '../errors/steady-error.ts';
import { followRedirects, type HopCallOptions } from '../http/follow-redirects.ts';
import type { RedirectRefusal } from '../http/redirect.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { CallOptions, UpstreamRequestOptions, UpstreamResponse } from '../upstream/types.ts';
import { directRequest, isStreamBody, parseAbsolute, translateRequest, type OutgoingRequest } from './fetch-request.ts';
import { discardBody, toResponse } from './fetch-response.ts';
import { SINK_BODY, type SinkResponse } from '../http/body-sink.ts';
import { checkedUrl } from './origin.ts';

/** Steady's per-call options of a fetch call, given as `init.steady`. */
export interface FetchCallOptions extends Omit<CallOptions, 'signal'>, Pick<UpstreamRequestOptions, 'fallback'> {
  /**
   * Send the request body as a stream instead of reading it to bytes first. A streamed body is
   * not replayable: it is never retried, replayed on a stale socket, or resent on a 307/308.
   * Set automatically when `init.body` is a `ReadableStream`, an async iterable or a Node stream.
   * @default false
   */
  streamBody?: boolean;
}

/** A standard `RequestInit` plus Steady's per-call options. */
export interface SteadyRequestInit extends RequestInit {
  /** Steady's per-call options (deadline, retry override, idempotency, …). */
  steady?: FetchCallOptions | undefined;
}

/** A WHATWG `fetch` that runs on Steady's pools and policies. */
export type SteadyFetch = (input: string | URL | Request, init?: SteadyRequestInit) => Promise<Response>;

/** Where a fetch call goes: the agent's registry, or one upstream. */
export interface FetchRouting {
  /** The upstream of `url`'s origin; throws a typed error to refuse it (nothing is sent). */
  route(url: URL, method: string): Upstream;
  /** Follow redirects to other origins (each through its own upstream). */
  crossOrigin: boolean;
}

/** `RequestInit` members that change the request; without any, a `Request` input is used as is (no copy). */
const REQUEST_FIELDS = ['method', 'headers', 'body', 'signal', 'redirect', 'credentials', 'mode', 'cache', 'referrer'];

/**
 * A `fetch` over Steady: string, `URL` or global `Request` in, a standard global `Response` out
 * (streaming body, gzip/deflate/br decoded, `url` and `redirected` set). `redirect: 'follow'`
 * (up to 20, fetch's rules, one total deadline for every hop), `'manual'` (the 3xx is returned)
 * or `'error'`. Failures reject like fetch: a `TypeError('fetch failed')` whose `cause` is the
 * `SteadyError` (`STEADY_TIMEOUT`, `STEADY_CIRCUIT_OPEN`, `STEADY_ORIGIN_REFUSED`, …), or the
 * signal's reason when the caller aborts. A `fallback`'s answer follows core's one rule
 * (`RequestFallbackValue`): the very `Response` it returned, or a `200` built from its
 * string/bytes/JSON value; no redirect is followed from it.
 */
export function createRoutedFetch(routing: FetchRouting): SteadyFetch {
  return (input, init) => {
    const call = init?.steady;
    // The common call (a URL and a plain init) is translated directly: no `Request` is built.
    const direct = input instanceof Request ? undefined : directRequest(input, init);
    if (direct !== undefined) {
      if (direct instanceof Error) return Promise.reject(fetchFailed(direct));
      const signal = direct.signal;
      if (signal?.aborted === true) return Promise.reject(signal.reason);
      return send(routing, direct.outgoing, direct.url, direct.redirect, signal, call).catch((error: unknown) => {
        throw surface(error, signal);
      });
    }
    let request: Request;
    let url: URL;
    try {
      request = toRequest(input, init);
      url = checkedUrl(new URL(request.url), request.method);
    } catch (error) {
      return Promise.reject(fetchFailed(error));
    }
    const signal = request.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    try {
      const streamBody = call?.streamBody === true || isStreamBody(init?.body);
      const outgoing = translateRequest(request, streamBody);
      const mode = request.redirect;
      const sent =
        outgoing instanceof Promise
          ? outgoing.then((first) => send(routing, first, url, mode, signal, call))
          : send(routing, outgoing, url, mode, signal, call);
      return sent.catch((error: unknown) => {
        throw surface(error, signal);
      });
    } catch (error) {
      return Promise.reject(surface(error, signal));
    }
  };
}

async function send(
  routing: FetchRouting,
  outgoing: OutgoingRequest,
  url: URL,
  mode: RequestRedirect,
  signal: AbortSignal | undefined,
  call: FetchCallOptions | undefined,
): Promise<Response> {
  const hopCall: HopCallOptions & { [SINK_BODY]?: boolean } = signal === undefined ? {} : { signal };
  // Each hop's body is fed straight into the Response (no Node stream) where the pool allows it.
  hopCall[SINK_BODY] = true;
  if (call !== undefined) {
    if (call.retry !== undefined) hopCall.retry = call.retry;
    if (call.idempotent !== undefined) hopCall.idempotent = call.idempotent;
    if (call.breaker !== undefined) hopCall.breaker = call.breaker;
    if (call.bulkhead !== undefined) hopCall.bulkhead = call.bulkhead;
    if (call.hedge !== undefined) hopCall.hedge = call.hedge;
    if (call.fallback !== undefined) hopCall.fallback = call.fallback;
  }
  const result = await followRedirects({
    url,
    method: outgoing.method,
    headers: outgoing.headers,
    body: outgoing.body,
    rules: 'fetch',
    maxRedirects: mode === 'manual' ? 0 : undefined,
    timeout: call?.timeout,
    call: hopCall,
    route: (target) => routing.route(target, outgoing.method),
    crossOrigin: routing.crossOrigin,
    beforeHop: () => {
      if (mode === 'error') throw new TypeError('fetch failed', { cause: new Error('unexpected redirect') });
    },
    refuse: (refusal, response) => {
      discardBody(response.body);
      return redirectRefused(refusal);
    },
  });
  // fetch streams its body: no hop asks for `wholeBody`, so this is undici's response data or a sink's.
  const raw = result.response as UpstreamResponse | SinkResponse;
  const redirected = result.redirects > 0;
  if (result.fallback !== undefined) {
    // A fallback answered: the caller gets its Response itself, or one built from its body.
    if (result.fallback.value instanceof Response) return result.fallback.value;
    return toResponse(raw, result.method, result.url.href, redirected, signal);
  }
  return toResponse(raw, result.method, result.url.href, redirected, signal, result.upstream);
}

function toRequest(input: string | URL | Request, init: SteadyRequestInit | undefined): Request {
  if (input instanceof Request && (init === undefined || !changesRequest(init))) return input;
  if (!(input instanceof Request)) {
    // Checked before `new Request()` so that the caller gets a typed cause, and nothing is sent.
    const method = String(init?.method ?? 'GET').toUpperCase();
    checkedUrl(typeof input === 'string' ? parseAbsolute(input, method) : input, method);
  }
  const requestInit = init?.body != null && isStreamBody(init.body) ? { duplex: 'half', ...init } : init;
  return new Request(input, requestInit as RequestInit);
}

function changesRequest(init: SteadyRequestInit): boolean {
  for (const key of REQUEST_FIELDS) if (key in init) return true;
  return false;
}

/** fetch's rejection: `TypeError('fetch failed')` with the reason as `cause`. */
function fetchFailed(cause: unknown): TypeError {
  if (cause instanceof TypeError && cause.message === 'fetch failed') return cause;
  return new TypeError('fetch failed', { cause });
}

/** What the caller sees: the signal's reason for a caller abort (fetch's contract), else `TypeError('fetch failed')`. */
function surface(error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted === true && (isAbortedError(error) || !isSteadyError(error))) return signal.reason;
  return fetchFailed(error);
}

/** A redirect that is not followed, in fetch's idiom (cross-origin: `STEADY_INVALID_REQUEST` as the cause). */
function redirectRefused(refusal: RedirectRefusal): TypeError {
  switch (refusal.kind) {
    case 'too-many':
      return fetchFailed(new Error('redirect count exceeded'));
    case 'invalid-location':
      return fetchFailed(new Error('invalid redirect location'));
    case 'unsupported-scheme':
      return fetchFailed(new Error('URL scheme must be a HTTP(S) scheme'));
    case 'stream-body':
      return fetchFailed(new Error('cannot follow a redirect with a streamed request body'));
    case 'credentials':
      return fetchFailed(new InvalidRequestError('redirect to a URL with credentials is not followed'));
    case 'cross-origin':
      return fetchFailed(
        new InvalidRequestError(
          `redirect to another origin (${refusal.url.origin}) is not followed: an upstream serves one origin; use \`redirect: 'manual'\`, or an agent`,
        ),
      );
  }
}
