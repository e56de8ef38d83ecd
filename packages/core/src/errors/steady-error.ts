/**
 * The error model of Steady: one {@link SteadyError} base with a stable `code`, the
 * original `cause` kept, and a brand that survives two installed copies of the package.
 */

const BRAND = Symbol.for('steady.error');

/** Every stable error code Steady raises. */
export const ErrorCode = {
  INVALID_OPTION: 'STEADY_INVALID_OPTION',
  INVALID_REQUEST: 'STEADY_INVALID_REQUEST',
  TIMEOUT: 'STEADY_TIMEOUT',
  ABORTED: 'STEADY_ABORTED',
  CLOSED: 'STEADY_CLOSED',
  CONNECT: 'STEADY_CONNECT',
  NETWORK: 'STEADY_NETWORK',
  CIRCUIT_OPEN: 'STEADY_CIRCUIT_OPEN',
  BULKHEAD_FULL: 'STEADY_BULKHEAD_FULL',
  PROTOCOL: 'STEADY_PROTOCOL',
  TLS: 'STEADY_TLS',
  RESPONSE_TOO_LARGE: 'STEADY_RESPONSE_TOO_LARGE',
  ORIGIN_REFUSED: 'STEADY_ORIGIN_REFUSED',
} as const;

/** A stable Steady error code. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Where a failed call was going, with no query string and no credentials. */
export interface ErrorContext {
  /** The upstream's name. */
  upstream?: string;
  /** HTTP method, upper-case. */
  method?: string;
  /** Origin and path only: query and credentials are never kept. */
  url?: string;
  /** Attempt number, 0 for the first. */
  attempt?: number;
  /** Milliseconds since the call started. */
  elapsed?: number;
}

/** Base class of every error Steady raises. Check with {@link isSteadyError}, not `instanceof`. */
export class SteadyError extends Error {
  /** A stable code, e.g. `STEADY_TIMEOUT`. */
  readonly code: ErrorCode;
  readonly upstream: string | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly attempt: number | undefined;
  readonly elapsed: number | undefined;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, cause?: unknown) {
    super(withContext(message, context), cause === undefined ? undefined : { cause });
    this.name = 'SteadyError';
    this.code = code;
    this.upstream = context.upstream;
    this.method = context.method === undefined ? undefined : printable(context.method);
    this.url = context.url;
    this.attempt = context.attempt;
    this.elapsed = context.elapsed;
  }

  /**
   * `error instanceof SteadyError` holds for an error from any installed copy of Steady (the
   * brand is a `Symbol.for` key), as {@link isSteadyError} does. Subclasses keep the ordinary
   * prototype check; across copies, use their `isXxxError()` guards.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === SteadyError) return isSteadyError(value);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

// The brand lives on the prototype: every instance carries it, and none pays for an own property.
Object.defineProperty(SteadyError.prototype, BRAND, { value: true });

/**
 * Build an error without capturing a stack trace. For the fast-fail errors (an open breaker, a
 * full bulkhead), which an outage raises thousands of times a second: capturing the stack was
 * most of their cost, and their `code`, `upstream`, `method` and `url` already say where they
 * came from. `error.stack` is then the first line only (`CircuitOpenError: circuit open, …`).
 */
export function withoutStack<A extends unknown[], E extends Error>(Make: new (...args: A) => E, ...args: A): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new Make(...args);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function withContext(message: string, context: ErrorContext): string {
  const method = context.method === undefined ? undefined : printable(context.method);
  const url = context.url === undefined ? undefined : printable(context.url);
  const where = [method, url].filter(Boolean).join(' ');
  const parts = [
    context.upstream === undefined ? undefined : `upstream "${context.upstream}"`,
    where || undefined,
  ].filter(Boolean);
  return parts.length === 0 ? message : `${message} (${parts.join(', ')})`;
}

/**
 * Caller-supplied text made safe for a message or a log line: control characters (CR, LF,
 * ESC, …) are written as `\uXXXX`, so a value can never forge a log line or a terminal code.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(text) ? JSON.stringify(text).slice(1, -1) : text;
}

/** True for any error raised by any installed copy of Steady. */
export function isSteadyError(error: unknown): error is SteadyError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

/** Strip query, fragment and credentials from a URL, for messages, events and metrics. */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    const text = String(url);
    const cut = text.search(/[?#]/);
    return cut === -1 ? text : text.slice(0, cut);
  }
}
