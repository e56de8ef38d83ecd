import { Pool, request as undiciRequest } from 'undici';
import { describe, expect, it } from 'vitest';
import type { UpstreamEvents } from '../src/index.ts';
import { waitFor } from '@steady/fault-server';
import { pause, useHarness } from './harness.ts';

const { server, lb, upstream, defer } = useHarness();

describe('stale-socket replay behind a load balancer that forgets idle connections', () => {
  it('plain undici fails, Steady replays every stale socket once with 0 failures', async () => {
    const s = await server();
    const balancer = await lb(s.url, 120);

    // Baseline: a plain undici pool (4 s keep-alive) through the same LB.
    const plain = new Pool(balancer.url);
    defer(() => plain.destroy());
    let plainFailures = 0;
    for (let i = 0; i < 6; i++) {
      try {
        const res = await undiciRequest(`${balancer.url}/x`, { dispatcher: plain });
        await res.body.dump();
      } catch {
        plainFailures++;
      }
      await pause(180);
    }
    expect(plainFailures).toBeGreaterThan(0);

    const up = upstream({ origin: balancer.url, retry: false });
    const replays: UpstreamEvents['replay'][] = [];
    up.on('replay', (e) => replays.push(e));
    let failures = 0;
    const N = 12;
    for (let i = 0; i < N; i++) {
      try {
        const res = await up.request('/x', { query: { token: 'secret' } });
        expect(res.statusCode).toBe(200);
        await res.body.dump();
      } catch {
        failures++;
      }
      await pause(180);
    }
    expect(failures).toBe(0);
    const stats = up.stats();
    expect(stats.calls.replays).toBeGreaterThan(0);
    expect(replays.length).toBe(stats.calls.replays);
    expect(replays[0]).toMatchObject({ method: 'GET', reason: expect.any(String) });
    expect(JSON.stringify(replays)).not.toContain('secret');
    // Replays go out on the same client's fresh socket: never more than one socket here.
    expect(stats.pool.peakSockets).toBe(1);
    expect(balancer.counters().resets).toBe(plainFailures + stats.calls.replays);
  });

  it('never replays a POST whose bytes may have been delivered', async () => {
    const s = await server();
    const balancer = await lb(s.url, 100);
    const up = upstream({ origin: balancer.url, retry: false });
    const warm = await up.request('/x');
    await warm.body.dump();
    await pause(160);
    const error = await up.request('/orders', { method: 'POST', body: '{"n":1}' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STEADY_NETWORK', delivery: 'unknown', method: 'POST' });
    expect(up.stats().calls.replays).toBe(0);
    expect(s.counters().byPath['/orders'] ?? 0).toBe(0);
  });

  it('replays a POST that carries an Idempotency-Key', async () => {
    const s = await server();
    const balancer = await lb(s.url, 100);
    const up = upstream({ origin: balancer.url, retry: false });
    await (await up.request('/x')).body.dump();
    await pause(160);
    const res = await up.request('/orders', { method: 'POST', body: 'x', headers: { 'idempotency-key': 'k1' } });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(up.stats().calls.replays).toBe(1);
  });

  it('never replays a POST marked idempotent: false, nor a GET marked so: the call decides, as for retries', async () => {
    const s = await server();
    const balancer = await lb(s.url, 100);
    const up = upstream({ origin: balancer.url, retry: false });
    await (await up.request('/x')).body.dump();
    await pause(160);
    const post = await up
      .request('/orders', { method: 'POST', body: 'x', headers: { 'idempotency-key': 'k2' }, idempotent: false })
      .catch((e: unknown) => e);
    expect(post).toMatchObject({ code: 'STEADY_NETWORK', delivery: 'unknown', method: 'POST' });
    await (await up.request('/x')).body.dump();
    await pause(160);
    const get = await up.request('/report', { idempotent: false }).catch((e: unknown) => e);
    expect(get).toMatchObject({ code: 'STEADY_NETWORK', delivery: 'unknown', method: 'GET' });
    expect(up.stats().calls.replays).toBe(0);
    expect(s.counters().byPath['/orders'] ?? 0).toBe(0);
    expect(s.counters().byPath['/report'] ?? 0).toBe(0);
  });

  it("uses the upstream's retry.methods for replays too: TRACE is not idempotent by default", async () => {
    const s = await server();
    const balancer = await lb(s.url, 100);
    const up = upstream({ origin: balancer.url, retry: false });
    await (await up.request('/x')).body.dump();
    await pause(160);
    const error = await up.request('/t', { method: 'TRACE' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STEADY_NETWORK', method: 'TRACE' });
    expect(up.stats().calls.replays).toBe(0);
  });
});

describe('a dropped request', () => {
  it('a POST dropped after the body was read is not replayed: the server sees it once', async () => {
    const s = await server({ routes: { '/pay': { resetBeforeResponse: true } } });
    const up = upstream({ origin: s.url });
    await (await up.request('/warm')).body.dump();
    s.resetCounters();
    const error = await up.request('/pay', { method: 'POST', body: 'amount=1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STEADY_NETWORK', delivery: 'unknown' });
    expect(s.counters().bodiesReceived).toBe(1);
    expect(s.counters().byPath['/pay']).toBe(1);
  });

  it('a connection refused is a not-sent error', async () => {
    const s = await server();
    const url = s.url;
    await s.close();
    const up = upstream({ origin: url, retry: false });
    const error = await up.request('/x', { method: 'POST', body: 'a' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STEADY_CONNECT', delivery: 'not-sent', causeCode: 'ECONNREFUSED' });
  });
});

describe('deadlines', () => {
  it('hung headers end at the headers deadline, and the socket is freed', async () => {
    const s = await server({ routes: { '/hang': { hang: true } } });
    const up = upstream({ origin: s.url, timeouts: { headers: 150, total: 2_000 }, retry: false });
    const started = Date.now();
    const error = await up.request('/hang').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STEADY_TIMEOUT', phase: 'headers' });
    // undici checks headers deadlines on a coarse (~0.5 s) timer, so "at the headers deadline"
    // means well before the 2 s total deadline, not within a few ms of 150.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(up.stats().calls.timeouts.headers).toBe(1);
    await waitFor(() => s.openSockets() === 0, { what: 'the hung socket to be closed' });
  });

  it('a stalled body ends at the body-idle deadline', async () => {
    const s = await server({ routes: { '/stall': { stallAfterBytes: 100, body: { bytes: 4096 } } } });
    const up = upstream({ origin: s.url, timeouts: { body: 150, total: 2_000 }, retry: false });
    const res = await up.request('/stall');
    const error = await res.body.text().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STEADY_TIMEOUT', phase: 'body' });
    expect((error as Error).cause).toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
  });

  it('the total deadline fires with phase "total" and aborts the request', async () => {
    const s = await server({ routes: { '/slow': { latency: 1_000 } } });
    const up = upstream({ origin: s.url, timeouts: { total: 150 }, retry: false });
    const started = Date.now();
    const error = await up.request('/slow').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STEADY_TIMEOUT', phase: 'total' });
    expect(Date.now() - started).toBeLessThan(800);
  });

  it("the caller's AbortSignal aborts with STEADY_ABORTED and keeps the reason as cause", async () => {
    const s = await server({ routes: { '/slow': { latency: 1_000 } } });
    const up = upstream({ origin: s.url, retry: false });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user left')), 50);
    const error = await up.request('/slow', { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STEADY_ABORTED' });
    expect((error as Error).cause).toMatchObject({ message: 'user left' });
  });
});

describe('the pool under a burst', () => {
  it('2,000 concurrent calls open at most `connections` sockets', async () => {
    const s = await server();
    const up = upstream({ origin: s.url, pool: { connections: 8 }, bulkhead: false, timeouts: { total: 30_000 } });
    const results = await Promise.allSettled(
      Array.from({ length: 2_000 }, async () => {
        const res = await up.request('/burst');
        await res.body.dump();
        return res.statusCode;
      }),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2_000);
    expect(s.counters().connections).toBeLessThanOrEqual(8);
    expect(up.stats().pool.peakSockets).toBeLessThanOrEqual(8);
  });
});

describe('graceful close', () => {
  it('drains 200 in-flight calls with none lost, then rejects new calls with STEADY_CLOSED', async () => {
    const s = await server({ routes: { '/work': { latency: 300 } } });
    const up = upstream({ origin: s.url, pool: { connections: 200 }, bulkhead: false });
    const inFlight = Array.from({ length: 200 }, async () => {
      const res = await up.request('/work');
      return (await res.body.json()) as unknown;
    });
    await pause(100);
    const closing = up.close();
    expect(up.state).toBe('closing');
    const late = await up.request('/work').catch((e: unknown) => e);
    expect(late).toMatchObject({ code: 'STEADY_CLOSED' });
    const results = await Promise.allSettled(inFlight);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(0);
    await closing;
    expect(up.state).toBe('closed');
    expect(up.close()).toBe(closing);
    expect(up.stats().pool.socketsOpen).toBe(0);
  });

  it('destroys calls still running after closeTimeout', async () => {
    const s = await server({ routes: { '/hang': { hang: true } } });
    const up = upstream({
      origin: s.url,
      closeTimeout: 100,
      timeouts: { total: 10_000, headers: 10_000 },
      retry: false,
    });
    const call = up.request('/hang').catch((e: unknown) => e);
    await pause(50);
    await up.close();
    expect(await call).toMatchObject({ code: expect.stringMatching(/^STEADY_/) });
  });
});

describe('while the body streams', () => {
  it("the caller's signal still aborts the body, with STEADY_ABORTED", async () => {
    const s = await server({ routes: { '/stall': { stallAfterBytes: 100, body: { bytes: 4096 } } } });
    const up = upstream({ origin: s.url, timeouts: { body: 5_000, total: 5_000 } });
    const controller = new AbortController();
    const res = await up.request('/stall', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('navigated away')), 30);
    const started = Date.now();
    const error = await res.body.text().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STEADY_ABORTED' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a response that has fully arrived holds nothing: no listener on its body, and a later abort leaves its bytes readable', async () => {
    const s = await server({ routes: { '/small': { body: { bytes: 512 } } } });
    const up = upstream({ origin: s.url, timeouts: { total: 5_000 } });
    const controller = new AbortController();
    const res = await up.request('/small', { signal: controller.signal });
    // Steady's own pool says when the response ends: the deadline's hold needs no 'close' listener.
    expect(res.body.listenerCount('close')).toBe(0);
    await waitFor(() => res.body.readableLength === 512, { what: 'the whole body buffered' });
    controller.abort(new Error('too late'));
    expect(await res.body.text()).toHaveLength(512);
    expect(up.stats()).toMatchObject({ calls: { succeeded: 1, failed: 0 } });
  });

  it('a connection reset mid-body is a typed STEADY_NETWORK error', async () => {
    const s = await server({ routes: { '/cut': { resetAfterBytes: 200, body: { bytes: 4096 } } } });
    const up = upstream({ origin: s.url });
    const res = await up.request('/cut');
    const error = await res.body.arrayBuffer().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STEADY_NETWORK', delivery: 'unknown', method: 'GET' });
  });

  it('a fallback answers instead of failing, per upstream and per call', async () => {
    const s = await server({ routes: { '/hang': { hang: true } } });
    const fallbacks: unknown[] = [];
    const up = upstream({
      origin: s.url,
      timeouts: { total: 100 },
      retry: false,
      fallback: (error) => ({ fallback: 'upstream', code: (error as { code?: string }).code }),
    });
    up.on('fallback', (e) => fallbacks.push(e));
    const first = await up.request('/hang');
    expect(await first.body.json()).toEqual({ fallback: 'upstream', code: 'STEADY_TIMEOUT' });
    expect(await (await up.request('/hang', { fallback: () => 'per-call' })).body.text()).toBe('per-call');
    expect(fallbacks).toHaveLength(2);
  });
});
