import { ErrorCode, SteadyError, isSteadyError, printable, type ErrorContext } from './steady-error.ts';

/** An option failed validation at construction. Names the option path, the allowed range and the value. */
export class InvalidOptionError extends SteadyError {
  /** Full path of the option, e.g. `retry.retries`. */
  readonly option: string;
  /** What the option must be, e.g. "an integer in 0…10". */
  readonly expected: string;
  readonly received: unknown;
  constructor(option: string, expected: string, received: unknown, cause?: unknown) {
    super(ErrorCode.INVALID_OPTION, `\`${option}\` must be ${expected} (received ${describe(received)})`, {}, cause);
    this.name = 'InvalidOptionError';
    this.option = option;
    this.expected = expected;
    this.received = received;
  }

  /** The same error with its path below `prefix` (e.g. `upstreams.payments`), this one as `cause`. */
  withPrefix(prefix: string): InvalidOptionError {
    return new InvalidOptionError(`${prefix}.${this.option}`, this.expected, this.received, this);
  }
}

/**
 * The caller's request is at fault, not the upstream: a bad path or method, CR/LF in a header,
 * an unsupported body, a body that disagrees with its `content-length`, or an upload stream
 * that failed. Never retried and never counted by the circuit breaker. Control characters of
 * caller-supplied text are escaped in the message.
 */
export class InvalidRequestError extends SteadyError {
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super(ErrorCode.INVALID_REQUEST, printable(message), context, cause);
    this.name = 'InvalidRequestError';
  }
}

/** Which deadline fired. */
export type TimeoutPhase = 'connect' | 'headers' | 'body' | 'total' | 'queue';

/** A deadline fired; `phase` says which. The underlying request was aborted and its socket freed. */
export class TimeoutError extends SteadyError {
  readonly phase: TimeoutPhase;
  /** The deadline, in milliseconds. */
  readonly timeout: number | undefined;
  constructor(phase: TimeoutPhase, timeout: number | undefined, context: ErrorContext = {}, cause?: unknown) {
    super(
      ErrorCode.TIMEOUT,
      `${phase} timeout${timeout === undefined ? '' : ` of ${timeout} ms`} exceeded`,
      context,
      cause,
    );
    this.name = 'TimeoutError';
    this.phase = phase;
    this.timeout = timeout;
  }
}

/** The caller's AbortSignal fired. `cause` is the signal's reason. */
export class AbortedError extends SteadyError {
  constructor(context: ErrorContext = {}, cause?: unknown) {
    super(ErrorCode.ABORTED, 'request aborted by the caller', context, cause);
    this.name = 'AbortedError';
  }
}

/** The upstream is closing or closed: the call was not admitted. */
export class ClosedError extends SteadyError {
  constructor(context: ErrorContext = {}) {
    super(ErrorCode.CLOSED, 'upstream is closed', context);
    this.name = 'ClosedError';
  }
}

/**
 * Whether the request may have reached the server:
 * - `not-sent`: provably never left (failed while connecting): safe to retry any method;
 * - `unknown`: bytes may have been delivered: only idempotent requests may be retried.
 */
export type Delivery = 'not-sent' | 'unknown';

/** A transport failure. `delivery` tells whether the request may have reached the server. */
export class NetworkError extends SteadyError {
  readonly delivery: Delivery;
  /** The underlying error code, e.g. `ECONNRESET`, `UND_ERR_SOCKET`. */
  readonly causeCode: string | undefined;
  constructor(delivery: Delivery, context: ErrorContext = {}, cause?: unknown) {
    const causeCode = codeOf(cause);
    super(
      delivery === 'not-sent' ? ErrorCode.CONNECT : ErrorCode.NETWORK,
      `${delivery === 'not-sent' ? 'connection failed, request not sent' : 'connection lost, request outcome unknown'}${causeCode ? ` [${causeCode}]` : ''}`,
      context,
      cause,
    );
    this.name = 'NetworkError';
    this.delivery = delivery;
    this.causeCode = causeCode;
  }
}

/** The circuit breaker is open: the call failed fast with no I/O. */
export class CircuitOpenError extends SteadyError {
  /** Milliseconds until the breaker admits a probe. */
  readonly retryAfter: number;
  constructor(retryAfter: number, context: ErrorContext = {}) {
    super(
      ErrorCode.CIRCUIT_OPEN,
      Number.isFinite(retryAfter)
        ? `circuit open, retry in ${Math.max(0, Math.round(retryAfter))} ms`
        : 'circuit open until reset (isolated)',
      context,
    );
    this.name = 'CircuitOpenError';
    this.retryAfter = retryAfter;
  }
}

/** The bulkhead is full (`maxConcurrent` running and `maxQueued` waiting): the call failed fast. */
export class BulkheadFullError extends SteadyError {
  readonly maxConcurrent: number;
  readonly maxQueued: number;
  constructor(maxConcurrent: number, maxQueued: number, context: ErrorContext = {}) {
    super(ErrorCode.BULKHEAD_FULL, `bulkhead full (${maxConcurrent} running, ${maxQueued} queued)`, context);
    this.name = 'BulkheadFullError';
    this.maxConcurrent = maxConcurrent;
    this.maxQueued = maxQueued;
  }
}

/**
 * The upstream broke HTTP: a malformed status line or chunk size, a body shorter or longer than
 * its `content-length`, a corrupt compressed body, or a status the caller's API cannot represent.
 * `cause` is the parser's, zlib's or the runtime's own error. Not retried (the upstream answered,
 * wrongly: a resend is unlikely to be better, and may not be safe); counted by the breaker.
 */
export class ProtocolError extends SteadyError {
  /** The underlying error code, e.g. `HPE_INVALID_CHUNK_SIZE`, `Z_DATA_ERROR`. */
  readonly causeCode: string | undefined;
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    const causeCode = codeOf(cause);
    super(ErrorCode.PROTOCOL, `${message}${causeCode ? ` [${causeCode}]` : ''}`, context, cause);
    this.name = 'ProtocolError';
    this.causeCode = causeCode;
  }
}

/**
 * The upstream's TLS certificate did not verify (self-signed, expired, wrong host name, unknown
 * issuer): a configuration error, not an outage. Never retried, never counted by the circuit
 * breaker; nothing was sent. Fix `pool.tls` (`ca`, `servername`) or the server's certificate.
 */
export class TlsError extends SteadyError {
  /** The TLS error code, e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`. */
  readonly causeCode: string | undefined;
  constructor(context: ErrorContext = {}, cause?: unknown) {
    const causeCode = codeOf(cause);
    super(
      ErrorCode.TLS,
      `TLS certificate verification failed, request not sent${causeCode ? ` [${causeCode}]` : ''}`,
      context,
      cause,
    );
    this.name = 'TlsError';
    this.causeCode = causeCode;
  }
}

/**
 * A response body grew past `pool.maxResponseSize` bytes (decoded size where Steady decodes):
 * reading stopped and the socket was freed. Not retried, not counted by the breaker.
 */
export class ResponseTooLargeError extends SteadyError {
  /** The limit, in bytes. */
  readonly limit: number;
  constructor(limit: number, context: ErrorContext = {}) {
    super(ErrorCode.RESPONSE_TOO_LARGE, `response body larger than ${limit} bytes (pool.maxResponseSize)`, context);
    this.name = 'ResponseTooLargeError';
    this.limit = limit;
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function guard<E extends SteadyError>(code: ErrorCode) {
  return (error: unknown): error is E => isSteadyError(error) && error.code === code;
}

/** Guards that work across duplicate installs (they check the brand and the code, not the class). */
export const isInvalidOptionError = guard<InvalidOptionError>(ErrorCode.INVALID_OPTION);
export const isInvalidRequestError = guard<InvalidRequestError>(ErrorCode.INVALID_REQUEST);
export const isTimeoutError = guard<TimeoutError>(ErrorCode.TIMEOUT);
export const isAbortedError = guard<AbortedError>(ErrorCode.ABORTED);
export const isClosedError = guard<ClosedError>(ErrorCode.CLOSED);
export const isCircuitOpenError = guard<CircuitOpenError>(ErrorCode.CIRCUIT_OPEN);
export const isBulkheadFullError = guard<BulkheadFullError>(ErrorCode.BULKHEAD_FULL);
export const isProtocolError = guard<ProtocolError>(ErrorCode.PROTOCOL);
export const isTlsError = guard<TlsError>(ErrorCode.TLS);
export const isResponseTooLargeError = guard<ResponseTooLargeError>(ErrorCode.RESPONSE_TOO_LARGE);
/** True for a {@link NetworkError}, whether `not-sent` (`STEADY_CONNECT`) or `unknown` (`STEADY_NETWORK`). */
export function isNetworkError(error: unknown): error is NetworkError {
  return isSteadyError(error) && (error.code === ErrorCode.CONNECT || error.code === ErrorCode.NETWORK);
}

/**
 * True for a connection refused (`ECONNREFUSED`, a {@link NetworkError} `not-sent`): the host
 * answered the SYN with a reset because nothing listens on the port, as while an upstream
 * process restarts. Nothing was sent, and refusing cost the upstream no work. Connect timeouts,
 * DNS failures and unreachable hosts are not refusals.
 */
export function isConnectionRefused(error: unknown): error is NetworkError {
  return isNetworkError(error) && error.delivery === 'not-sent' && error.causeCode === 'ECONNREFUSED';
}
