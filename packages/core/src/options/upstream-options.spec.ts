import { describe, expect, it } from 'vitest';
import { InvalidOptionError, isInvalidOptionError } from '../errors/errors.ts';
import { DEFAULT_TRANSPORT_OPTIONS, resolveTransportOptions } from './upstream-options.ts';

const origin = 'http://127.0.0.1:8080';

describe('resolveTransportOptions', () => {
  it('applies the documented defaults', () => {
    const r = resolveTransportOptions({ origin });
    expect(r.name).toBe('127.0.0.1:8080');
    expect(r.origin.href).toBe('http://127.0.0.1:8080/');
    expect(r.pool.connections).toBeGreaterThanOrEqual(10);
    expect(r.pool.connections).toBeLessThanOrEqual(100);
    expect(r.pool).toMatchObject({ idleTimeout: 30_000, connectTimeout: 3_000, pipelining: 1, http2: false });
    expect(r.timeouts).toEqual({ total: 5_000, headers: 5_000, body: 5_000 });
    expect(r.closeTimeout).toBe(10_000);
  });

  it('clamps connections to 10…100 around cores × 10', () => {
    expect(DEFAULT_TRANSPORT_OPTIONS.connections(1)).toBe(10);
    expect(DEFAULT_TRANSPORT_OPTIONS.connections(4)).toBe(40);
    expect(DEFAULT_TRANSPORT_OPTIONS.connections(64)).toBe(100);
  });

  it('derives an idle timeout strictly below the load balancer idle timeout', () => {
    expect(resolveTransportOptions({ origin, loadBalancerIdleTimeout: 60_000 }).pool.idleTimeout).toBe(30_000);
    expect(resolveTransportOptions({ origin, loadBalancerIdleTimeout: 10_000 }).pool.idleTimeout).toBe(8_000);
    expect(resolveTransportOptions({ origin, loadBalancerIdleTimeout: 1_000 }).pool.idleTimeout).toBe(800);
  });

  it('pool.http2: true takes the defaults and makes the pool small; an object sets ping and streams', () => {
    const on = resolveTransportOptions({ origin, pool: { http2: true } });
    expect(on.pool.http2).toEqual({ pingInterval: 10_000, maxConcurrentStreams: 100 });
    expect(on.pool.connections).toBe(DEFAULT_TRANSPORT_OPTIONS.http2Connections);
    const custom = resolveTransportOptions({
      origin,
      pool: { http2: { pingInterval: 0, maxConcurrentStreams: 10 }, connections: 5 },
    });
    expect(custom.pool.http2).toEqual({ pingInterval: 0, maxConcurrentStreams: 10 });
    expect(custom.pool.connections).toBe(5);
    expect(resolveTransportOptions({ origin, pool: { http2: false } }).pool.http2).toBe(false);
  });

  it.each([
    ['yes', 'pool.http2'],
    [null, 'pool.http2'],
    [{ pingInterval: 50 }, 'pool.http2.pingInterval'],
    [{ pingInterval: 1.5e6 }, 'pool.http2.pingInterval'],
    [{ pingInterval: 150.5 }, 'pool.http2.pingInterval'],
    [{ maxConcurrentStreams: 0 }, 'pool.http2.maxConcurrentStreams'],
    [{ maxConcurrentStreams: 20_000 }, 'pool.http2.maxConcurrentStreams'],
    [{ pingIntervall: 1_000 }, 'pool.http2.pingIntervall'],
  ])('rejects pool.http2 = %j, naming %s', (http2, path) => {
    let error: unknown;
    try {
      resolveTransportOptions({ origin, pool: { http2 } });
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionError(error)).toBe(true);
    expect((error as InvalidOptionError).option).toBe(path);
  });

  it('accepts a URL object and a custom name', () => {
    const r = resolveTransportOptions({ origin: new URL('https://api.example.com'), name: 'payments' });
    expect(r.name).toBe('payments');
    expect(r.origin.origin).toBe('https://api.example.com');
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['origin', {}, 'origin'],
    ['origin', { origin: 42 }, 'origin'],
    ['origin', { origin: 'not a url' }, 'origin'],
    ['origin', { origin: 'ftp://example.com' }, 'origin'],
    ['origin', { origin: 'http://example.com/path' }, 'origin'],
    ['origin', { origin: 'http://example.com/?q=1' }, 'origin'],
    ['origin', { origin: 'http://user:pw@example.com' }, 'origin'],
    ['name', { origin, name: '' }, 'name'],
    ['name', { origin, name: 'a\nb' }, 'name'],
    ['loadBalancerIdleTimeout', { origin, loadBalancerIdleTimeout: -1 }, 'loadBalancerIdleTimeout'],
    ['pool', { origin, pool: 3 }, 'pool'],
    ['pool.connections', { origin, pool: { connections: 0 } }, 'pool.connections'],
    ['pool.connections', { origin, pool: { connections: 1.5 } }, 'pool.connections'],
    ['pool.idleTimeout', { origin, pool: { idleTimeout: 0 } }, 'pool.idleTimeout'],
    [
      'pool.idleTimeout',
      { origin, loadBalancerIdleTimeout: 60_000, pool: { idleTimeout: 60_000 } },
      'pool.idleTimeout',
    ],
    ['pool.connectTimeout', { origin, pool: { connectTimeout: Number.NaN } }, 'pool.connectTimeout'],
    ['pool.pipelining', { origin, pool: { pipelining: 0 } }, 'pool.pipelining'],
    [
      'pool.maxRequestsPerConnection',
      { origin, pool: { maxRequestsPerConnection: -1 } },
      'pool.maxRequestsPerConnection',
    ],
    ['pool.http2', { origin, pool: { http2: 'yes' } }, 'pool.http2'],
    ['pool.tls', { origin, pool: { tls: 'insecure' } }, 'pool.tls'],
    [
      'pool.tls.rejectUnauthorized',
      { origin, pool: { tls: { rejectUnauthorized: 0 } } },
      'pool.tls.rejectUnauthorized',
    ],
    ['pool.keepAliveInitialDelay', { origin, pool: { keepAliveInitialDelay: 0 } }, 'pool.keepAliveInitialDelay'],
    ['pool.unknown', { origin, pool: { conections: 5 } }, 'pool.conections'],
    ['timeouts.total', { origin, timeouts: { total: 0 } }, 'timeouts.total'],
    ['timeouts.headers', { origin, timeouts: { headers: -5 } }, 'timeouts.headers'],
    ['timeouts.body', { origin, timeouts: { body: '5s' } }, 'timeouts.body'],
    ['timeouts.unknown', { origin, timeouts: { connect: 5 } }, 'timeouts.connect'],
    ['closeTimeout', { origin, closeTimeout: -1 }, 'closeTimeout'],
    ['unknown top-level key', { origin, retires: 3 }, 'retires'],
  ];

  it.each(invalid)('rejects an invalid %s, naming the option path', (_label, input, path) => {
    let error: unknown;
    try {
      resolveTransportOptions(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(isInvalidOptionError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'STEADY_INVALID_OPTION', option: path });
    expect((error as Error).message).toContain(`\`${path}\``);
    expect((error as Error).message).toMatch(/received/);
  });

  it('never echoes credentials of a rejected origin', () => {
    expect(() => resolveTransportOptions({ origin: 'http://user:hunter2@example.com' })).toThrow(/\*\*\*@example\.com/);
    expect(() => resolveTransportOptions({ origin: 'http://user:hunter2@example.com' })).not.toThrow(/hunter2/);
  });

  it('names the range in the message', () => {
    expect(() => resolveTransportOptions({ origin, pool: { pipelining: 0 } })).toThrow(
      '`pool.pipelining` must be an integer in 1…100 (received 0)',
    );
  });
});
