import { InvalidRequestError } from '../errors/errors.ts';
import { redactUrl } from '../errors/steady-error.ts';
import { checkedUrl } from './origin.ts';

/** A WHATWG `Request` translated for `upstream.request(path, …)`. */
export interface OutgoingRequest {
  method: string;
  /** Flat `[name, value, name, value, …]` list; every repeated header kept. */
  headers: string[];
  /** Bytes (replayable), a stream (sent once, never replayed), or undefined. */
  body: Uint8Array | ReadableStream<Uint8Array> | undefined;
}

/** Headers fetch adds when the caller did not set them; kept so servers see what plain fetch sends. */
const DEFAULT_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['accept', '*/*'],
  ['accept-encoding', 'gzip, deflate, br'],
  ['user-agent', 'node'],
];

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
 * Translate a global `Request`. The body is read to bytes (replayable: retries, stale-socket
 * replays and 307/308 redirects can resend it) unless `streamBody` is set, in which case the
 * request's `ReadableStream` is handed to undici as is (sent once, never retried).
 */
export function translateRequest(request: Request, streamBody: boolean): OutgoingRequest | Promise<OutgoingRequest> {
  const method = request.method;
  const headers = flatHeaders(request.headers);
  // No body (most GETs): no await at all.
  if (request.body === null) return { method, headers, body: undefined };
  if (streamBody) return { method, headers, body: request.body };
  return request.arrayBuffer().then((bytes) => ({ method, headers, body: new Uint8Array(bytes) }));
}

/** A call translated without building a `Request`. */
export interface DirectRequest {
  url: URL;
  outgoing: OutgoingRequest;
  signal: AbortSignal | undefined;
  redirect: RequestRedirect;
}

/** `init` members the direct path understands; any other one takes the `Request` path. */
const DIRECT_KEYS: ReadonlySet<string> = new Set(['method', 'headers', 'body', 'signal', 'redirect', 'steady']);
/** Methods fetch normalises to upper case (any other, and the forbidden ones, take the `Request` path). */
const PLAIN_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/**
 * The fetch call as fetch itself would send it, for the common case — a string or `URL` and an
 * `init` with at most `method`, `headers` (object, pairs or `Headers`), a string or bytes `body`,
 * `signal` and `redirect` — without the cost of a WHATWG `Request`. Undefined for anything else
 * (the caller builds a `Request`); an `Error` (typed) for a URL that must not be sent.
 */
export function directRequest(
  input: string | URL,
  init: (RequestInit & { steady?: unknown }) | undefined,
): DirectRequest | Error | undefined {
  let method = 'GET';
  let body: string | Uint8Array | ArrayBuffer | null | undefined;
  if (init !== undefined) {
    for (const key in init) if (!DIRECT_KEYS.has(key)) return undefined;
    if (init.method !== undefined) {
      if (typeof init.method !== 'string') return undefined;
      method = init.method.toUpperCase();
      if (!PLAIN_METHODS.has(method) || (method === 'PATCH' && init.method !== 'PATCH')) return undefined;
    }
    body = init.body as typeof body;
    if (body != null && typeof body !== 'string' && !(body instanceof Uint8Array) && !(body instanceof ArrayBuffer)) {
      return undefined;
    }
    if (body != null && (method === 'GET' || method === 'HEAD')) return undefined; // fetch's TypeError
    if (
      init.redirect !== undefined &&
      init.redirect !== 'follow' &&
      init.redirect !== 'manual' &&
      init.redirect !== 'error'
    ) {
      return undefined;
    }
  }
  let url: URL;
  try {
    url = checkedUrl(typeof input === 'string' ? parseAbsolute(input, method) : new URL(input.href), method);
  } catch (error) {
    return error as Error;
  }
  const headers = initHeaders(init?.headers);
  if (headers === undefined) return undefined;
  let bytes: Uint8Array | undefined;
  if (typeof body === 'string') {
    bytes = Buffer.from(body);
    if (!hasHeader(headers, 'content-type')) headers.push('content-type', 'text/plain;charset=UTF-8');
  } else if (body instanceof ArrayBuffer) {
    bytes = new Uint8Array(body);
  } else if (body != null) {
    bytes = body;
  }
  addDefaultHeaders(headers);
  url.hash = '';
  return {
    url,
    outgoing: { method, headers, body: bytes },
    signal: init?.signal ?? undefined,
    redirect: init?.redirect ?? 'follow',
  };
}

/** An absolute URL, or `STEADY_INVALID_REQUEST` (a fetch call has no base URL). */
export function parseAbsolute(input: string, method: string): URL {
  const url = URL.parse(input);
  if (url !== null) return url;
  throw new InvalidRequestError(
    `URL ${JSON.stringify(redactUrl(input).slice(0, 80))} is not absolute: give fetch a full URL (e.g. "https://api.example.com/v1/x")`,
    { method },
  );
}

/** `init.headers` as a flat list of lower-case names and values, or undefined for a shape left to `Headers`. */
function initHeaders(headers: HeadersInit | undefined): string[] | undefined {
  const out: string[] = [];
  if (headers === undefined || headers === null) return out;
  if (headers instanceof Headers) {
    for (const [name, value] of headers) out.push(name, value);
    return out;
  }
  if (Array.isArray(headers)) {
    for (const pair of headers as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
        return undefined;
      }
      out.push(pair[0].toLowerCase(), pair[1]);
    }
    return out;
  }
  if (typeof headers !== 'object' || Object.getPrototypeOf(headers) !== Object.prototype) return undefined;
  for (const name in headers) {
    const value = (headers as Record<string, unknown>)[name];
    if (typeof value !== 'string') return undefined;
    out.push(name.toLowerCase(), value);
  }
  return out;
}

function hasHeader(flat: readonly string[], name: string): boolean {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) return true;
  return false;
}

function addDefaultHeaders(flat: string[]): void {
  for (const [name, value] of DEFAULT_HEADERS) if (!hasHeader(flat, name)) flat.push(name, value);
}

/** A body that can only be read once: a `ReadableStream`, an async iterable or a Node stream. */
export function isStreamBody(body: unknown): boolean {
  if (body == null || typeof body !== 'object') return false;
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return true;
  if (body instanceof Uint8Array || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return false;
  if (typeof Blob !== 'undefined' && body instanceof Blob) return false;
  if (typeof FormData !== 'undefined' && body instanceof FormData) return false;
  if (body instanceof URLSearchParams) return false;
  return Symbol.asyncIterator in body || typeof (body as { pipe?: unknown }).pipe === 'function';
}
