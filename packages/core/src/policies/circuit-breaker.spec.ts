import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AbortedError, CircuitOpenError, NetworkError, TimeoutError, isCircuitOpenError } from '../errors/errors.ts';
import { EventHub, type UpstreamEvents } from '../events/events.ts';
import {
  CircuitBreakerPolicy,
  DEFAULT_CIRCUIT_BREAKER_OPTIONS,
  resolveCircuitBreakerOptions,
  type CircuitBreakerOptions,
  type ResolvedCircuitBreakerOptions,
} from './circuit-breaker.ts';
import { createTestContext, fakeResponse } from './test-context.ts';

function setup(options: CircuitBreakerOptions = {}) {
  const events = new EventHub();
  const changes: Array<UpstreamEvents['breakerStateChange']> = [];
  const rejected: Array<UpstreamEvents['rejected']> = [];
  events.on('breakerStateChange', (e) => changes.push(e));
  events.on('rejected', (e) => rejected.push(e));
  const resolved = resolveCircuitBreakerOptions(options, 'breaker') as ResolvedCircuitBreakerOptions;
  const breaker = new CircuitBreakerPolicy(resolved, { upstream: 'test', events });
  const next = vi.fn();
  /** One call whose attempt yields `outcome` (thrown if an Error) after `latency` ms. */
  const call = (outcome: unknown, latency = 0, overrides = {}) => {
    next.mockClear();
    const attempt = vi.fn(
      () =>
        new Promise((resolve, reject) => {
          const done = () => (outcome instanceof Error ? reject(outcome) : resolve(outcome));
          if (latency === 0) done();
          else setTimeout(done, latency);
        }),
    );
    next.mockImplementation(attempt);
    const promise = breaker.execute(next, createTestContext({ events, overrides }));
    return {
      attempt,
      settled: promise.then(
        (value) => ({ value, error: undefined as unknown }),
        (error: unknown) => ({ value: undefined as unknown, error }),
      ),
    };
  };
  const outcome = async (value: unknown, latency = 0) => {
    const c = call(value, latency);
    if (latency > 0) await vi.advanceTimersByTimeAsync(latency);
    return c.settled;
  };
  return { breaker, changes, rejected, call, outcome, events };
}

const fail = () => new NetworkError('unknown');
const ok = () => fakeResponse(200);

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('circuit breaker options', () => {
  it('has documented, frozen defaults', () => {
    expect(DEFAULT_CIRCUIT_BREAKER_OPTIONS).toMatchObject({
      failureRate: 0.5,
      window: 10_000,
      minimumCalls: 10,
      consecutiveFailures: 0,
      openFor: 500,
      maxOpenFor: 60_000,
      halfOpenProbes: 1,
      slowCall: false,
    });
    expect(Object.isFrozen(DEFAULT_CIRCUIT_BREAKER_OPTIONS)).toBe(true);
    expect(resolveCircuitBreakerOptions(undefined, 'breaker')).toEqual(DEFAULT_CIRCUIT_BREAKER_OPTIONS);
    expect(resolveCircuitBreakerOptions(false, 'breaker')).toBe(false);
    expect(resolveCircuitBreakerOptions({ slowCall: true }, 'breaker')).toMatchObject({
      slowCall: { threshold: 5000, rate: 0.5 },
    });
  });

  it('validates with the full option path', () => {
    expect(() => resolveCircuitBreakerOptions({ failureRate: 1.5 }, 'breaker')).toThrow(
      '`breaker.failureRate` must be a number in 0…1',
    );
    expect(() => resolveCircuitBreakerOptions({ openFor: 10_000, maxOpenFor: 5000 }, 'breaker')).toThrow(
      '`breaker.maxOpenFor`',
    );
    expect(() => resolveCircuitBreakerOptions({ slowCall: { rate: 2 } }, 'breaker')).toThrow('`breaker.slowCall.rate`');
    expect(() => resolveCircuitBreakerOptions({ isFailure: 1 }, 'breaker')).toThrow(
      '`breaker.isFailure` must be a function',
    );
    expect(() => resolveCircuitBreakerOptions({ treshold: 1 }, 'breaker')).toThrow('`breaker.treshold`');
    expect(resolveCircuitBreakerOptions({ openFor: 90_000 }, 'breaker')).toMatchObject({ maxOpenFor: 90_000 });
  });
});

describe('closed → open', () => {
  it('opens on consecutive failures and then fails fast without calling next', async () => {
    const { breaker, changes, rejected, call, outcome } = setup({ consecutiveFailures: 5, openFor: 5000 });
    for (let i = 0; i < 4; i++) await outcome(fail());
    expect(breaker.state).toBe('closed');
    await outcome(fail());
    expect(breaker.state).toBe('open');
    expect(changes).toEqual([{ upstream: 'test', from: 'closed', to: 'open', reason: '5 consecutive failures' }]);

    vi.advanceTimersByTime(1000);
    const c = call(ok());
    const { error } = await c.settled;
    expect(c.attempt).not.toHaveBeenCalled();
    expect(isCircuitOpenError(error)).toBe(true);
    expect(error).toMatchObject({
      retryAfter: 4000,
      upstream: 'test',
      method: 'GET',
      url: 'http://upstream.test/items',
    });
    expect(rejected).toEqual([{ upstream: 'test', code: 'STEADY_CIRCUIT_OPEN' }]);
    expect(breaker.stats()).toMatchObject({
      state: 'open',
      openedUntil: 5000,
      retryAfter: 4000,
      consecutiveFailures: 5,
    });
  });

  it('a success resets the consecutive count', async () => {
    const { breaker, outcome } = setup({ consecutiveFailures: 3, minimumCalls: 100 });
    await outcome(fail());
    await outcome(fail());
    await outcome(ok());
    await outcome(fail());
    await outcome(fail());
    expect(breaker.state).toBe('closed');
    await outcome(fail());
    expect(breaker.state).toBe('open');
  });

  it('opens on the failure rate only once minimumCalls is reached', async () => {
    const { breaker, changes, outcome } = setup({ consecutiveFailures: 0, minimumCalls: 10, failureRate: 0.5 });
    for (let i = 0; i < 9; i++) await outcome(i % 2 === 0 ? fail() : ok()); // 5 of 9 failed
    expect(breaker.state).toBe('closed');
    await outcome(ok()); // 5 of 10
    expect(breaker.state).toBe('open');
    expect(changes[0]?.reason).toBe('failure rate 50% over 10 calls');
  });

  it('stays closed below the rate, and old failures leave the window', async () => {
    const { breaker, outcome } = setup({ consecutiveFailures: 0, minimumCalls: 4, failureRate: 0.5, window: 1000 });
    await outcome(fail());
    await outcome(fail());
    await outcome(ok());
    vi.advanceTimersByTime(1000);
    await outcome(fail());
    await outcome(ok());
    await outcome(ok());
    await outcome(ok());
    expect(breaker.stats()).toMatchObject({ state: 'closed', calls: 4, failures: 1, failureRate: 0.25 });
  });

  it('counts 5xx and timeouts as failures; 4xx, 429, queue timeouts and caller aborts are not', async () => {
    const { breaker, outcome } = setup({ consecutiveFailures: 0, minimumCalls: 1000 });
    for (const v of [fakeResponse(429), fakeResponse(404), fakeResponse(400), ok()]) await outcome(v);
    expect(breaker.stats()).toMatchObject({ calls: 4, failures: 0 });
    await outcome(new TimeoutError('queue', 10));
    await outcome(new AbortedError());
    await outcome(new CircuitOpenError(1));
    expect(breaker.stats()).toMatchObject({ calls: 4, failures: 0 });
    for (const v of [
      fakeResponse(500),
      fakeResponse(503),
      new TimeoutError('headers', 1),
      new TimeoutError('total', 1),
      fail(),
    ]) {
      await outcome(v);
    }
    expect(breaker.stats()).toMatchObject({ calls: 9, failures: 5 });
    await outcome(new Error('a bug in the attempt'));
    expect(breaker.stats()).toMatchObject({ calls: 10, failures: 5, consecutiveFailures: 0 });
  });

  it('a total deadline spent mostly before the attempt (client-side queueing) does not count against the upstream', async () => {
    const { breaker } = setup({ consecutiveFailures: 0, minimumCalls: 1000 });
    const run = (queuedFor: number, attemptFor: number) => {
      const ctx = createTestContext({});
      ctx.deadline = Date.now() + 1_000 - queuedFor;
      (ctx as { startedAt: number }).startedAt = Date.now() - queuedFor;
      const promise = breaker.execute(
        () => new Promise((_, reject) => setTimeout(() => reject(new TimeoutError('total', 1_000)), attemptFor)),
        ctx,
      );
      return promise.catch(() => {});
    };
    const first = run(900, 100); // waited 900 ms in a queue, attempt had 100 ms
    await vi.advanceTimersByTimeAsync(100);
    await first;
    expect(breaker.stats()).toMatchObject({ calls: 0, failures: 0 });
    const second = run(0, 1_000); // the attempt itself ran out the deadline
    await vi.advanceTimersByTimeAsync(1_000);
    await second;
    expect(breaker.stats()).toMatchObject({ calls: 1, failures: 1 });
  });

  it('an aborted call does not reset the consecutive failures either', async () => {
    const { breaker, outcome } = setup({ consecutiveFailures: 2 });
    await outcome(fail());
    await outcome(new AbortedError());
    await outcome(fail());
    expect(breaker.state).toBe('open');
  });

  it('takes a custom isFailure', async () => {
    const isFailure = vi.fn((_error: unknown, result: { status: number } | undefined) => result?.status === 429);
    const { breaker, outcome } = setup({ consecutiveFailures: 2, isFailure });
    await outcome(fakeResponse(429));
    await outcome(fakeResponse(429));
    expect(breaker.state).toBe('open');
    expect(isFailure).toHaveBeenCalledWith(undefined, expect.objectContaining({ status: 429 }));
  });

  it('opens on the slow-call rate', async () => {
    const { breaker, changes, outcome } = setup({ minimumCalls: 4, slowCall: { threshold: 1000, rate: 0.5 } });
    await outcome(ok(), 1000);
    await outcome(ok(), 10);
    await outcome(ok(), 1500);
    expect(breaker.stats()).toMatchObject({ state: 'closed', slowCalls: 2 });
    await outcome(ok(), 20);
    expect(breaker.state).toBe('open');
    expect(changes[0]?.reason).toBe('slow call rate 50% over 4 calls');
  });

  it('ignores the outcome of calls admitted before the last transition', async () => {
    const { breaker, call, outcome } = setup({ consecutiveFailures: 1 });
    const slow = call(ok(), 100);
    await outcome(fail());
    expect(breaker.state).toBe('open');
    await vi.advanceTimersByTimeAsync(100);
    await slow.settled;
    expect(breaker.stats()).toMatchObject({ state: 'open', consecutiveFailures: 1 });
  });
});

describe('open → half-open → closed/open', () => {
  it('admits at most halfOpenProbes concurrent probes, closes when all succeed', async () => {
    const { breaker, changes, call, outcome } = setup({ consecutiveFailures: 1, halfOpenProbes: 2, openFor: 1000 });
    await outcome(fail());
    vi.advanceTimersByTime(1000);
    expect(breaker.state).toBe('half-open');
    const p1 = call(ok(), 50);
    const p2 = call(ok(), 50);
    const p3 = call(ok(), 50);
    expect((await p3.settled).error).toMatchObject({ code: 'STEADY_CIRCUIT_OPEN', retryAfter: 0 });
    expect(p3.attempt).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(50);
    await Promise.all([p1.settled, p2.settled]);
    expect(breaker.state).toBe('closed');
    expect(changes.map((c) => `${c.from}→${c.to}: ${c.reason}`)).toEqual([
      'closed→open: 1 consecutive failures',
      'open→half-open: open for 1000 ms',
      'half-open→closed: half-open probes succeeded',
    ]);
    expect(breaker.stats()).toMatchObject({ calls: 0, failures: 0, consecutiveFailures: 0 });
  });

  it('a failed probe reopens with openFor doubled, capped at maxOpenFor; a success resets it', async () => {
    const { breaker, outcome } = setup({ consecutiveFailures: 1, openFor: 1000, maxOpenFor: 3000 });
    await outcome(fail());
    const openFor: number[] = [];
    for (let i = 0; i < 3; i++) {
      openFor.push(breaker.stats().retryAfter!);
      vi.advanceTimersByTime(openFor.at(-1)!);
      await outcome(fail()); // the probe
    }
    openFor.push(breaker.stats().retryAfter!);
    expect(openFor).toEqual([1000, 2000, 3000, 3000]);
    vi.advanceTimersByTime(3000);
    await outcome(ok());
    expect(breaker.state).toBe('closed');
    await outcome(fail());
    expect(breaker.stats().retryAfter).toBe(1000);
  });

  it('a probe whose connection was refused re-opens for the base openFor: nothing listens, nothing was loaded', async () => {
    const { breaker, changes, outcome } = setup({ consecutiveFailures: 1, openFor: 500, maxOpenFor: 60_000 });
    const refused = () =>
      new NetworkError('not-sent', {}, Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    await outcome(fail());
    const openFor: number[] = [];
    // A probe that reached the upstream and failed doubles the open period; refused ones do not,
    // and bring a doubled one back to the base.
    for (const probe of [fail(), fail(), refused(), refused(), fakeResponse(503), refused()]) {
      openFor.push(breaker.stats().retryAfter!);
      vi.advanceTimersByTime(openFor.at(-1)!);
      await outcome(probe);
    }
    openFor.push(breaker.stats().retryAfter!);
    expect(openFor).toEqual([500, 1000, 2000, 500, 500, 1000, 500]);
    expect(changes.filter((c) => c.from === 'half-open').map((c) => c.reason)).toEqual([
      'half-open probe failed',
      'half-open probe failed',
      'half-open probe refused (connection refused)',
      'half-open probe refused (connection refused)',
      'half-open probe failed',
      'half-open probe refused (connection refused)',
    ]);
    // Other connect failures that sent nothing (a timeout, an unknown host) still double it.
    vi.advanceTimersByTime(500);
    await outcome(new TimeoutError('connect', 10_000));
    expect(breaker.stats().retryAfter).toBe(1000);
    vi.advanceTimersByTime(1000);
    await outcome(new NetworkError('not-sent', {}, Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' })));
    expect(breaker.stats().retryAfter).toBe(2000);
  });

  it('an aborted probe frees its slot without deciding', async () => {
    const { breaker, outcome } = setup({ consecutiveFailures: 1, openFor: 1000 });
    await outcome(fail());
    vi.advanceTimersByTime(1000);
    await outcome(new AbortedError());
    expect(breaker.state).toBe('half-open');
    await outcome(ok());
    expect(breaker.state).toBe('closed');
  });

  it('a slow probe counts as failed when slow calls are watched', async () => {
    const { breaker, outcome } = setup({ consecutiveFailures: 1, openFor: 1000, slowCall: { threshold: 100 } });
    await outcome(fail());
    vi.advanceTimersByTime(1000);
    await outcome(ok(), 200);
    expect(breaker.state).toBe('open');
  });
});

describe('isolate, reset and overrides', () => {
  it('isolate() holds it open until reset()', async () => {
    const { breaker, changes, call, outcome } = setup();
    breaker.isolate();
    vi.advanceTimersByTime(10 * 60_000);
    const c = call(ok());
    expect((await c.settled).error).toMatchObject({ code: 'STEADY_CIRCUIT_OPEN', retryAfter: Infinity });
    expect(breaker.stats()).toMatchObject({ state: 'isolated', openedUntil: null, retryAfter: null });
    breaker.reset();
    expect(breaker.state).toBe('closed');
    expect((await outcome(ok())).value).toEqual(ok());
    expect(changes.map((e) => e.to)).toEqual(['isolated', 'closed']);
  });

  it('reset() closes an open breaker and forgets its history', async () => {
    const { breaker, outcome } = setup({ consecutiveFailures: 2 });
    await outcome(fail());
    await outcome(fail());
    breaker.reset();
    expect(breaker.stats()).toMatchObject({
      state: 'closed',
      calls: 0,
      consecutiveFailures: 0,
      openedUntil: null,
      retryAfter: 0,
    });
  });

  it('`overrides.breaker: false` bypasses the breaker', async () => {
    const { breaker, call } = setup();
    breaker.isolate();
    const c = call(fail(), 0, { breaker: false });
    expect((await c.settled).error).toBeInstanceOf(NetworkError);
    expect(c.attempt).toHaveBeenCalledOnce();
    expect(breaker.stats().calls).toBe(0);
  });
});
