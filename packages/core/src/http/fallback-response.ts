import '../runtime/node-check.ts';
import { Dispatcher } from 'undici';
import { InvalidOptionError } from '../errors/errors.ts';
import type { CallContext } from '../policies/policy.ts';
import type { UpstreamResponse } from '../upstream/types.ts';

/**
 * What a `request()` fallback may answer with. One rule for core and every adapter:
 *
 * - **a response**: undici response data (e.g. `otherUpstream.request(path)`) is used as is; a
 *   WHATWG `Response` gives its status, headers and (streaming) body;
 * - **a body**: a string is a `200` `text/plain; charset=utf-8` response, a `Uint8Array`/`ArrayBuffer`
 *   a `200` `application/octet-stream` one, any other JSON value (object, array, number, boolean,
 *   `null`) a `200` `application/json` one;
 * - anything else (`undefined`, a function, a symbol, a bigint, a value `JSON.stringify` refuses)
 *   fails the call with `STEADY_INVALID_OPTION` naming `fallback`, the call's error as `cause`.
 *
 * Adapters answer in their own terms: ky resolves with the very `Response` the fallback returned
 * (or one built from the body above); axios puts a body value as is in `response.data`.
 */
export type RequestFallbackValue =
  UpstreamResponse | Response | string | Uint8Array | ArrayBuffer | number | boolean | null | object;

/**
 * The `fallback` of `request()` calls (upstream-wide or per call): gets the error the call would
 * reject with and the call's context; answers with a {@link RequestFallbackValue} (or throws).
 */
export type RequestFallback = (
  error: unknown,
  ctx: CallContext,
) => RequestFallbackValue | PromiseLike<RequestFallbackValue>;

/** What a fallback answered, for adapters: `value` as returned, before it became a response. */
export interface FallbackAnswer {
  readonly value: unknown;
}

const EXPECTED = 'a function answering with a Response, undici response data, a string, bytes or a JSON value';
const answers = new WeakMap<object, FallbackAnswer>();

/**
 * The fallback's answer when `response` came from a `fallback` rather than the upstream
 * (undefined otherwise). Adapters use it to hand back the caller's own value (ky: the `Response`;
 * axios: the body as `data`) and to skip what only applies to the upstream's answers (redirects).
 */
export function fallbackAnswer(response: object): FallbackAnswer | undefined {
  return answers.get(response);
}

/** `fallback` with its answer turned into undici response data by the rule of {@link RequestFallbackValue}. */
export function answeringWithResponse(
  fallback: RequestFallback,
): (error: unknown, ctx: CallContext) => Promise<UpstreamResponse> {
  return async (error, ctx) => toFallbackResponse(await fallback(error, ctx), ctx.method, error);
}

/** One fallback answer as undici response data (see {@link RequestFallbackValue}); `cause` is the call's error. */
export async function toFallbackResponse(value: unknown, method: string, cause?: unknown): Promise<UpstreamResponse> {
  let response: UpstreamResponse;
  if (isResponseData(value)) {
    response = value;
  } else if (typeof Response !== 'undefined' && value instanceof Response) {
    response = await serve(method, value.status, value.statusText, fetchHeaders(value.headers), value.body);
  } else {
    const [type, bytes] = bodyOf(value, cause);
    const headers = { 'content-type': type, 'content-length': String(bytes.byteLength) };
    response = await serve(method, 200, 'OK', headers, bytes);
  }
  answers.set(response, { value });
  return response;
}

function bodyOf(value: unknown, cause: unknown): [string, Uint8Array] {
  if (typeof value === 'string') return ['text/plain; charset=utf-8', Buffer.from(value)];
  if (value instanceof Uint8Array) return ['application/octet-stream', value];
  if (value instanceof ArrayBuffer) return ['application/octet-stream', new Uint8Array(value)];
  const kind = typeof value;
  if (value !== undefined && kind !== 'function' && kind !== 'symbol' && kind !== 'bigint') {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      // a cycle or a bigint inside: refused below
    }
    if (json !== undefined) return ['application/json', Buffer.from(json)];
  }
  throw new InvalidOptionError('fallback', EXPECTED, value, cause);
}

function isResponseData(value: unknown): value is UpstreamResponse {
  if (typeof value !== 'object' || value === null) return false;
  const data = value as Partial<UpstreamResponse>;
  return (
    typeof data.statusCode === 'number' &&
    typeof data.headers === 'object' &&
    typeof data.body === 'object' &&
    data.body !== null &&
    typeof data.body.pipe === 'function'
  );
}

/**
 * A `Response`'s headers in undici's shape. Its body is already decoded (fetch decodes), so
 * `content-encoding` and the encoded `content-length` are dropped.
 */
function fetchHeaders(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const encoded = headers.has('content-encoding');
  for (const [name, value] of headers) {
    if (name === 'set-cookie') continue;
    if (encoded && (name === 'content-encoding' || name === 'content-length')) continue;
    out[name] = value;
  }
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  return out;
}

type Body = Uint8Array | ReadableStream<Uint8Array> | null;

/**
 * Build real undici response data (its `BodyReadable`: `text()`, `json()`, `dump()`, backpressure)
 * by answering one `request()` from memory through a tiny dispatcher: no socket is involved.
 */
function serve(
  method: string,
  status: number,
  statusText: string,
  headers: Record<string, string | string[]>,
  body: Body,
): Promise<UpstreamResponse> {
  return new AnswerDispatcher(status, statusText, headers, body).request({
    origin: 'http://fallback.invalid',
    path: '/',
    method: method as Dispatcher.HttpMethod,
  });
}

class AnswerDispatcher extends Dispatcher {
  readonly #status: number;
  readonly #statusText: string;
  readonly #headers: Record<string, string | string[]>;
  readonly #body: Body;

  constructor(status: number, statusText: string, headers: Record<string, string | string[]>, body: Body) {
    super();
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = headers;
    this.#body = body;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    new Answer(handler, options.method === 'HEAD' ? null : this.#body).start(
      this.#status,
      this.#statusText,
      this.#headers,
    );
    return true;
  }
}

/**
 * One answered request: the handler's controller. The body flows only once the response's
 * body is read (undici's body asks with `resume()`), so a `Response` nobody reads through the
 * response data stays unread: ky hands that very `Response` to its caller.
 */
class Answer implements Dispatcher.DispatchController {
  readonly #handler: Dispatcher.DispatchHandler;
  #bytes: Uint8Array | null;
  readonly #stream: ReadableStream<Uint8Array> | null;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #paused = true;
  #pumping = false;
  #done = false;
  #reason: Error | null = null;

  constructor(handler: Dispatcher.DispatchHandler, body: Body) {
    this.#handler = handler;
    this.#bytes = body instanceof Uint8Array ? body : null;
    this.#stream = body instanceof ReadableStream ? body : null;
  }

  get aborted(): boolean {
    return this.#reason !== null;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get reason(): Error | null {
    return this.#reason;
  }

  start(status: number, statusText: string, headers: Record<string, string | string[]>): void {
    this.#handler.onRequestStart?.(this, {});
    if (this.#done || this.aborted) return;
    this.#handler.onResponseStart?.(this, status, headers, statusText);
    if (this.#bytes === null && this.#stream === null) this.resume(); // no body: end it now
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    void this.#pump();
  }

  abort(reason: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#reason = reason;
    (this.#reader ?? this.#stream)?.cancel(reason).catch(() => {});
    this.#handler.onResponseError?.(this, reason);
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (!this.#paused && !this.#done) {
        const chunk = await this.#next();
        if (this.#done) return;
        if (chunk === undefined) {
          this.#done = true;
          this.#handler.onResponseEnd?.(this, {});
          return;
        }
        this.#handler.onResponseData?.(this, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      }
    } catch (error) {
      this.abort(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.#pumping = false;
    }
  }

  async #next(): Promise<Uint8Array | undefined> {
    if (this.#stream !== null) this.#reader ??= this.#stream.getReader();
    if (this.#reader === null) {
      const bytes = this.#bytes;
      this.#bytes = null;
      return bytes === null || bytes.byteLength === 0 ? undefined : bytes;
    }
    const { value, done } = await this.#reader.read();
    return done ? undefined : value;
  }
}
