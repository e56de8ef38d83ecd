/**
 * Telling the caller's failures from the upstream's: an upload stream that errors is the
 * caller's bug (or the caller's data source failing), not a lost connection. Errors raised by
 * a request body are remembered here, so the error mapping can type them as caller errors.
 */

const callerErrors = new WeakSet<object>();

function remember(error: unknown): void {
  if (typeof error === 'object' && error !== null) callerErrors.add(error);
}

/** True when `error` was raised by a request body handed to {@link watchBody}. */
export function isCallerBodyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && callerErrors.has(error);
}

/**
 * `body`, watched so that its errors are known as the caller's: a Node stream gets one shared
 * `error` listener (registered before undici's, so the error is marked before undici sees it);
 * any other async iterable (a web `ReadableStream`, a generator) is wrapped. Strings, bytes
 * and blobs cannot fail and are returned as they are, with no cost.
 */
export function watchBody<B>(body: B): B {
  if (typeof body !== 'object' || body === null || body instanceof Uint8Array) return body;
  const stream = body as { on?: unknown; pipe?: unknown };
  if (typeof stream.on === 'function' && typeof stream.pipe === 'function') {
    (body as unknown as NodeJS.EventEmitter).on('error', remember);
    return body;
  }
  if (Symbol.asyncIterator in body) return guarded(body as AsyncIterable<unknown>) as B;
  return body;
}

async function* guarded<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    for await (const chunk of source) yield chunk;
  } catch (error) {
    remember(error);
    throw error;
  }
}
