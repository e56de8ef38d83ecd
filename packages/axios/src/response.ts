import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import {
  AxiosError,
  AxiosHeaders,
  type AxiosProgressEvent,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import type { Dispatcher } from 'undici';
import type { SteadyRequestInfo } from './request-info.ts';

const ZLIB_OPTIONS = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
const BROTLI_OPTIONS = {
  flush: zlib.constants.BROTLI_OPERATION_FLUSH,
  finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
};
const PROGRESS_INTERVAL = 100;

/**
 * Build the `AxiosResponse` from undici's response data, the way axios' http adapter does:
 * transparent gzip/deflate/br (and zstd where Node has it) decompression unless
 * `decompress: false`, `responseType` `arraybuffer` (a Buffer), `stream` (a Readable) or
 * anything else (a string for `transformResponse`), `maxContentLength`, `onDownloadProgress`.
 * Uncompressed bodies without limits or progress are read in one go (`text()`/`arrayBuffer()`).
 */
export async function toAxiosResponse(
  res: Dispatcher.ResponseData,
  config: InternalAxiosRequestConfig,
  request: SteadyRequestInfo,
): Promise<AxiosResponse> {
  const headers = res.headers;
  const response: AxiosResponse = {
    data: undefined,
    status: res.statusCode,
    statusText: res.statusText,
    headers: undefined as unknown as AxiosHeaders,
    config,
    request,
  };
  let source: Readable = res.body;
  const encoding = config.decompress === false ? undefined : headers['content-encoding'];
  if (encoding !== undefined) {
    if (request.method === 'HEAD' || res.statusCode === 204) {
      delete headers['content-encoding'];
    } else {
      const decoder = decompressor(String(encoding).toLowerCase());
      if (decoder !== undefined) {
        source = pipeline([res.body, ...decoder], noop) as unknown as Readable;
        delete headers['content-encoding'];
      }
    }
  }
  response.headers = new AxiosHeaders(headers as Record<string, string>);

  const responseType = config.responseType;
  const maxContentLength = config.maxContentLength ?? -1;
  const onProgress = config.onDownloadProgress;
  if (onProgress !== undefined) trackProgress(res.body, Number(headers['content-length']), onProgress);

  if (responseType === 'stream') {
    response.data =
      maxContentLength > -1 ? pipeline(source, new ContentLimit(maxContentLength, response), noop) : source;
    return response;
  }
  const encodingName = config.responseEncoding;
  const utf8 = encodingName === undefined || encodingName === 'utf8' || encodingName === 'utf-8';
  if (
    source === res.body &&
    maxContentLength < 0 &&
    onProgress === undefined &&
    (utf8 || responseType === 'arraybuffer')
  ) {
    response.data = responseType === 'arraybuffer' ? Buffer.from(await res.body.arrayBuffer()) : await res.body.text();
    return response;
  }
  const buffer = await readLimited(source, maxContentLength, response);
  if (responseType === 'arraybuffer') {
    response.data = buffer;
  } else {
    const text = buffer.toString(encodingName as BufferEncoding | undefined);
    response.data = utf8 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
  return response;
}

function decompressor(encoding: string): [Transform] | [Transform, Transform] | undefined {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
    case 'compress':
    case 'x-compress':
      return [zlib.createUnzip(ZLIB_OPTIONS)];
    case 'deflate':
      return [new DeflateHeader(), zlib.createUnzip(ZLIB_OPTIONS)];
    case 'br':
      return [zlib.createBrotliDecompress(BROTLI_OPTIONS)];
    case 'zstd':
      return typeof zlib.createZstdDecompress === 'function' ? [zlib.createZstdDecompress()] : undefined;
    default:
      return undefined;
  }
}

async function readLimited(source: Readable, limit: number, response: AxiosResponse): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += (chunk as Buffer).length;
    if (limit > -1 && total > limit) throw contentLimitError(limit, response);
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

function contentLimitError(limit: number, response: AxiosResponse): AxiosError {
  return new AxiosError(
    `maxContentLength size of ${limit} exceeded`,
    AxiosError.ERR_BAD_RESPONSE,
    response.config,
    response.request,
  );
}

/** Report download progress on the raw (still encoded) bytes, as axios does, at most every 100 ms and at the end. */
function trackProgress(body: Readable, total: number, listener: (event: AxiosProgressEvent) => void): void {
  const known = Number.isFinite(total) && total > 0;
  let loaded = 0;
  let reported = 0;
  let last = 0;
  const report = (): void => {
    const event: AxiosProgressEvent = {
      loaded,
      total: known ? total : undefined,
      progress: known ? loaded / total : undefined,
      bytes: loaded - reported,
      download: true,
      lengthComputable: known,
    };
    reported = loaded;
    listener(event);
  };
  body.on('data', (chunk: Buffer) => {
    loaded += chunk.length;
    const now = Date.now();
    if (now - last >= PROGRESS_INTERVAL) {
      last = now;
      report();
    }
  });
  body.once('end', () => {
    if (loaded !== reported || loaded === 0) report();
  });
}

/** Prepends a zlib header to a raw deflate body, so one inflater reads both flavours of `deflate`. */
class DeflateHeader extends Transform {
  #first = true;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#first && chunk.length > 0) {
      this.#first = false;
      if (chunk[0] !== 0x78) this.push(Buffer.from([0x78, 0x9c]));
    }
    callback(null, chunk);
  }
}

/** Fails a streamed download once it passes `maxContentLength`. */
class ContentLimit extends Transform {
  #received = 0;
  readonly #limit: number;
  readonly #response: AxiosResponse;

  constructor(limit: number, response: AxiosResponse) {
    super();
    this.#limit = limit;
    this.#response = response;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#received += chunk.length;
    if (this.#received > this.#limit) {
      callback(contentLimitError(this.#limit, this.#response));
      return;
    }
    callback(null, chunk);
  }
}

function noop(): void {}
