import { STATUS_CODES } from 'node:http';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';

/** What the bridge needs from undici's response data. */
export interface RawResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { dump?: () => Promise<void> };
}

/** Statuses whose response has no body (fetch's "null body status"). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

const GZIP_FLUSH = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
const BROTLI_FLUSH = {
  flush: zlib.constants.BROTLI_OPERATION_FLUSH,
  finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
};

type DecoderFactory = () => Transform;

const createZstd = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;

/** Content codings decoded transparently, like fetch does. */
const DECODERS: ReadonlyMap<string, DecoderFactory> = new Map<string, DecoderFactory>([
  ['gzip', () => zlib.createGunzip(GZIP_FLUSH)],
  ['x-gzip', () => zlib.createGunzip(GZIP_FLUSH)],
  ['deflate', () => new InflateEither()],
  ['br', () => zlib.createBrotliDecompress(BROTLI_FLUSH)],
  ...(createZstd === undefined ? [] : [['zstd', () => createZstd()] as [string, DecoderFactory]]),
]);

/** Release an undici body nobody will read. */
export function discardBody(body: RawResponse['body']): void {
  if (typeof body.dump === 'function') body.dump().catch(() => {});
  else body.resume().on('error', () => {});
}

/**
 * Turn undici's response data into a standard global `Response`: status, reason phrase (Node's
 * `STATUS_CODES`: undici's `request()` does not report the server's), headers with every
 * `set-cookie` kept, and a streaming body. A gzip/deflate/br(/zstd) body is decoded and its
 * `content-encoding`/`content-length` headers dropped. HEAD and null-body statuses get `body: null`.
 */
export function toResponse(
  raw: RawResponse,
  method: string,
  url: string,
  redirected: boolean,
  signal?: AbortSignal,
): Response {
  const status = raw.statusCode;
  const noBody = method === 'HEAD' || NULL_BODY_STATUSES.has(status);
  const decoders = noBody ? undefined : decodersFor(raw.headers['content-encoding']);
  const headers = new Headers();
  for (const name in raw.headers) {
    const value = raw.headers[name];
    if (value === undefined) continue;
    if (decoders !== undefined && (name === 'content-encoding' || name === 'content-length')) continue;
    if (typeof value === 'string') headers.append(name, value);
    else for (const item of value) headers.append(name, item);
  }
  let body: ReadableStream<Uint8Array> | null = null;
  if (noBody) {
    discardBody(raw.body);
  } else {
    let source: Readable = raw.body;
    if (decoders !== undefined) {
      source = (pipeline as (...streams: Array<Readable | Transform | ((error?: Error | null) => void)>) => Readable)(
        raw.body,
        ...decoders.map((create) => create()),
        () => {},
      );
    }
    body = toWebStream(source, signal);
  }
  const response = new Response(body, { status, statusText: STATUS_CODES[status] ?? '', headers });
  Object.defineProperty(response, 'url', { value: url, enumerable: true });
  if (redirected) Object.defineProperty(response, 'redirected', { value: true, enumerable: true });
  return response;
}

/** The decoders for a `content-encoding` value (applied in reverse order), or undefined to pass it through. */
function decodersFor(value: string | string[] | undefined): DecoderFactory[] | undefined {
  if (value === undefined) return undefined;
  const codings = (Array.isArray(value) ? value.join(',') : value)
    .toLowerCase()
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0) return undefined;
  const out: DecoderFactory[] = [];
  for (let i = codings.length - 1; i >= 0; i--) {
    const factory = DECODERS.get(codings[i]!);
    if (factory === undefined) return undefined; // an unknown coding: hand the bytes over as they are, like fetch
    out.push(factory);
  }
  return out;
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

/** `deflate` is zlib-wrapped per RFC 9110, but some servers send raw deflate: pick by the first byte, like fetch. */
class InflateEither extends Transform {
  #inner: zlib.Inflate | zlib.InflateRaw | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#inner === undefined) {
      const zlibWrapped = chunk.length > 0 && (chunk[0]! & 0x0f) === 0x08;
      const inner = zlibWrapped ? zlib.createInflate(GZIP_FLUSH) : zlib.createInflateRaw(GZIP_FLUSH);
      inner.on('data', (data: Buffer) => this.push(data));
      inner.once('error', (error) => this.destroy(error));
      this.#inner = inner;
    }
    this.#inner.write(chunk, () => callback());
  }

  override _flush(callback: TransformCallback): void {
    const inner = this.#inner;
    if (inner === undefined) return callback();
    inner.once('end', () => callback());
    inner.end();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inner?.destroy();
    callback(error);
  }
}
