import { createUpstream } from '@steady/core';
import { describe, expect, it } from 'vitest';
import { recommendOptions, type RecommendInput } from './recommend.ts';

const base: RecommendInput = {
  origin: 'https://api.example.com',
  idle: { aliveUpToMs: 45_000, closedByMs: 60_000, mode: 'silent' },
  alpn: 'http/1.1',
  dnsMs: 2,
  connectMs: 20,
  tlsMs: 40,
  responseMs: 30,
  requestsPerConnection: { served: 100, limit: 100, endedBy: null },
};

/** Every recommendation must be accepted by createUpstream as is. */
function accepted(options: ReturnType<typeof recommendOptions>) {
  const upstream = createUpstream(options);
  const resolved = upstream.options;
  void upstream.destroy();
  return resolved;
}

describe('recommendOptions', () => {
  it('silent drop between 45 and 60 s: loadBalancerIdleTimeout 45 s, so the pool idles at most 30 s', () => {
    const options = recommendOptions(base);
    expect(options).toEqual({
      origin: 'https://api.example.com',
      loadBalancerIdleTimeout: 45_000,
      pool: { connectTimeout: 1_000 },
    });
    expect(accepted(options).pool.idleTimeout).toBe(30_000);
  });

  it('a short path timeout: the derived idle timeout is 0.8 × the last alive rung, below the path', () => {
    const options = recommendOptions({ ...base, idle: { aliveUpToMs: 5_000, closedByMs: 10_000, mode: 'fin' } });
    expect(options.loadBalancerIdleTimeout).toBe(5_000);
    expect(accepted(options).pool.idleTimeout).toBe(4_000);
  });

  it('a server Keep-Alive hint inside the measured interval is the tighter bound; outside it, it is ignored', () => {
    const idle = { aliveUpToMs: 2_000, closedByMs: 5_000, mode: 'fin' as const };
    expect(recommendOptions({ ...base, idle, keepAliveTimeoutMs: 4_000 }).loadBalancerIdleTimeout).toBe(4_000);
    expect(recommendOptions({ ...base, idle, keepAliveTimeoutMs: 60_000 }).loadBalancerIdleTimeout).toBe(2_000);
    expect(recommendOptions({ ...base, idle, keepAliveTimeoutMs: 1_000 }).loadBalancerIdleTimeout).toBe(2_000);
  });

  it('closed even at the first rung: an explicit pool.idleTimeout below half of it', () => {
    const options = recommendOptions({ ...base, idle: { aliveUpToMs: null, closedByMs: 1_000, mode: 'silent' } });
    expect(options).toMatchObject({ loadBalancerIdleTimeout: 500 });
    const tiny = recommendOptions({ ...base, idle: { aliveUpToMs: null, closedByMs: 150, mode: 'silent' } });
    expect(tiny.loadBalancerIdleTimeout).toBeUndefined();
    expect(tiny.pool?.idleTimeout).toBe(60);
    expect(accepted(tiny).pool.idleTimeout).toBe(60);
  });

  it('alive at every rung: nothing when the longest rung passes core default (30 s), else capped there', () => {
    expect(recommendOptions({ ...base, idle: { aliveUpToMs: 120_000, closedByMs: null, mode: 'none' } })).toEqual({
      origin: base.origin,
      pool: { connectTimeout: 1_000 },
    });
    const short = recommendOptions({ ...base, idle: { aliveUpToMs: 2_000, closedByMs: null, mode: 'none' } });
    expect(short.pool?.idleTimeout).toBe(2_000);
    expect(accepted(short).pool.idleTimeout).toBe(2_000);
  });

  it('h2 offered: pool.http2; a server request limit: maxRequestsPerConnection', () => {
    const options = recommendOptions({
      ...base,
      alpn: 'h2',
      requestsPerConnection: { served: 100, limit: 100, endedBy: 'connection-close' },
    });
    expect(options.pool).toEqual({ http2: true, connectTimeout: 1_000, maxRequestsPerConnection: 100 });
    expect(accepted(options).pool).toMatchObject({
      http2: expect.objectContaining({ pingInterval: expect.any(Number) }),
      maxRequestsPerConnection: 100,
    });
  });

  it('connect timeout about 10 × the measured handshake (1 s…10 s); a slow origin gets a longer headers timeout', () => {
    expect(recommendOptions({ ...base, connectMs: 150, tlsMs: 250 }).pool?.connectTimeout).toBe(4_100);
    expect(recommendOptions({ ...base, connectMs: 3_000, tlsMs: 3_000 }).pool?.connectTimeout).toBe(10_000);
    const slow = recommendOptions({ ...base, responseMs: 1_200 });
    expect(slow.timeouts).toEqual({ headers: 12_000, total: 24_000 });
    expect(accepted(slow).timeouts).toMatchObject({ headers: 12_000, total: 24_000 });
    expect(recommendOptions(base).timeouts).toBeUndefined();
  });
});
