import { pipeline, type Readable } from 'node:stream';
import { ByteLimit } from './byte-limit.ts';
import {
  AxiosError,
  AxiosHeaders,
  type AxiosProgressEvent,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import type { Dispatcher } from 'undici';
import { decodeBody, isWholeResponse, redactUrl, type WholeResponse } from '@steady/core';
import type { SteadyRequestInfo } from './request-info.ts';

const PROGRESS_INTERVAL = 100;

/**
 * Build the `AxiosResponse` from undici's response data, the way axios' http adapter does:
 * transparent gzip/deflate/br (and zstd where Node has it) decompression with Node's rules
 * (core's `decodeBody`) unless `decompress: false`, `responseType` `arraybuffer` (a Buffer), `stream` (a Readable) or
 * anything else (a string for `transformResponse`), `maxContentLength`, `onDownloadProgress`.
 * The decoded size is bounded by the upstream's `pool.maxResponseSize` too (`STEADY_RESPONSE_TOO_LARGE`),
 * and a corrupt compressed body fails with `STEADY_PROTOCOL`.
 * Uncompressed bodies without limits or progress are read in one go (`text()`/`arrayBuffer()`).
 */
export async function toAxiosResponse(
  res: Dispatcher.ResponseData | WholeResponse,
  config: InternalAxiosRequestConfig,
  request: SteadyRequestInfo,
  maxResponseSize = Infinity,
): Promise<AxiosResponse> {
  const headers = res.headers;
  const encoded = config.decompress !== false && headers['content-encoding'] !== undefined;
  // A whole body comes back only for calls the adapter read whole (no stream, progress or bound).
  if (isWholeResponse(res) && !encoded) return wholeResponse(res, config, request);
  return streamedResponse(
    isWholeResponse(res) ? { ...res, body: res.body.stream() } : res,
    config,
    request,
    maxResponseSize,
  );
}

/**
 * A body read inside the call (`wholeBody`) as axios' data: the bytes as a string (`utf8`, BOM
 * dropped, or another `responseEncoding`) or, for `arraybuffer`, a Buffer of their own.
 */
function wholeResponse(
  res: WholeResponse,
  config: InternalAxiosRequestConfig,
  request: SteadyRequestInfo,
): AxiosResponse {
  const response = axiosResponseOf(res, config, request);
  const bytes = res.body.take();
  response.data =
    config.responseType === 'arraybuffer' ? Buffer.from(bytes) : decodeText(bytes, config.responseEncoding);
  return response;
}

/** An `AxiosResponse` with the status and headers of `res` and no data yet. */
export function axiosResponseOf(
  res: Pick<WholeResponse, 'statusCode' | 'statusText' | 'headers'>,
  config: InternalAxiosRequestConfig,
  request: SteadyRequestInfo,
): AxiosResponse {
  return new SteadyAxiosResponse(
    res.statusCode,
    res.statusText,
    new AxiosHeaders(res.headers as Record<string, string>),
    config,
    request,
  );
}

/**
 * An `AxiosResponse` (the same own fields as axios' http adapter's object). A class, not an object
 * literal: a response outlives young-generation GCs, and a pretenured literal would keep every
 * response's data and headers alive until a full GC (see `RequestInfo`).
 */
class SteadyAxiosResponse implements AxiosResponse {
  data: unknown = undefined;
  status: number;
  statusText: string;
  headers: AxiosHeaders;
  config: InternalAxiosRequestConfig;
  request: SteadyRequestInfo;

  constructor(
    status: number,
    statusText: string,
    headers: AxiosHeaders,
    config: InternalAxiosRequestConfig,
    request: SteadyRequestInfo,
  ) {
    this.status = status;
    this.statusText = statusText;
    this.headers = headers;
    this.config = config;
    this.request = request;
  }
}

function decodeText(bytes: Buffer, encodingName: string | undefined): string {
  const utf8 = encodingName === undefined || encodingName === 'utf8' || encodingName === 'utf-8';
  const text = bytes.toString(encodingName as BufferEncoding | undefined);
  return utf8 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

async function streamedResponse(
  res: Dispatcher.ResponseData | (Omit<WholeResponse, 'body'> & { body: Readable }),
  config: InternalAxiosRequestConfig,
  request: SteadyRequestInfo,
  maxResponseSize: number,
): Promise<AxiosResponse> {
  const headers = res.headers;
  const response = new SteadyAxiosResponse(
    res.statusCode,
    res.statusText,
    undefined as unknown as AxiosHeaders,
    config,
    request,
  );
  let source: Readable = res.body;
  const encoding = config.decompress === false ? undefined : headers['content-encoding'];
  if (encoding !== undefined) {
    if (request.method === 'HEAD' || res.statusCode === 204) {
      delete headers['content-encoding'];
    } else {
      const decoded = decodeBody(res.body, encoding, {
        rules: 'node',
        maxSize: maxResponseSize,
        context: { upstream: request.upstream, method: request.method, url: redactUrl(request.res.responseUrl) },
      });
      if (decoded !== undefined) {
        source = decoded;
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
      maxContentLength > -1
        ? pipeline(source, new ByteLimit(maxContentLength, () => contentLimitError(maxContentLength, response)), noop)
        : source;
    return response;
  }
  const encodingName = config.responseEncoding;
  const utf8 = encodingName === undefined || encodingName === 'utf8' || encodingName === 'utf-8';
  if (
    source === res.body &&
    isUndiciBody(source) &&
    maxContentLength < 0 &&
    onProgress === undefined &&
    (utf8 || responseType === 'arraybuffer')
  ) {
    response.data = responseType === 'arraybuffer' ? Buffer.from(await source.arrayBuffer()) : await source.text();
    return response;
  }
  const buffer = await readLimited(source, maxContentLength, response);
  response.data = responseType === 'arraybuffer' ? buffer : decodeText(buffer, encodingName);
  return response;
}

/** undici's body, which reads itself to text or bytes (a whole body's stream does not). */
function isUndiciBody(body: Readable): body is Dispatcher.ResponseData['body'] {
  return typeof (body as Partial<Dispatcher.ResponseData['body']>).text === 'function';
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

function noop(): void {}
