import type { Upstream } from '../upstream/upstream.ts';
import type { UpstreamRequestOptions, UpstreamResponse } from '../upstream/types.ts';
import type { WholeResponse } from './whole-body.ts';
import { fallbackAnswer, type FallbackAnswer } from './fallback-response.ts';
import {
  hopTimeout,
  nextRedirect,
  redirectLocation,
  type RedirectHeaders,
  type RedirectHop,
  type RedirectOutcome,
  type RedirectRefusal,
  type RedirectRules,
} from './redirect.ts';

/** Per-call options every hop is sent with (the deadline is computed here). */
export type HopCallOptions = Omit<UpstreamRequestOptions, 'method' | 'headers' | 'body' | 'timeout' | 'query'>;

/** A request whose redirects core follows: the one redirect loop every adapter and `agent.fetch` share. */
export interface FollowRequest<H extends RedirectHeaders, B> {
  url: URL;
  method: string;
  headers: H;
  body: B;
  /** Whose redirect rules apply. */
  rules: RedirectRules;
  /** At most this many redirects; 0 returns the first response as it is. @default the rules' limit */
  maxRedirects?: number | undefined;
  /**
   * One deadline for the whole chain, ms: every hop gets what is left of it. Undefined uses
   * the first hop's upstream's `timeouts.total`.
   */
  timeout?: number | undefined;
  /**
   * Per-call policy options (signal, retry, breaker, a per-call `fallback`, …) applied to every
   * hop. A fallback answers by core's one rule (`RequestFallbackValue`); its answer ends the chain.
   */
  call?: HopCallOptions | undefined;
  /** The upstream that serves a URL's origin (throws to refuse it, e.g. `STEADY_ORIGIN_REFUSED`). */
  route(url: URL): Upstream;
  /** Follow redirects to other origins (through `route`). @default false */
  crossOrigin?: boolean | undefined;
  /** Told of each hop before it is sent (axios' `beforeRedirect`, fetch's `redirect: 'error'`); may throw. */
  beforeHop?(
    hop: RedirectHop<H, B | undefined>,
    response: UpstreamResponse | WholeResponse,
    from: { url: URL; method: string },
  ): void;
  /** The error to throw for a redirect that is not followed. */
  refuse(
    refusal: RedirectRefusal,
    response: UpstreamResponse | WholeResponse,
    from: { url: URL; method: string },
  ): unknown;
}

/** The final answer and the hop that got it. */
export interface FollowResult<H, B> {
  /** The final response (undici response data: `request()` always resolves with it). */
  response: UpstreamResponse | WholeResponse;
  /**
   * Set when `response` came from a `fallback` (upstream-wide or per call) rather than the
   * upstream: `fallbackAnswer(response)`, the value as the fallback returned it. No redirect is
   * followed from a fallback's answer.
   */
  fallback: FallbackAnswer | undefined;
  url: URL;
  method: string;
  headers: H;
  body: B | undefined;
  redirects: number;
  /** The upstream that answered (the last hop's). */
  upstream: Upstream;
}

/**
 * Send `request` and follow its redirects: each hop through the upstream of its origin (the
 * same one unless `crossOrigin`), all within one total deadline, with the rules of `nextRedirect`.
 * A redirect response that is followed has its body dumped; the final one is returned unread.
 * A fallback's answer (core's one rule, see `fallbackAnswer`) is final: it is never followed.
 */
export async function followRedirects<H extends RedirectHeaders, B>(
  request: FollowRequest<H, B>,
): Promise<FollowResult<H, B>> {
  let url = request.url;
  let upstream = request.route(url);
  const deadline = Date.now() + (request.timeout ?? upstream.options.timeouts.total);
  const maxRedirects = request.maxRedirects;
  let method = request.method;
  let headers = request.headers;
  let body: B | undefined = request.body;
  for (let redirects = 0; ; redirects++) {
    const options: UpstreamRequestOptions = {
      ...request.call,
      method,
      headers: headers as UpstreamRequestOptions['headers'],
      body: body as UpstreamRequestOptions['body'],
      timeout: hopTimeout(deadline),
    };
    const answer = await upstream.request(url.pathname + url.search, options);
    const fallback = fallbackAnswer(answer);
    const result = new Followed(answer, fallback, url, method, headers, body, redirects, upstream);
    if (fallback !== undefined || maxRedirects === 0) return result;
    const location = redirectLocation(answer.statusCode, answer.headers, request.rules);
    if (location === undefined) return result;
    answer.body.dump().catch(noop);
    const hop: RedirectOutcome<H, B | undefined> = nextRedirect<H, B | undefined>({
      status: answer.statusCode,
      location,
      url,
      method,
      headers,
      body,
      origin: url.origin,
      crossOrigin: request.crossOrigin,
      redirects,
      maxRedirects,
      rules: request.rules,
    });
    if (hop.kind !== 'follow') throw request.refuse(hop, answer, { url, method });
    request.beforeHop?.(hop, answer, { url, method });
    if (hop.crossOrigin) upstream = request.route(hop.url);
    url = hop.url;
    method = hop.method;
    headers = hop.headers;
    body = hop.body;
  }
}

/** A {@link FollowResult} (a class: it holds the response, see `upstream/request-parts.ts`). */
class Followed<H, B> implements FollowResult<H, B> {
  readonly response: UpstreamResponse | WholeResponse;
  readonly fallback: FallbackAnswer | undefined;
  readonly url: URL;
  readonly method: string;
  readonly headers: H;
  readonly body: B | undefined;
  readonly redirects: number;
  readonly upstream: Upstream;

  constructor(
    response: UpstreamResponse | WholeResponse,
    fallback: FallbackAnswer | undefined,
    url: URL,
    method: string,
    headers: H,
    body: B | undefined,
    redirects: number,
    upstream: Upstream,
  ) {
    this.response = response;
    this.fallback = fallback;
    this.url = url;
    this.method = method;
    this.headers = headers;
    this.body = body;
    this.redirects = redirects;
    this.upstream = upstream;
  }
}

function noop(): void {}
