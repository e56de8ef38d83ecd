import { pipeline, Readable } from 'node:stream';
import { ByteLimit } from './byte-limit.ts';
import { AxiosError, type AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';

/** A body the upstream can send: bytes or text are replayable, a stream is sent once. */
export type PreparedBody = string | Buffer | Readable | undefined;

/**
 * Turn axios' transformed `config.data` into a body undici can send and set the content
 * headers the way axios' http adapter does. Spec `FormData`, `form-data` instances and
 * Blobs are serialised into a Buffer, so they stay replayable for retries; streams are
 * passed through (and never retried).
 */
export async function prepareBody(
  data: unknown,
  headers: AxiosHeaders,
  config: InternalAxiosRequestConfig,
): Promise<PreparedBody> {
  if (data === undefined || data === null || data === '') return undefined;
  const maxBodyLength = config.maxBodyLength ?? -1;
  let body: string | Buffer;
  if (typeof data === 'string') {
    body = data;
  } else if (Buffer.isBuffer(data)) {
    body = data;
  } else if (data instanceof ArrayBuffer) {
    body = Buffer.from(data);
  } else if (isSpecFormData(data)) {
    const encoded = new Response(data as FormData);
    headers.setContentType(encoded.headers.get('content-type') ?? 'multipart/form-data');
    body = Buffer.from(await encoded.arrayBuffer());
  } else if (isFormDataPackage(data)) {
    setFormDataPackageHeaders(headers, data.getHeaders(), config.formDataHeaderPolicy);
    body = await readFormDataPackage(data);
  } else if (data instanceof Blob) {
    if (data.size > 0) headers.setContentType(data.type || 'application/octet-stream');
    body = Buffer.from(await data.arrayBuffer());
  } else if (isStream(data)) {
    const stream = data instanceof Readable ? data : new Readable().wrap(data as NodeJS.ReadableStream);
    return maxBodyLength > -1
      ? pipeline(
          stream,
          new ByteLimit(
            maxBodyLength,
            () => new AxiosError('Request body larger than maxBodyLength limit', AxiosError.ERR_BAD_REQUEST, config),
          ),
          noop,
        )
      : stream;
  } else {
    throw new AxiosError(
      'Data after transformation must be a string, an ArrayBuffer, a Buffer, or a Stream',
      AxiosError.ERR_BAD_REQUEST,
      config,
    );
  }
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  headers.setContentLength(length, false);
  if (maxBodyLength > -1 && length > maxBodyLength) {
    throw new AxiosError('Request body larger than maxBodyLength limit', AxiosError.ERR_BAD_REQUEST, config);
  }
  return body;
}

function isStream(value: unknown): value is { pipe: unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { pipe?: unknown }).pipe === 'function';
}

function isSpecFormData(value: unknown): boolean {
  const form = value as Record<symbol, unknown> & { append?: unknown; getHeaders?: unknown };
  return (
    typeof form.append === 'function' &&
    form[Symbol.toStringTag] === 'FormData' &&
    typeof form[Symbol.iterator] === 'function' &&
    typeof form.getHeaders !== 'function'
  );
}

interface FormDataPackage {
  getHeaders(): Record<string, string>;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  once(event: 'end' | 'error', listener: (error?: unknown) => void): unknown;
  resume(): unknown;
}

function isFormDataPackage(value: unknown): value is FormDataPackage {
  const form = value as { getHeaders?: unknown; append?: unknown; pipe?: unknown };
  return typeof form.getHeaders === 'function' && typeof form.append === 'function' && typeof form.pipe === 'function';
}

function setFormDataPackageHeaders(headers: AxiosHeaders, formHeaders: Record<string, string>, policy?: string): void {
  if (policy !== 'content-only') {
    headers.set(formHeaders);
    return;
  }
  for (const [name, value] of Object.entries(formHeaders)) {
    const lower = name.toLowerCase();
    if (lower === 'content-type' || lower === 'content-length') headers.set(name, value);
  }
}

/** A `form-data` instance is a legacy stream that starts on `resume()`: buffer it, so it is replayable. */
function readFormDataPackage(form: FormDataPackage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    form.on('data', (chunk: Buffer | string) => chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    form.once('end', () => resolve(Buffer.concat(chunks)));
    form.once('error', reject);
    form.resume();
  });
}

function noop(): void {}
