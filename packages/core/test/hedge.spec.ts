import { describe, expect, it } from 'vitest';
import { isInvalidOptionError, type UpstreamEvents } from '../src/index.ts';
import { waitFor } from '@steady/fault-server';
import { useHarness } from './harness.ts';

const { server, upstream } = useHarness();

describe('hedged requests against a real server', () => {
  it('a slow first request is overtaken by its copy; the loser is aborted and its socket freed', async () => {
    const s = await server({ routes: { '/tail': [{ latency: 3_000 }, {}] } });
    const up = upstream({ origin: s.url, hedge: { delay: 50 } });
    const hedges: Array<UpstreamEvents['hedge']> = [];
    up.on('hedge', (e) => hedges.push(e));
    const started = Date.now();
    const res = await up.request('/tail', { query: { token: 'secret' } });
    expect(res.statusCode).toBe(200);
    expect((await res.body.json()) as object).toBeTypeOf('object');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(s.counters().byPath['/tail']).toBe(2);
    expect(hedges).toHaveLength(1);
    expect(hedges[0]).toMatchObject({ method: 'GET', attempt: 1, delay: 50 });
    expect(JSON.stringify(hedges)).not.toContain('secret');
    const stats = up.stats();
    expect(stats.hedge).toMatchObject({ sent: 1, won: 1, refused: 0 });
    expect(stats.breaker).toMatchObject({ failures: 0 });
    expect(stats.calls).toMatchObject({ succeeded: 1, failed: 0 });
    expect(stats.bulkhead?.running).toBe(0);
    // The aborted loser's socket is destroyed, the winner's returns to the pool.
    await waitFor(() => up.stats().pool.socketsOpen === 1 && s.openSockets() === 1, { what: 'one socket left open' });
  });

  it('time spent waiting for a socket is not hedged: the delay counts from the write', async () => {
    const s = await server({ routes: { '/busy': [{ latency: 300 }], '/queued': [{}] } });
    const up = upstream({ origin: s.url, pool: { connections: 1 } });
    const busy = up.request('/busy');
    // Queued behind /busy for ~300 ms on the only connection, then answered at once.
    const queued = await up.request('/queued', { hedge: { delay: 50 } });
    await queued.body.dump();
    await (await busy).body.dump();
    expect(s.counters().byPath['/queued']).toBe(1);
    expect(up.stats().hedge).toMatchObject({ sent: 0, refused: 0 });
  });

  it('a POST is never hedged; a POST with an Idempotency-Key is', async () => {
    const s = await server({ routes: { '/post': [{ latency: 400 }, {}], '/keyed': [{ latency: 3_000 }, {}] } });
    const up = upstream({ origin: s.url, hedge: { delay: 30 } });
    const plain = await up.request('/post', { method: 'POST', body: 'x' });
    await plain.body.dump();
    expect(s.counters().byPath['/post']).toBe(1);
    const keyed = await up.request('/keyed', { method: 'POST', body: 'x', headers: { 'idempotency-key': 'k1' } });
    await keyed.body.dump();
    expect(s.counters().byPath['/keyed']).toBe(2);
    expect(up.stats().hedge).toMatchObject({ sent: 1, won: 1 });
  });

  it('per call: hedge on an upstream that does not hedge, or off on one that does', async () => {
    const s = await server({ routes: { '/a': [{ latency: 2_000 }, {}], '/b': [{ latency: 300 }, {}] } });
    const plain = upstream({ origin: s.url });
    const a = await plain.request('/a', { hedge: { delay: 40 } });
    await a.body.dump();
    expect(plain.stats().hedge).toMatchObject({ sent: 1, won: 1, delay: null });
    const hedging = upstream({ origin: s.url, hedge: { delay: 40 } });
    const b = await hedging.request('/b', { hedge: false });
    await b.body.dump();
    expect(s.counters().byPath['/b']).toBe(1);
  });

  it('refuses at construction a hedge that cannot fit the total deadline', () => {
    let error: unknown;
    try {
      upstream({ origin: 'http://127.0.0.1:1', timeouts: { total: 1_000 }, hedge: { delay: 400, maxHedges: 3 } });
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionError(error)).toBe(true);
    expect((error as Error).message).toContain('`hedge.maxHedges` × `hedge.delay`');
    expect((error as Error).message).toContain('`timeouts.total` (1000 ms)');
  });
});
