import diagnostics from 'node:diagnostics_channel';
import { describe, expect, it, vi } from 'vitest';
import { CircuitOpenError, type Upstream, type UpstreamEvents } from '../src/index.ts';
import { waitFor } from '@steady/fault-server';
import { useHarness } from './harness.ts';

const { server, upstream } = useHarness();

async function get(up: Upstream, path: string, headers?: Record<string, string>) {
  const res = await up.request(path, { headers });
  await res.body.dump();
  return res.statusCode;
}

describe('circuit breaker against a real outage', () => {
  it('opens within the configured calls, sends nothing while open, and one probe closes it after recovery', async () => {
    const s = await server({ routes: { '/pay': { status: 503 } } });
    const up = upstream({
      origin: s.url,
      retry: false,
      breaker: { consecutiveFailures: 3, minimumCalls: 100, openFor: 300 },
    });
    const transitions: UpstreamEvents['breakerStateChange'][] = [];
    up.on('breakerStateChange', (e) => transitions.push(e));

    for (let i = 0; i < 3; i++) expect(await get(up, '/pay')).toBe(503);
    expect(up.breaker?.state).toBe('open');
    const seen = s.counters().byPath['/pay'];
    expect(seen).toBe(3);

    // Open: fails fast with no I/O.
    for (let i = 0; i < 5; i++) {
      const error = await up.request('/pay').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'STEADY_CIRCUIT_OPEN', retryAfter: expect.any(Number) });
    }
    expect(s.counters().byPath['/pay']).toBe(seen);

    // Recovery, then one probe after openFor closes it.
    s.route('/pay', { status: 200 });
    // Reading stats() moves an expired open period to half-open: poll it instead of sleeping.
    await waitFor(() => up.stats().breaker?.state === 'half-open', { what: 'the breaker half-open' });
    expect(await get(up, '/pay')).toBe(200);
    expect(up.breaker?.state).toBe('closed');
    expect(s.counters().byPath['/pay']).toBe(seen! + 1);
    expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['closed>open', 'open>half-open', 'half-open>closed']);
    expect(up.stats().breaker).toMatchObject({ state: 'closed' });
  });
});

describe('an open breaker refuses before the pipeline', () => {
  it('costs no slot, deadline or retry credit; counts, events, per-call opt-out and fallbacks still apply', async () => {
    const s = await server();
    const up = upstream({ origin: s.url, retry: { retries: 2 }, bulkhead: { maxConcurrent: 1, maxQueued: 0 } });
    const rejected: string[] = [];
    up.on('rejected', (e) => rejected.push(e.code));
    up.breaker!.isolate();
    const before = up.stats();
    for (let i = 0; i < 50; i++) {
      const error = (await up.request('/x').catch((e: unknown) => e)) as Error & { code: string; retryAfter: number };
      expect(error).toBeInstanceOf(CircuitOpenError);
      expect(error).toMatchObject({ code: 'STEADY_CIRCUIT_OPEN', retryAfter: Infinity, url: `${s.url}/x` });
      expect(error.message).toContain('circuit open until reset (isolated)');
      // Fast-fail errors carry no captured stack: the first line only.
      expect(error.stack).toBe(`CircuitOpenError: ${error.message}`);
    }
    const after = up.stats();
    expect(rejected).toHaveLength(50);
    expect(after.calls.requests - before.calls.requests).toBe(50);
    expect(after.calls.failed - before.calls.failed).toBe(50);
    expect(after.inFlight).toBe(0);
    // No retry credit was earned, no bulkhead slot taken, nothing reached the server.
    expect(after.retry?.budget).toEqual(before.retry?.budget);
    expect(after.bulkhead).toMatchObject({ running: 0, rejected: 0 });
    expect(s.counters().requests).toBe(0);
    // `breaker: false` per call still goes to the server; a fallback still answers.
    expect((await up.request('/x', { breaker: false })).statusCode).toBe(200);
    const answered = await up.request('/x', { fallback: () => 'cached' });
    expect(await answered.body.text()).toBe('cached');
    expect(s.counters().requests).toBe(1);
  });
});

describe('retry budget against an always-503 upstream', () => {
  it('100 concurrent callers produce at most requests × (1 + ratio) + reserve attempts', async () => {
    const s = await server({ routes: { '/down': { status: 503 } } });
    const ratio = 0.2;
    const minPerSecond = 5;
    const up = upstream({
      origin: s.url,
      breaker: false,
      retry: { retries: 3, baseDelay: 1, maxDelay: 5, budget: { ratio, window: 10_000, minPerSecond } },
    });
    const exhausted: unknown[] = [];
    up.on('retryBudgetExhausted', (e) => exhausted.push(e));
    const statuses = await Promise.all(Array.from({ length: 100 }, () => get(up, '/down')));
    expect(statuses.every((status) => status === 503)).toBe(true);
    const attempts = s.counters().byPath['/down']!;
    const reserve = minPerSecond * 10;
    expect(attempts).toBeLessThanOrEqual(100 * (1 + ratio) + reserve);
    expect(attempts).toBeGreaterThan(100); // retries did happen, within the budget
    expect(exhausted.length).toBeGreaterThan(0);
    expect(up.stats().retry).toMatchObject({ budgetExhausted: exhausted.length });
  });
});

describe('retry rules on real sockets', () => {
  it('a 429 with Retry-After: 1 is retried after about a second, not sooner', async () => {
    const s = await server({
      routes: { '/limited': [{ status: 429, headers: { 'retry-after': '1' } }, { status: 200 }] },
    });
    const up = upstream({ origin: s.url, timeouts: { total: 5_000 } });
    const retries: UpstreamEvents['retry'][] = [];
    up.on('retry', (e) => retries.push(e));
    const started = Date.now();
    expect(await get(up, '/limited', { 'x-request-id': 'r1' })).toBe(200);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(s.attempts('r1')).toBe(2);
    expect(retries).toEqual([expect.objectContaining({ attempt: 1, delay: 1_000, reason: 'status 429' })]);
  });

  it('a Retry-After beyond the deadline ends the call at once with the last response', async () => {
    const s = await server({ routes: { '/limited': { status: 503, headers: { 'retry-after': '30' } } } });
    const up = upstream({ origin: s.url, timeouts: { total: 2_000 }, breaker: false });
    const started = Date.now();
    expect(await get(up, '/limited')).toBe(503);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(s.counters().byPath['/limited']).toBe(1);
  });

  it('a POST answered 503 is not retried; a PUT is', async () => {
    const s = await server({ routes: { '/r': { status: 503 } } });
    const up = upstream({ origin: s.url, breaker: false, retry: { baseDelay: 1, maxDelay: 2 } });
    const post = await up.request('/r', { method: 'POST', body: 'x' });
    await post.body.dump();
    expect(s.counters().byPath['/r']).toBe(1);
    const put = await up.request('/r', { method: 'PUT', body: 'x' });
    await put.body.dump();
    expect(s.counters().byPath['/r']).toBe(1 + 3);
  });

  it('a per-call override turns retries off', async () => {
    const s = await server({ routes: { '/r': { status: 503 } } });
    const up = upstream({ origin: s.url, breaker: false, retry: { baseDelay: 1, maxDelay: 2 } });
    const res = await up.request('/r', { retry: false });
    await res.body.dump();
    expect(s.counters().byPath['/r']).toBe(1);
  });
});

describe('bulkhead on real sockets', () => {
  it('overflow fails fast with STEADY_BULKHEAD_FULL and running calls finish', async () => {
    const s = await server({ routes: { '/slow': { latency: 200 } } });
    const up = upstream({ origin: s.url, bulkhead: { maxConcurrent: 2, maxQueued: 1 } });
    const calls = Array.from({ length: 5 }, () => get(up, '/slow').catch((e: { code?: string }) => e.code));
    const results = await Promise.all(calls);
    expect(results.filter((r) => r === 200)).toHaveLength(3);
    expect(results.filter((r) => r === 'STEADY_BULKHEAD_FULL')).toHaveLength(2);
    expect(up.stats().bulkhead).toMatchObject({ rejected: 2, running: 0, queued: 0 });
  });
});

describe('observability', () => {
  it('publishes events on steady:* diagnostics channels and stats() is plain JSON', async () => {
    const s = await server({ routes: { '/flaky': [{ status: 502 }, { status: 200 }] } });
    const up = upstream({ origin: s.url, retry: { baseDelay: 1, maxDelay: 2 } });
    const published: unknown[] = [];
    const listener = (message: unknown) => published.push(message);
    diagnostics.subscribe('steady:retry', listener);
    try {
      expect(await get(up, '/flaky')).toBe(200);
    } finally {
      diagnostics.unsubscribe('steady:retry', listener);
    }
    expect(published).toEqual([expect.objectContaining({ upstream: up.name, attempt: 1, reason: 'status 502' })]);
    const stats = up.stats();
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
    expect(stats.calls).toMatchObject({ requests: 1, succeeded: 1, failed: 0 });
    expect(stats.retry).toMatchObject({ retries: 1 });
  });

  it('a listener can be disposed, and a throwing listener never breaks a call', async () => {
    const s = await server({
      routes: { '/flaky': [{ status: 502 }, { status: 200 }, { status: 502 }, { status: 200 }] },
    });
    const up = upstream({ origin: s.url, retry: { baseDelay: 1, maxDelay: 2 } });
    let calls = 0;
    const dispose = up.on('retry', () => {
      calls++;
      throw new Error('listener bug');
    });
    // The warning is expected here: capture it (and keep it off the test output) to assert on it.
    const warnings: unknown[][] = [];
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation((...args: unknown[]) => {
      warnings.push(args);
    });
    try {
      expect(await get(up, '/flaky')).toBe(200);
      dispose();
      expect(await get(up, '/flaky')).toBe(200);
    } finally {
      emitWarning.mockRestore();
    }
    expect(calls).toBe(1);
    expect(warnings).toEqual([
      [expect.stringContaining('a "retry" listener threw: Error: listener bug'), 'SteadyListenerWarning'],
    ]);
  });
});
