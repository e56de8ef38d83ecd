import type { Readable } from 'node:stream';
import { InvalidRequestError } from '../errors/errors.ts';
import { headerValue } from '../http/request-facts.ts';
import type { ResultInfo, RetainedResult } from '../policies/policy.ts';
import type { UpstreamRequestOptions, UpstreamResponse } from './types.ts';

/** The parts of `upstream.request()` that are about HTTP, not about the policies. */

/** Path plus query string; a path that is not `/…` or holds whitespace or CR/LF is a typed error. */
export function buildPath(
  path: string,
  query: UpstreamRequestOptions['query'],
  upstream: string,
  method: string,
): string {
  if (typeof path !== 'string' || !path.startsWith('/') || /[\r\n\s]/.test(path)) {
    throw new InvalidRequestError(
      `path must be a string starting with "/" without spaces or CR/LF (received ${JSON.stringify(String(path)).slice(0, 80)})`,
      {
        upstream,
        method,
      },
    );
  }
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const text = params.toString();
  if (text === '') return path;
  return path + (path.includes('?') ? '&' : '?') + text;
}

/** The status and headers of a response, for the retry policy and the breaker. */
export function classifyResponse(res: UpstreamResponse): ResultInfo {
  return { status: res.statusCode, header: (name) => headerValue(res.headers, name) };
}

/** Release a response that is retried past: its body is dumped so the socket is reused. */
export function discardResponse(res: UpstreamResponse): void {
  res.body.dump().catch(() => {});
}

/**
 * A response body the caller reads after `request()` resolved: the call's deadline and signal
 * stay in force until it closes (the deadline policy puts the function that ends them in
 * `release`). A body nobody touched is `unused()`: when the deadline then dumps it, that is no
 * failed call (no `timeout` event) — the call succeeded and the caller chose not to read.
 */
export class HeldBody implements RetainedResult {
  release: (() => void) | undefined = undefined;
  #body: Readable | undefined = undefined;

  /** Hold `response.body` until it closes; release at once when there is none. */
  hold(response: unknown): void {
    const release = this.release;
    if (release === undefined) return;
    const body = (response as { body?: Readable } | null)?.body;
    if (body === undefined || typeof body.once !== 'function' || body.destroyed) {
      release();
      return;
    }
    this.#body = body;
    body.once('close', release);
  }

  unused(): boolean {
    const body = this.#body as (Readable & { bodyUsed?: boolean }) | undefined;
    return body !== undefined && !body.readableDidRead && body.readableFlowing === null && body.bodyUsed !== true;
  }
}
