import { describe, expect, it } from 'vitest';
import {
  BulkheadFullError,
  CircuitOpenError,
  ClosedError,
  NetworkError,
  TimeoutError,
  isBulkheadFullError,
  isCircuitOpenError,
  isClosedError,
  isNetworkError,
  isTimeoutError,
} from './errors.ts';
import { ErrorCode, SteadyError, isSteadyError, redactUrl } from './steady-error.ts';

describe('SteadyError', () => {
  it('carries a stable code, the context and the cause', () => {
    const cause = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const error = new NetworkError(
      'unknown',
      { upstream: 'payments', method: 'GET', url: 'http://x/a', attempt: 1 },
      cause,
    );
    expect(error).toBeInstanceOf(SteadyError);
    expect(error.code).toBe(ErrorCode.NETWORK);
    expect(error.cause).toBe(cause);
    expect(error.causeCode).toBe('ECONNRESET');
    expect(error.message).toBe(
      'connection lost, request outcome unknown [ECONNRESET] (upstream "payments", GET http://x/a)',
    );
    expect(error).toMatchObject({ upstream: 'payments', method: 'GET', attempt: 1, delivery: 'unknown' });
  });

  it('says when a request was never sent', () => {
    const error = new NetworkError('not-sent', {}, Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    expect(error.code).toBe('STEADY_CONNECT');
    expect(isNetworkError(error)).toBe(true);
  });

  it('guards recognise errors from another installed copy (brand + code, not the class)', () => {
    const foreign = new (class extends Error {})('circuit open');
    Object.assign(foreign, { code: 'STEADY_CIRCUIT_OPEN' });
    Object.defineProperty(foreign, Symbol.for('steady.error'), { value: true });
    expect(isSteadyError(foreign)).toBe(true);
    expect(isCircuitOpenError(foreign)).toBe(true);
    expect(isSteadyError(Object.assign(new Error('x'), { code: 'STEADY_CLOSED' }))).toBe(false);
  });

  it('each guard matches only its own class', () => {
    const errors = [
      new TimeoutError('total', 5),
      new ClosedError(),
      new CircuitOpenError(10),
      new BulkheadFullError(1, 0),
    ];
    const guards = [isTimeoutError, isClosedError, isCircuitOpenError, isBulkheadFullError];
    guards.forEach((guard, i) => errors.forEach((error, j) => expect(guard(error)).toBe(i === j)));
  });

  it('a timeout says which phase fired', () => {
    expect(new TimeoutError('headers', 2000).message).toBe('headers timeout of 2000 ms exceeded');
  });

  it('redacts query, fragment and credentials from URLs', () => {
    expect(redactUrl('https://u:p@api.example.com/v1/pay?token=abc#x')).toBe('https://api.example.com/v1/pay');
    expect(redactUrl('/relative?token=abc')).toBe('/relative');
  });
});

describe('InvalidOptionError.withPrefix', () => {
  it('re-roots the option path and keeps the original as cause', async () => {
    const { InvalidOptionError } = await import('./errors.ts');
    const inner = new InvalidOptionError('retry.retries', 'an integer in 0…10', -1);
    const outer = inner.withPrefix('upstreams.payments');
    expect(outer.option).toBe('upstreams.payments.retry.retries');
    expect(outer.message).toBe('`upstreams.payments.retry.retries` must be an integer in 0…10 (received -1)');
    expect(outer.cause).toBe(inner);
  });
});

describe('new codes and caller text', () => {
  it('ProtocolError, TlsError and ResponseTooLargeError have stable codes and guards', async () => {
    const e = await import('./errors.ts');
    const protocol = new e.ProtocolError('bad', {}, Object.assign(new Error('x'), { code: 'Z_DATA_ERROR' }));
    expect(protocol).toMatchObject({ code: 'STEADY_PROTOCOL', causeCode: 'Z_DATA_ERROR' });
    expect(e.isProtocolError(protocol)).toBe(true);
    const tls = new e.TlsError({}, Object.assign(new Error('x'), { code: 'CERT_HAS_EXPIRED' }));
    expect(tls).toMatchObject({ code: 'STEADY_TLS', causeCode: 'CERT_HAS_EXPIRED' });
    expect(e.isTlsError(tls) && !e.isNetworkError(tls)).toBe(true);
    const big = new e.ResponseTooLargeError(10);
    expect(big).toMatchObject({ code: 'STEADY_RESPONSE_TOO_LARGE', limit: 10 });
    expect(e.isResponseTooLargeError(big)).toBe(true);
  });

  it('escapes control characters of caller text in messages and in `method`', async () => {
    const { InvalidRequestError } = await import('./errors.ts');
    const { printable } = await import('./steady-error.ts');
    expect(printable('GET\r\nX: 1')).toBe('GET\\r\\nX: 1');
    expect(printable('plain')).toBe('plain');
    const error = new InvalidRequestError('bad\nline', { method: 'GE\rT', url: 'http://h/p' });
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.method).toBe('GE\\rT');
  });
});
