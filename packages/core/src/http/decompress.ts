/**
 * Transparent response decompression, shared by the adapters: which `Content-Encoding`
 * values are decoded, and the streaming zlib transforms that decode them.
 */
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { ProtocolError, ResponseTooLargeError } from '../errors/errors.ts';
import { isSteadyError, type ErrorContext } from '../errors/steady-error.ts';
import { protocolFailure } from './protocol-failure.ts';
import { errorCode } from './request-facts.ts';

/**
 * How a `Content-Encoding` value is read:
 * - `'fetch'` (WHATWG fetch, undici): a comma-separated list of codings, undone last-first;
 *   `identity` is skipped; a single unknown coding leaves the whole body as it is. `gzip`
 *   must be gzip.
 * - `'node'` (Node's classic HTTP clients, axios' http adapter): exactly one coding, a list
 *   is left as it is; `gzip`, `x-gzip`, `compress` and `x-compress` accept gzip or zlib data.
 *
 * Both decode `gzip`/`x-gzip`, `deflate` (zlib-wrapped, or raw as some servers send it),
 * `br`, and `zstd` where Node has it.
 */
export type DecodeRules = 'fetch' | 'node';

/** Options of {@link createDecoders} and {@link decodeBody}. */
export interface DecodeOptions {
  /**
   * How the `Content-Encoding` value is read.
   * @default 'fetch'
   */
  rules?: DecodeRules | undefined;
  /**
   * `decodeBody` only: most decoded bytes; past it the stream fails with `STEADY_RESPONSE_TOO_LARGE`
   * (a gzip bomb stops there) and the source is destroyed. Adapters pass `pool.maxResponseSize`.
   * @default Infinity
   */
  maxSize?: number | undefined;
  /** `decodeBody` only: where the body came from, for its errors. */
  context?: ErrorContext | undefined;
}

/** A `Content-Encoding` header as undici or Node report it. */
export type ContentEncoding = string | readonly string[] | undefined;

type DecoderFactory = () => Transform;

/** Decode what has arrived so far and accept a truncated end, as browsers and axios do. */
const ZLIB_FLUSH = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
const BROTLI_FLUSH = {
  flush: zlib.constants.BROTLI_OPERATION_FLUSH,
  finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
};

const createZstd = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress;

const gunzip: DecoderFactory = () => zlib.createGunzip(ZLIB_FLUSH);
const unzip: DecoderFactory = () => zlib.createUnzip(ZLIB_FLUSH);
const inflate: DecoderFactory = () => new InflateEither();
const brotli: DecoderFactory = () => zlib.createBrotliDecompress(BROTLI_FLUSH);
const zstd: Array<[string, DecoderFactory]> = createZstd === undefined ? [] : [['zstd', () => createZstd()]];

const DECODERS: Readonly<Record<DecodeRules, ReadonlyMap<string, DecoderFactory>>> = {
  fetch: new Map([['gzip', gunzip], ['x-gzip', gunzip], ['deflate', inflate], ['br', brotli], ...zstd]),
  node: new Map([
    ['gzip', unzip],
    ['x-gzip', unzip],
    ['compress', unzip],
    ['x-compress', unzip],
    ['deflate', inflate],
    ['br', brotli],
    ...zstd,
  ]),
};

/**
 * The transforms that decode a body sent with `contentEncoding`, in piping order, or
 * `undefined` when the body is to be handed over as it is: no encoding, `identity`, or a
 * coding these rules do not know (the caller then keeps the `Content-Encoding` header).
 * Each call creates fresh transforms; pipe them (see {@link decodeBody}) or destroy them.
 */
export function createDecoders(contentEncoding: ContentEncoding, options?: DecodeOptions): Transform[] | undefined {
  if (contentEncoding === undefined) return undefined;
  const rules = options?.rules ?? 'fetch';
  const decoders = DECODERS[rules];
  const value = typeof contentEncoding === 'string' ? contentEncoding : contentEncoding.join(',');
  if (rules === 'node') {
    const factory = decoders.get(value.toLowerCase());
    return factory === undefined ? undefined : [factory()];
  }
  const codings = value
    .toLowerCase()
    .split(',')
    .map((coding) => coding.trim())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0) return undefined;
  const factories: DecoderFactory[] = [];
  for (let i = codings.length - 1; i >= 0; i--) {
    const factory = decoders.get(codings[i]!);
    if (factory === undefined) return undefined;
    factories.push(factory);
  }
  return factories.map((create) => create());
}

/**
 * `body` decoded per `contentEncoding`, or `undefined` when there is nothing to decode (see
 * {@link createDecoders}). The stream fails with a typed error: corrupt data is
 * `STEADY_PROTOCOL` (the decoder's error as `cause`), more than `maxSize` decoded bytes is
 * `STEADY_RESPONSE_TOO_LARGE`; an error of `body` itself passes through. Destroying the
 * returned stream destroys `body`, freeing its socket.
 */
export function decodeBody(
  body: Readable,
  contentEncoding: ContentEncoding,
  options?: DecodeOptions,
): Readable | undefined {
  const decoders = createDecoders(contentEncoding, options);
  if (decoders === undefined) return undefined;
  const guard = new DecodedGuard(options?.maxSize ?? Infinity, options?.context ?? {});
  return pipeline([body, ...decoders, guard], noop) as unknown as Readable;
}

/**
 * The last stage of a decoded body: counts decoded bytes against the size bound and types the
 * decoders' errors (pipeline destroys every stage with the first error, this one included).
 */
class DecodedGuard extends Transform {
  readonly #limit: number;
  readonly #context: ErrorContext;
  #seen = 0;

  constructor(limit: number, context: ErrorContext) {
    super();
    this.#limit = limit;
    this.#context = context;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#limit) {
      callback(new ResponseTooLargeError(this.#limit, this.#context));
      return;
    }
    callback(null, chunk);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (error === null || isSteadyError(error)) return callback(error);
    const failure = protocolFailure(errorCode(error));
    callback(failure === undefined ? error : new ProtocolError(failure, this.#context, error));
  }
}

/**
 * `deflate` is zlib-wrapped per RFC 9110, but some servers send raw deflate: pick the
 * inflater by the first byte (a zlib header has compression method 8 in its low nibble).
 */
class InflateEither extends Transform {
  #inner: zlib.Inflate | zlib.InflateRaw | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#inner === undefined) {
      if (chunk.length === 0) return callback();
      const inner = (chunk[0]! & 0x0f) === 0x08 ? zlib.createInflate(ZLIB_FLUSH) : zlib.createInflateRaw(ZLIB_FLUSH);
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

function noop(): void {}
