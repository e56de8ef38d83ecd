import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { copyBytes, utf8 } from './bytes.ts';

/** A response that a Steady dispatch handler assembled: undici's response-data fields around a body of its own. */
export class ResponseParts<B> {
  readonly statusCode: number;
  readonly statusText: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly trailers: Record<string, string | string[] | undefined>;
  readonly opaque: null = null;
  readonly body: B;
  readonly context: object;

  constructor(
    statusCode: number,
    statusText: string,
    headers: Record<string, string | string[] | undefined>,
    trailers: Record<string, string | string[] | undefined>,
    body: B,
    context: object,
  ) {
    this.statusCode = statusCode;
    this.statusText = statusText;
    this.headers = headers;
    this.trailers = trailers;
    this.body = body;
    this.context = context;
  }
}

/**
 * A response read to its end inside the call (`upstream.request(path, { wholeBody: true })`):
 * status, headers and the body's bytes in memory. The body was part of the attempt, so the call's
 * deadline covered it, a failure mid-body is the attempt's failure (retried like any other on an
 * idempotent call) and the socket went back to the pool before the call resolved.
 *
 * It has the fields of undici's response data; its `body` has the reading methods of undici's body
 * (`text()`, `json()`, `arrayBuffer()`, `bytes()`, `dump()`, `bodyUsed`), each usable once, plus
 * `take()` (the bytes, at once) and `stream()` (a Node stream over them).
 *
 * Why it exists: reading a body through a Node stream costs about a fifth of an axios call on a
 * fast upstream, and the stream's internal arrays are among the objects V8 pretenures (see
 * `request-parts.ts`); an adapter that reads the whole body anyway skips both.
 */
export class WholeResponse extends ResponseParts<WholeBody> {}

/** The bytes of a {@link WholeResponse}, read once like undici's body. */
export class WholeBody {
  #bytes: Buffer | undefined;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  /** True once the bytes were taken (by any reading method, `dump()` included). */
  get bodyUsed(): boolean {
    return this.#bytes === undefined;
  }

  /** The bytes as they arrived (no copy); throws a `TypeError` when the body was used already. */
  take(): Buffer {
    const bytes = this.#bytes;
    if (bytes === undefined) throw new TypeError('Body is unusable: Body has already been read');
    this.#bytes = undefined;
    return bytes;
  }

  text(): Promise<string> {
    return this.#read(utf8);
  }

  json(): Promise<unknown> {
    return this.#read((bytes) => JSON.parse(utf8(bytes)) as unknown);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#read((bytes) => copyBytes(bytes).buffer);
  }

  bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#read(copyBytes);
  }

  /** Let go of the bytes (the socket is already free). */
  dump(): Promise<void> {
    this.#bytes = undefined;
    return Promise.resolve();
  }

  /** A Node stream of the bytes (for decoders and stream consumers). */
  stream(): Readable {
    const bytes = this.take();
    return Readable.from(bytes.length === 0 ? [] : [bytes], { objectMode: false });
  }

  #read<T>(convert: (bytes: Buffer) => T): Promise<T> {
    try {
      return Promise.resolve(convert(this.take()));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
}

/** True for a {@link WholeResponse} (what `wholeBody: true` resolves with, unless a fallback answered). */
export function isWholeResponse(response: unknown): response is WholeResponse {
  return response instanceof WholeResponse;
}

/** Empty and frozen: the trailers, headers and context of a response that had none. */
const EMPTY: Record<string, string | string[] | undefined> = Object.freeze({}) as Record<string, never>;

/** A dispatch handler that settles one promise: its resolve and reject, and the request's context. */
export abstract class SettlingHandler<T> implements Dispatcher.DispatchHandler {
  protected readonly resolve: (value: T) => void;
  protected readonly reject: (error: unknown) => void;
  protected context: object = EMPTY;

  constructor(resolve: (value: T) => void, reject: (error: unknown) => void) {
    this.resolve = resolve;
    this.reject = reject;
  }

  onRequestStart(_controller: Dispatcher.DispatchController, context: unknown): void {
    if (typeof context === 'object' && context !== null) this.context = context;
  }

  abstract onResponseError(controller: Dispatcher.DispatchController, error: Error): void;
}

/**
 * The dispatch handler of a whole-body attempt: collects the response and settles once, with a
 * {@link WholeResponse} at its end or with the error that ended it (a reset, a timeout, an abort
 * through the controller, `pool.maxResponseSize`). Informational (1xx) responses are skipped.
 */
export class WholeBodyHandler extends SettlingHandler<WholeResponse> {
  #status = 0;
  #statusText = '';
  #headers: Record<string, string | string[] | undefined> = EMPTY;
  #first: Buffer | undefined = undefined;
  #rest: Buffer[] | undefined = undefined;
  #size = 0;
  #settled = false;

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) return;
    this.#status = statusCode;
    this.#statusText = statusMessage ?? '';
    this.#headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.#first === undefined) this.#first = chunk;
    else (this.#rest ??= [this.#first]).push(chunk);
  }

  onResponseEnd(
    _controller: Dispatcher.DispatchController,
    trailers: Record<string, string | string[] | undefined>,
  ): void {
    if (this.#settled) return;
    this.#settled = true;
    const bytes = this.#rest !== undefined ? Buffer.concat(this.#rest, this.#size) : (this.#first ?? Buffer.alloc(0));
    this.#first = this.#rest = undefined;
    this.resolve(
      new WholeResponse(
        this.#status,
        this.#statusText,
        this.#headers,
        trailers ?? EMPTY,
        new WholeBody(bytes),
        this.context,
      ),
    );
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#first = this.#rest = undefined;
    this.reject(error);
  }
}

/**
 * Send one attempt through `dispatcher` and read its response to the end (see {@link WholeResponse}).
 * For Steady's own pools, which end a request through its attempt observer: no `signal` is needed.
 */
export function dispatchWhole(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions): Promise<WholeResponse> {
  return dispatchWith(dispatcher, options, (resolve, reject) => new WholeBodyHandler(resolve, reject));
}

/**
 * Dispatch with a handler that settles a promise: a synchronous throw from `dispatch` (bad options)
 * reaches the handler's `onResponseError`, like any other failure.
 */
export function dispatchWith<T>(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  handlerFor: (
    resolve: (value: T) => void,
    reject: (error: unknown) => void,
  ) => Dispatcher.DispatchHandler & { onResponseError(controller: Dispatcher.DispatchController, error: Error): void },
): Promise<T> {
  return new Promise((resolve, reject) => {
    const handler = handlerFor(resolve, reject);
    try {
      dispatcher.dispatch(options, handler);
    } catch (error) {
      handler.onResponseError(undefined as unknown as Dispatcher.DispatchController, error as Error);
    }
  });
}

/** undici's response data read to the end as a {@link WholeResponse} (the attempt of a transport of the user's). */
export async function readWhole(response: Dispatcher.ResponseData): Promise<WholeResponse> {
  const bytes = await response.body.bytes();
  return new WholeResponse(
    response.statusCode,
    response.statusText,
    response.headers,
    response.trailers,
    new WholeBody(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
    response.context,
  );
}
