import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes bytes through until more than `limit` have gone by, then fails the stream with
 * `tooLarge()` — the `maxBodyLength` and `maxContentLength` checks of axios' http adapter,
 * for streamed uploads and downloads.
 */
export class ByteLimit extends Transform {
  #seen = 0;
  readonly #limit: number;
  readonly #tooLarge: () => Error;

  constructor(limit: number, tooLarge: () => Error) {
    super();
    this.#limit = limit;
    this.#tooLarge = tooLarge;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#limit) {
      callback(this.#tooLarge());
      return;
    }
    callback(null, chunk);
  }
}
