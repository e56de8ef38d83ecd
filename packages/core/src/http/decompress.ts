/**
 * Transparent response decompression, shared by the adapters: which `Content-Encoding`
 * values are decoded, and the streaming zlib transforms that decode them.
 */
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';

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
 * `body` decoded per `contentEncoding` (a stream that errors when the data is corrupt or
 * `body` fails), or `undefined` when there is nothing to decode (see {@link createDecoders}).
 * Destroying the returned stream destroys `body`, freeing its socket.
 */
export function decodeBody(
  body: Readable,
  contentEncoding: ContentEncoding,
  options?: DecodeOptions,
): Readable | undefined {
  const decoders = createDecoders(contentEncoding, options);
  if (decoders === undefined) return undefined;
  return pipeline([body, ...decoders], noop) as unknown as Readable;
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
