import { InvalidRequestError } from '@steady/core';

/** A fetch `Request` translated for `upstream.request(path, …)`. */
export interface OutgoingRequest {
  method: string;
  /** Path and query, relative to the upstream's origin. */
  path: string;
  /** Flat `[name, value, name, value, …]` list; every `set-cookie`-style repeat kept. */
  headers: string[];
  /** Bytes (replayable), a stream (not replayable), or undefined. */
  body: Uint8Array | ReadableStream<Uint8Array> | undefined;
}

/** Headers fetch adds when the caller did not set them; kept so servers see what plain fetch sends. */
const DEFAULT_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['accept', '*/*'],
  ['accept-encoding', 'gzip, deflate, br'],
  ['user-agent', 'node'],
];

/**
 * The path (and query) of `url` when it belongs to `origin`, else undefined. `Request.url` is
 * already normalised (lower-case host, default port dropped), like `URL.origin`.
 */
export function pathOf(url: string, origin: string): string | undefined {
  if (!url.startsWith(origin) || url.charCodeAt(origin.length) !== 47 /* '/' */) return undefined;
  const hash = url.indexOf('#', origin.length);
  return hash === -1 ? url.slice(origin.length) : url.slice(origin.length, hash);
}

/** The request's headers as a flat list, with fetch's default `accept`, `accept-encoding` and `user-agent` added. */
export function flatHeaders(headers: Headers): string[] {
  const out: string[] = [];
  let seen = 0;
  for (const [name, value] of headers) {
    out.push(name, value);
    for (let i = 0; i < DEFAULT_HEADERS.length; i++) if (DEFAULT_HEADERS[i]![0] === name) seen |= 1 << i;
  }
  for (let i = 0; i < DEFAULT_HEADERS.length; i++) {
    if ((seen & (1 << i)) === 0) out.push(DEFAULT_HEADERS[i]![0], DEFAULT_HEADERS[i]![1]);
  }
  return out;
}

/**
 * Translate a global `Request` for the upstream. The body is read to bytes (replayable: retries,
 * stale-socket replays and 307/308 redirects can resend it) unless `streamBody` is set, in which
 * case the request's `ReadableStream` is handed to undici as is (sent once, never retried).
 */
export function translateRequest(
  request: Request,
  origin: string,
  upstream: string,
  streamBody: boolean,
): OutgoingRequest | Promise<OutgoingRequest> {
  const method = request.method;
  const path = pathOf(request.url, origin);
  if (path === undefined) {
    throw new InvalidRequestError(
      `URL ${redact(request.url)} is not on the upstream's origin ${origin}: use a path, or a URL on that origin`,
      { upstream, method },
    );
  }
  const headers = flatHeaders(request.headers);
  // No body (most GETs): no await at all.
  if (request.body === null) return { method, path, headers, body: undefined };
  if (streamBody) return { method, path, headers, body: request.body };
  return request.arrayBuffer().then((bytes) => ({ method, path, headers, body: new Uint8Array(bytes) }));
}

function redact(url: string): string {
  const cut = url.search(/[?#]/);
  const bare = cut === -1 ? url : url.slice(0, cut);
  return bare.replace(/\/\/[^/@]*@/, '//');
}
