/**
 * Redirect following, shared by the adapters: whether a response is a redirect, and the next
 * hop it asks for. Pure functions; each adapter sends the hop and turns a refusal into its
 * own idiom (an `AxiosError`, fetch's `TypeError`, …).
 */
import { isReplayableBody } from './request-facts.ts';

/**
 * Whose redirect rules to apply:
 * - `'fetch'` (WHATWG fetch): 301, 302, 303, 307 and 308 redirect; the `Location`'s fragment
 *   is dropped; a `Location` with credentials is refused; a body-less GET drops the
 *   request-body headers (`Content-Type`, `-Length`, `-Encoding`, `-Language`, `-Location`);
 *   at most 20 redirects.
 * - `'follow-redirects'` (Node's follow-redirects, which axios' http adapter uses): any 3xx
 *   with a `Location` redirects; a body-less GET drops every `Content-*` header; at most 21.
 *
 * Both: the `Location` is resolved against the current URL and must be http(s) on the
 * upstream's origin; 303 turns anything but GET/HEAD into a body-less GET, and so do 301/302
 * after a POST; any other redirect resends method, headers and body, which needs a
 * replayable body (not a stream).
 */
export type RedirectRules = 'fetch' | 'follow-redirects';

/** Default redirect limits: fetch's 20 and follow-redirects' 21. */
export const DEFAULT_MAX_REDIRECTS: Readonly<Record<RedirectRules, number>> = Object.freeze({
  fetch: 20,
  'follow-redirects': 21,
});

/** Request headers as a record (undici/axios) or a flat `[name, value, …]` list (fetch bridge). */
export type RedirectHeaders = Record<string, string | string[]> | readonly string[];

/** The request that got a redirect, and the redirect. */
export interface RedirectInput<H extends RedirectHeaders, B> {
  /** The redirect's status code. */
  status: number;
  /** Its `Location` (see {@link redirectLocation}). */
  location: string;
  /** The URL that answered with the redirect. */
  url: string | URL;
  /** The method that was sent. */
  method: string;
  /** The headers that were sent; returned as they are unless the body is dropped. */
  headers: H;
  /** The body that was sent (undefined for none). */
  body: B;
  /** The current hop's origin: unless `crossOrigin`, only redirects on it are followed. */
  origin: string;
  /**
   * Follow redirects to another origin too (an agent routes them to that origin's upstream).
   * Such a hop drops `Authorization`, `Cookie` and `Proxy-Authorization`, as fetch and
   * follow-redirects do. @default false
   */
  crossOrigin?: boolean | undefined;
  /** Redirects already followed in this call. */
  redirects: number;
  /** At most this many redirects per call. Defaults to {@link DEFAULT_MAX_REDIRECTS} of the rules. */
  maxRedirects?: number | undefined;
  /** @default 'fetch' */
  rules?: RedirectRules | undefined;
}

/** The next request to send. */
export interface RedirectHop<H extends RedirectHeaders, B> {
  kind: 'follow';
  /** The resolved target (fragment removed under fetch's rules). */
  url: URL;
  /** Path and query of `url`, for `upstream.request(path, …)`. */
  path: string;
  method: string;
  /** A copy without the body headers when `bodyDropped`, else the input's headers object. */
  headers: H;
  body: B | undefined;
  /** True when the redirect turned the request into a body-less GET. */
  bodyDropped: boolean;
  /** True when the target is on another origin than the hop that redirected. */
  crossOrigin: boolean;
}

/** Why a redirect is not followed. */
export type RedirectRefusal =
  | { kind: 'too-many'; maxRedirects: number }
  | { kind: 'invalid-location'; cause: unknown }
  | { kind: 'unsupported-scheme'; url: URL }
  | { kind: 'credentials'; url: URL }
  | { kind: 'cross-origin'; url: URL }
  | { kind: 'stream-body' };

/** What to do with a redirect: the hop to send, or why not. */
export type RedirectOutcome<H extends RedirectHeaders, B> = RedirectHop<H, B> | RedirectRefusal;

const FETCH_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** fetch's request-body headers, plus `Content-Length`, which goes with the body. */
const FETCH_BODY_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
]);

/**
 * The `Location` to follow when a response is a redirect under `rules`, else `undefined`.
 * A repeated `Location` is joined with `, ` (fetch) or its first value taken (follow-redirects).
 */
export function redirectLocation(
  status: number,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  rules: RedirectRules = 'fetch',
): string | undefined {
  const redirect = rules === 'fetch' ? FETCH_STATUSES.has(status) : status >= 300 && status < 400;
  if (!redirect) return undefined;
  let value = headers.location;
  if (value === undefined) {
    for (const name of Object.keys(headers)) if (name.toLowerCase() === 'location') value = headers[name];
  }
  if (!Array.isArray(value)) return value;
  return rules === 'fetch' ? value.join(', ') : value[0];
}

/**
 * The request a redirect asks for, or why it is not followed. Checked in this order: the
 * redirect limit, the `Location` (parsable, http(s), no credentials under fetch's rules, on
 * `origin`), then the body: a method change drops it with its headers, a resend needs it
 * replayable.
 */
export function nextRedirect<H extends RedirectHeaders, B>(input: RedirectInput<H, B>): RedirectOutcome<H, B> {
  const rules = input.rules ?? 'fetch';
  const maxRedirects = input.maxRedirects ?? DEFAULT_MAX_REDIRECTS[rules];
  if (input.redirects >= maxRedirects) return { kind: 'too-many', maxRedirects };
  let url: URL;
  try {
    url = new URL(input.location, input.url);
  } catch (error) {
    return { kind: 'invalid-location', cause: error };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { kind: 'unsupported-scheme', url };
  if (rules === 'fetch') {
    if (url.username !== '' || url.password !== '') return { kind: 'credentials', url };
    url.hash = '';
  }
  const crossOrigin = url.origin !== input.origin;
  if (crossOrigin && input.crossOrigin !== true) return { kind: 'cross-origin', url };
  const path = url.pathname + url.search;
  const sent = crossOrigin ? withoutHeaders(input.headers, isCredentialHeader) : input.headers;
  const method = input.method;
  const status = input.status;
  const toGet =
    (status === 303 && method !== 'GET' && method !== 'HEAD') ||
    ((status === 301 || status === 302) && method === 'POST');
  if (toGet) {
    const isBodyHeader = rules === 'fetch' ? isFetchBodyHeader : isContentHeader;
    const headers = withoutHeaders(sent, isBodyHeader);
    return { kind: 'follow', url, path, method: 'GET', headers, body: undefined, bodyDropped: true, crossOrigin };
  }
  if (!isReplayableBody(input.body)) return { kind: 'stream-body' };
  return { kind: 'follow', url, path, method, headers: sent, body: input.body, bodyDropped: false, crossOrigin };
}

const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'proxy-authorization']);

function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADERS.has(name.toLowerCase());
}

/** The timeout for the next hop of a call that must end by `deadline` (epoch ms): at least 1 ms. */
export function hopTimeout(deadline: number, now: number = Date.now()): number {
  return Math.max(1, deadline - now);
}

function isFetchBodyHeader(name: string): boolean {
  return FETCH_BODY_HEADERS.has(name.toLowerCase());
}

function isContentHeader(name: string): boolean {
  return name.length > 8 && name.slice(0, 8).toLowerCase() === 'content-';
}

function withoutHeaders<H extends RedirectHeaders>(headers: H, drop: (name: string) => boolean): H {
  if (isFlatList(headers)) {
    const kept: string[] = [];
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (!drop(headers[i]!)) kept.push(headers[i]!, headers[i + 1]!);
    }
    return kept as unknown as H;
  }
  const kept: Record<string, string | string[]> = {};
  for (const name of Object.keys(headers)) if (!drop(name)) kept[name] = headers[name]!;
  return kept as H;
}

function isFlatList(headers: RedirectHeaders): headers is readonly string[] {
  return Array.isArray(headers);
}
