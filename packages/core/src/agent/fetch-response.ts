import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import { ProtocolError } from '../errors/errors.ts';
import { redactUrl } from '../errors/steady-error.ts';
import { BodySink } from '../http/body-sink.ts';
import { copyBytes, utf8 } from '../http/bytes.ts';
import { decodeBody } from '../http/decompress.ts';
import type { Upstream } from '../upstream/upstream.ts';

/** What the bridge needs from undici's response data (or a sink response's). */
export interface RawResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: (Readable & { dump?: () => Promise<void> }) | BodySink;
}

/** Statuses whose response has no body (fetch's "null body status"). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** Release a body nobody will read (undici's, a sink's or a whole one dumps itself). */
export function discardBody(body: RawResponse['body'] | { dump(): Promise<void> }): void {
  if (typeof body.dump === 'function') body.dump().catch(() => {});
  else (body as Readable).resume().on('error', () => {});
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
      : decodeBody(raw.body instanceof BodySink ? raw.body.toNodeStream() : raw.body, encoding, {
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
  const init: ResponseInit = { status, statusText: STATUS_CODES[status] ?? '', headers };
  let response: Response;
  if (noBody) {
    discardBody(raw.body);
    response = new Response(null, init);
  } else {
    response = new StreamedResponse(decoded ?? raw.body, init, signal);
  }
  Object.defineProperty(response, 'url', { value: url, enumerable: true });
  if (redirected) Object.defineProperty(response, 'redirected', { value: true, enumerable: true });
  return response;
}

/** Listens to a body's 'error' until someone reads it (an unread body that fails must not crash the process). */
function ignore(): void {}

/**
 * A standard `Response` whose body is still undici's Node stream. `text()`, `json()`,
 * `arrayBuffer()` and `bytes()` read that stream straight to bytes; the web `ReadableStream`
 * (and a plain `Response` over it, which `blob()`, `formData()` and `clone()` use) is built only
 * when something asks for `body`. Either way the body is read once, with fetch's errors:
 * `TypeError` when it was used already, the signal's reason when the caller aborted, a
 * `TypeError('terminated')` when the body closed before its end, the body's own error (the
 * Steady error) otherwise. A body nobody reads is never pulled off the socket.
 */
class StreamedResponse extends Response {
  #source: Readable | BodySink | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #init: ResponseInit;
  #web: Response | undefined;
  /** Read on the fast path (text, json, arrayBuffer, bytes). */
  #used = false;

  constructor(source: Readable | BodySink, init: ResponseInit, signal: AbortSignal | undefined) {
    super(null, init);
    this.#source = source;
    this.#signal = signal;
    this.#init = init;
    if (!(source instanceof BodySink)) source.on('error', ignore);
  }

  /** The plain `Response` over a web stream of the body, built on first need. */
  #streamed(): Response {
    if (this.#web === undefined) {
      const source = this.#source;
      this.#source = undefined;
      const signal = this.#signal;
      this.#web =
        source === undefined
          ? consumed(this.#init)
          : new Response(
              source instanceof BodySink
                ? source.toWebStream((error) => bodyFailure(error, signal))
                : toWebStream(source, signal),
              this.#init,
            );
    }
    return this.#web;
  }

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    return this.#streamed().body;
  }

  override get bodyUsed(): boolean {
    return this.#used || (this.#web?.bodyUsed ?? false);
  }

  /**
   * The whole body read as `kind` on the fast path — by undici's own body methods when the source
   * is undici's body, else collected here — or undefined when the web stream must serve.
   */
  #read<K extends ReadKind>(kind: K): Promise<ReadResult[K]> | undefined {
    if (this.#web !== undefined) return undefined;
    const source = this.#source;
    if (source === undefined) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.#source = undefined;
    this.#used = true;
    const signal = this.#signal;
    const fail = (error: unknown): never => {
      throw bodyFailure(error, signal);
    };
    if (source instanceof BodySink) return source.read(kind).catch(fail) as Promise<ReadResult[K]>;
    if (isUndiciBody(source)) return (source[kind]() as Promise<ReadResult[K]>).catch(fail);
    return readAll(source, signal).then(CONVERT[kind] as (bytes: Buffer) => ReadResult[K]);
  }

  override text(): Promise<string> {
    return this.#read('text') ?? this.#web!.text();
  }

  override json(): Promise<unknown> {
    return this.#read('json') ?? this.#web!.json();
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return this.#read('arrayBuffer') ?? this.#web!.arrayBuffer();
  }

  override bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#read('bytes') ?? this.#web!.bytes();
  }

  override blob(): Promise<Blob> {
    return this.#streamed().blob();
  }

  override formData(): Promise<FormData> {
    return this.#streamed().formData();
  }

  override clone(): Response {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    const copy = this.#streamed().clone();
    Object.defineProperty(copy, 'url', { value: this.url, enumerable: true });
    if (this.redirected) Object.defineProperty(copy, 'redirected', { value: true, enumerable: true });
    return copy;
  }
}

interface ReadResult {
  text: string;
  json: unknown;
  arrayBuffer: ArrayBuffer;
  bytes: Uint8Array<ArrayBuffer>;
}
type ReadKind = keyof ReadResult;

/** Bytes collected by {@link readAll} as each kind of read. */
const CONVERT: { [K in ReadKind]: (bytes: Buffer) => ReadResult[K] } = {
  text: utf8,
  json: (bytes) => JSON.parse(utf8(bytes)) as unknown,
  arrayBuffer: (bytes) => copyBytes(bytes).buffer,
  bytes: copyBytes,
};

/** undici's response body, which reads itself to text, JSON or bytes without a 'data' event per chunk. */
function isUndiciBody(source: Readable): source is Readable & { [K in ReadKind]: () => Promise<unknown> } {
  const body = source as Readable & Partial<Record<ReadKind, unknown>>;
  return typeof body.json === 'function' && typeof body.bytes === 'function' && typeof body.arrayBuffer === 'function';
}

/**
 * fetch's error for a body read that failed: the caller's reason when it aborted, a
 * `TypeError('terminated')` when the body was closed before its end with no error of its own
 * (undici's `UND_ERR_ABORTED`), else the body's own error (the Steady error, or a `SyntaxError`).
 */
function bodyFailure(error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted === true) return signal.reason;
  if ((error as { code?: unknown } | null)?.code === 'UND_ERR_ABORTED') return terminated();
  return error;
}

/** Read a Node stream to its end: one `Buffer` (fetch's errors, see {@link StreamedResponse}). */
function readAll(source: Readable, signal: AbortSignal | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const failed = (error: unknown): void => reject(bodyFailure(error, signal));
    if (source.errored !== null) return failed(source.errored);
    if (source.destroyed) return failed(terminated());
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    source.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
    });
    source.once('end', () => {
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
    });
    source.once('error', (error) => {
      if (settled) return;
      settled = true;
      failed(error);
    });
    source.once('close', () => {
      if (settled) return;
      settled = true;
      failed(terminated());
    });
  });
}

/** What `body` shows once the fast path read it: a used-up response (its stream already cancelled). */
function consumed(init: ResponseInit): Response {
  const response = new Response(new ReadableStream<Uint8Array>(), init);
  void response.body!.cancel();
  return response;
}

function terminated(): TypeError {
  return new TypeError('terminated', { cause: new Error('response body closed before its end') });
}

/**
 * A web `ReadableStream` over a Node stream, pull-driven: the Node stream is paused whenever the
 * web stream's queue is full. Cancelling the web stream destroys the Node stream (freeing the socket);
 * an error or a premature close of the Node stream — also one that happened before this was built —
 * errors the web stream with fetch's error (see `bodyFailure`).
 */
export function toWebStream(source: Readable, signal?: AbortSignal): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        controller.error(bodyFailure(error, signal));
      };
      // Built late (on first use of `body`): the source may have failed already.
      if (source.errored !== null) return fail(source.errored);
      if (source.destroyed) return fail(terminated());
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
      source.once('error', fail);
      source.once('close', () => fail(terminated()));
    },
    pull() {
      source.resume();
    },
    cancel() {
      settled = true;
      source.destroy();
    },
  });
}
