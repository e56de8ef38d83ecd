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
