import { InvalidOptionError, InvalidRequestError } from '../errors/errors.ts';
import { DEADLINE_RANGE, isDeadline } from '../options/validate.ts';

/** An HTTP method is a token (RFC 9110 §5.6.2): no space, no CR/LF, no separator. */
const METHOD_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HOUR = 3_600_000;

/**
 * Check the options of one `request()` or `execute()` call where they enter, the way
 * construction options are checked: the error names the option, the allowed range and the
 * value (`STEADY_INVALID_OPTION`), or, for a method that is not an HTTP token, is a typed
 * caller error (`STEADY_INVALID_REQUEST`, its text escaped). Returns the error, or undefined
 * when the options are fine. Hot path: a few `typeof` checks, nothing allocated unless wrong.
 */
export function checkCallOptions(options: unknown, upstream: string, http: boolean): Error | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) return new InvalidOptionError('options', 'an object', options);
  const o = options as Record<string, unknown>;
  const { signal, timeout, method } = o;
  if (signal !== undefined && !isAbortSignal(signal)) {
    return new InvalidOptionError('signal', 'an AbortSignal', signal);
  }
  if (timeout !== undefined && !isDeadline(timeout)) return new InvalidOptionError('timeout', DEADLINE_RANGE, timeout);
  if (method !== undefined) {
    if (typeof method !== 'string') return new InvalidOptionError('method', 'a string (an HTTP method)', method);
    if (!METHOD_TOKEN.test(method)) {
      return new InvalidRequestError(`method must be an HTTP token (received ${JSON.stringify(method)})`, {
        upstream,
      });
    }
  }
  if (o.idempotent !== undefined && typeof o.idempotent !== 'boolean') {
    return new InvalidOptionError('idempotent', 'a boolean', o.idempotent);
  }
  if (o.retry !== undefined && o.retry !== false && (typeof o.retry !== 'object' || o.retry === null)) {
    return new InvalidOptionError('retry', 'false or an object of retry options', o.retry);
  }
  if (o.breaker !== undefined && o.breaker !== false) return new InvalidOptionError('breaker', 'false', o.breaker);
  if (o.bulkhead !== undefined && o.bulkhead !== false) return new InvalidOptionError('bulkhead', 'false', o.bulkhead);
  if (o.hedge !== undefined && o.hedge !== false && (typeof o.hedge !== 'object' || o.hedge === null)) {
    return new InvalidOptionError('hedge', 'false or { delay?, maxHedges? }', o.hedge);
  }
  if (o.fallback !== undefined && typeof o.fallback !== 'function') {
    return new InvalidOptionError('fallback', 'a function', o.fallback);
  }
  if (!http) return undefined;
  if (o.headersTimeout !== undefined && !isPerAttemptTimeout(o.headersTimeout)) {
    return new InvalidOptionError('headersTimeout', `a number of milliseconds in 1…${HOUR}`, o.headersTimeout);
  }
  if (o.bodyTimeout !== undefined && !isPerAttemptTimeout(o.bodyTimeout)) {
    return new InvalidOptionError('bodyTimeout', `a number of milliseconds in 1…${HOUR}`, o.bodyTimeout);
  }
  if (o.wholeBody !== undefined && typeof o.wholeBody !== 'boolean') {
    return new InvalidOptionError('wholeBody', 'a boolean', o.wholeBody);
  }
  if (o.query !== undefined && (typeof o.query !== 'object' || o.query === null)) {
    return new InvalidOptionError('query', 'an object of query parameters', o.query);
  }
  return undefined;
}

function isAbortSignal(value: unknown): boolean {
  if (value instanceof AbortSignal) return true;
  const s = value as { aborted?: unknown; addEventListener?: unknown; removeEventListener?: unknown } | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.aborted === 'boolean' &&
    typeof s.addEventListener === 'function' &&
    typeof s.removeEventListener === 'function'
  );
}

function isPerAttemptTimeout(value: unknown): boolean {
  return typeof value === 'number' && value >= 1 && value <= HOUR;
}
