import {
  AbortedError,
  ClosedError,
  InvalidRequestError,
  NetworkError,
  ProtocolError,
  TimeoutError,
  TlsError,
} from '../errors/errors.ts';
import { isSteadyError, type ErrorContext } from '../errors/steady-error.ts';
import { errorCode, NETWORK_CODES, NOT_SENT_CODES, TLS_CERT_CODES } from '../http/request-facts.ts';
import { isCallerBodyError } from '../http/request-body.ts';
import { protocolFailure } from '../http/protocol-failure.ts';
import { deliveryOf } from '../pool/stale-replay.ts';

/** What the mapping needs to know about the call and the upstream. */
export interface MappingContext extends ErrorContext {
  closed: boolean;
  signal: AbortSignal | undefined;
  headersTimeout: number;
  bodyTimeout: number;
  connectTimeout: number;
}

/**
 * Turn an error thrown by undici (or by an attempt function built on it) into a typed
 * Steady error that says what happened and whether the request may have been delivered.
 * Errors Steady does not recognise are returned unchanged.
 */
export function toSteadyError(error: unknown, context: MappingContext): unknown {
  if (isSteadyError(error)) return error;
  const { signal } = context;
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    return isSteadyError(reason) ? reason : new AbortedError(context, reason);
  }
  if (isCallerBodyError(error)) {
    return new InvalidRequestError(
      'the request body stream failed (the caller’s stream, not the upstream)',
      context,
      error,
    );
  }
  // undici's llhttp errors (a malformed status line, header or chunk size) often carry no code.
  if ((error as { name?: unknown } | null)?.name === 'HTTPParserError') {
    return new ProtocolError('the upstream sent malformed HTTP', context, error);
  }
  const code = errorCode(error);
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new TimeoutError('headers', context.headersTimeout, context, error);
    case 'UND_ERR_BODY_TIMEOUT':
      return new TimeoutError('body', context.bodyTimeout, context, error);
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new TimeoutError('connect', context.connectTimeout, context, error);
    case 'UND_ERR_INVALID_ARG':
    case 'UND_ERR_NOT_SUPPORTED':
    case 'ERR_INVALID_URL':
    case 'ERR_INVALID_HTTP_TOKEN':
    case 'ERR_INVALID_CHAR':
      return new InvalidRequestError(`invalid request: ${(error as Error).message}`, context, error);
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      return new InvalidRequestError('the request body does not match its content-length header', context, error);
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
      return new ProtocolError('the response body does not match its content-length header', context, error);
    case 'ERR_ASSERTION':
      // undici asserts what a valid response must be (e.g. a status of at least 100).
      return new ProtocolError('the upstream sent a response that is not valid HTTP', context, error);
    case 'UND_ERR_DESTROYED':
    case 'UND_ERR_CLOSED':
      if (context.closed) return new ClosedError(context);
      break;
    case 'UND_ERR_ABORTED':
    case 'ABORT_ERR':
      return new AbortedError(context, error);
  }
  if (code !== undefined) {
    const protocol = protocolFailure(code);
    if (protocol !== undefined) return new ProtocolError(protocol, context, error);
    if (TLS_CERT_CODES.has(code)) return new TlsError(context, error);
    if (NOT_SENT_CODES.has(code)) return new NetworkError('not-sent', context, error);
  }
  const delivery = deliveryOf(error);
  if (delivery !== undefined || (code !== undefined && NETWORK_CODES.has(code))) {
    return new NetworkError(delivery ?? 'unknown', context, error);
  }
  return error;
}
