import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import { ProtocolError } from '../errors/errors.ts';
import { redactUrl } from '../errors/steady-error.ts';
import { decodeBody } from '../http/decompress.ts';
import type { Upstream } from '../upstream/upstream.ts';

/** What the bridge needs from undici's response data. */
export interface RawResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { dump?: () => Promise<void> };
}

/** Statuses whose response has no body (fetch's "null body status"). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** Release an undici body nobody will read. */
export function discardBody(body: RawResponse['body']): void {
  if (typeof body.dump === 'function') body.dump().catch(() => {});
  else body.resume().on('error', () => {});
}

/**
 * Turn undici's response data into a standard global `Response` (a status outside 200…599,
 * which `Response` cannot carry, is `STEADY_PROTOCOL`): status, reason phrase (Node's
 * `STATUS_CODES`: undici's `request()` does not report the server's), headers with every
 * `set-cookie` kept, and a streaming body. A gzip/deflate/br(/zstd) body is decoded with fetch's
 * rules (core's `decodeBody`, bounded by the upstream's `pool.maxResponseSize` after decoding; corrupt
 * data fails the body with `STEADY_PROTOCOL`) and its `content-encoding`/`content-length` headers dropped. HEAD and null-body statuses get `body: null`.
 */
export function toResponse(
  raw: RawResponse,
  method: string,
  url: string,
  redirected: boolean,
  signal?: AbortSignal,
  upstream?: Pick<Upstream, 'name' | 'options'>,
): Response {
  const status = raw.statusCode;
  if (status < 200 || status > 599) {
    // fetch's Response cannot carry it (a RangeError): the upstream broke HTTP.
    discardBody(raw.body);
    throw new ProtocolError(`the upstream answered with status ${status}, which fetch cannot represent (200…599)`, {
      upstream: upstream?.name,
      method,
      url: redactUrl(url),
    });
  }
  const noBody = method === 'HEAD' || NULL_BODY_STATUSES.has(status);
  const encoding = raw.headers['content-encoding'];
  const decoded =
    noBody || encoding === undefined
      ? undefined
      : decodeBody(raw.body, encoding, {
          maxSize: upstream?.options.pool.maxResponseSize,
          context: { upstream: upstream?.name, method, url: redactUrl(url) },
        });
  const headers = new Headers();
  for (const name in raw.headers) {
    const value = raw.headers[name];
    if (value === undefined) continue;
    if (decoded !== undefined && (name === 'content-encoding' || name === 'content-length')) continue;
    if (typeof value === 'string') headers.append(name, value);
    else for (const item of value) headers.append(name, item);
  }
  let body: ReadableStream<Uint8Array> | null = null;
  if (noBody) {
    discardBody(raw.body);
  } else {
    body = toWebStream(decoded ?? raw.body, signal);
  }
  const response = new Response(body, { status, statusText: STATUS_CODES[status] ?? '', headers });
  Object.defineProperty(response, 'url', { value: url, enumerable: true });
  if (redirected) Object.defineProperty(response, 'redirected', { value: true, enumerable: true });
  return response;
}

/**
 * A web `ReadableStream` over a Node stream, pull-driven: the Node stream is paused whenever the
 * web stream's queue is full. Cancelling the web stream destroys the Node stream (freeing the socket);
 * an error or a premature close of the Node stream errors the web stream — with `signal`'s reason
 * when the caller aborted, like fetch.
 */
export function toWebStream(source: Readable, signal?: AbortSignal): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      source.on('data', (chunk: Uint8Array) => {
        if (settled) return;
        controller.enqueue(chunk);
        if ((controller.desiredSize ?? 0) <= 0) source.pause();
      });
      source.once('end', () => {
        if (settled) return;
        settled = true;
        controller.close();
      });
      source.once('error', (error) => {
        if (settled) return;
        settled = true;
        controller.error(signal?.aborted === true ? signal.reason : error);
      });
      source.once('close', () => {
        if (settled) return;
        settled = true;
        controller.error(
          signal?.aborted === true
            ? signal.reason
            : new TypeError('terminated', { cause: new Error('response body closed before its end') }),
        );
      });
    },
    pull() {
      source.resume();
    },
    cancel(reason) {
      settled = true;
      void reason;
      source.destroy();
    },
  });
}
