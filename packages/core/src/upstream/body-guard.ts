import type { Readable } from 'node:stream';
import { AbortedError, TimeoutError } from '../errors/errors.ts';
import type { ErrorContext } from '../errors/steady-error.ts';

const noop = () => {};

/**
 * Keep the call's deadline and the caller's signal in force while the response body is
 * read: past the deadline the body is destroyed with a `total` TimeoutError, on the
 * caller's abort with an AbortedError. Both listeners go when the body closes.
 * A value that is not a response (a fallback's answer) is left alone.
 */
export function guardBody(
  response: unknown,
  deadline: number,
  total: number,
  signal: AbortSignal | undefined,
  context: ErrorContext,
): void {
  const body = (response as { body?: Readable } | null)?.body;
  if (body === undefined || typeof body.destroy !== 'function' || body.destroyed) return;
  const fail = (error: Error) => {
    // Nobody may be reading the body: the error must not become an uncaught exception.
    body.on('error', noop);
    body.destroy(error);
  };
  const timer = Number.isFinite(deadline)
    ? setTimeout(() => fail(new TimeoutError('total', total, context)), Math.max(0, deadline - Date.now()))
    : undefined;
  const onAbort = () => fail(new AbortedError(context, signal?.reason));
  if (signal !== undefined) {
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  }
  body.once('close', () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  });
}
