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
import { decodeBody, redactUrl } from '@steady/core';
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
  res: Dispatcher.ResponseData,
  config: InternalAxiosRequestConfig,
  request: SteadyRequestInfo,
  maxResponseSize = Infinity,
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
