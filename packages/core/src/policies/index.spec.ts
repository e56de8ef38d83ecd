import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BulkheadFullError, NetworkError, isCircuitOpenError, isTimeoutError } from '../errors/errors.ts';
import { EventHub } from '../events/events.ts';
import {
  BulkheadPolicy,
  CircuitBreakerPolicy,
  createPipeline,
  FallbackPolicy,
  HedgePolicy,
  resolveBulkheadOptions,
  resolveCircuitBreakerOptions,
  resolveRetryOptions,
  RetryPolicy,
  TimeoutPolicy,
  type CallContext,
  type Policy,
  type ResolvedPipelineOptions,
} from './index.ts';
import { createTestContext, fakeResponse, type TestContextOptions } from './test-context.ts';

function pipeline(
  options: {
    retry?: unknown;
    breaker?: unknown;
    bulkhead?: unknown;
    fallback?: ResolvedPipelineOptions['fallback'];
  } = {},
) {
  const events = new EventHub();
  const log: string[] = [];
  events.on('retry', (e) => log.push(`retry ${e.attempt} (${e.reason})`));
  events.on('breakerStateChange', (e) => log.push(`breaker ${e.to}`));
  events.on('rejected', (e) => log.push(`rejected ${e.code}`));
  events.on('timeout', (e) => log.push(`timeout ${e.phase}`));
  events.on('fallback', (e) => log.push(`fallback ${e.code}`));
  const p = createPipeline(
    {
      retry: resolveRetryOptions(options.retry ?? { budget: false }, 'retry'),
      breaker: resolveCircuitBreakerOptions(options.breaker, 'breaker'),
      bulkhead: resolveBulkheadOptions(options.bulkhead, 'bulkhead', 2),
      fallback: options.fallback,
    },
    { upstream: 'test', events, random: () => 0.999999 },
  );
  const run = (next: (ctx: CallContext) => Promise<unknown>, ctx: TestContextOptions = {}) =>
    p.policy.execute(next, createTestContext({ events, ...ctx })).then(
      (value) => ({ value, error: undefined as unknown, at: Date.now() }),
      (error: unknown) => ({ value: undefined as unknown, error, at: Date.now() }),
    );
  return { ...p, events, log, run };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('createPipeline', () => {
  it('composes fallback → bulkhead → timeout → retry → hedge → breaker, outermost first', async () => {
    const order: string[] = [];
    for (const Class of [
      FallbackPolicy,
      BulkheadPolicy,
      TimeoutPolicy,
      RetryPolicy,
      HedgePolicy,
      CircuitBreakerPolicy,
    ]) {
      const original = Class.prototype.execute;
      vi.spyOn(Class.prototype, 'execute').mockImplementation(function (this: Policy, next, ctx) {
        order.push(this.name);
        return original.call(this as never, next, ctx);
      });
    }
    const { policy, run } = pipeline({ fallback: () => 'fallback' });
    expect(policy.name).toBe('fallback → bulkhead → timeout → retry → hedge → breaker');
    const result = run(async () => {
      order.push('attempt');
      return fakeResponse(200);
    });
    await vi.runAllTimersAsync();
    expect((await result).value).toEqual(fakeResponse(200));
    expect(order).toEqual(['fallback', 'bulkhead', 'timeout', 'retry', 'hedge', 'breaker', 'attempt']);
  });

  it('leaves out policies turned off and exposes the parts', () => {
    const events = new EventHub();
    const p = createPipeline({ retry: false, breaker: false, bulkhead: false }, { upstream: 'x', events });
    expect(p.policy.name).toBe('timeout → hedge');
    expect(p.hedge.options).toBe(false);
    expect([p.retry, p.breaker, p.bulkhead, p.budget]).toEqual([null, null, null, null]);
    const full = pipeline({ retry: {} });
    expect(full.budget).toBe(full.retry?.budget);
    expect(full.budget).not.toBeNull();
  });

  it('a retry sees the breaker’s CircuitOpenError and stops there', async () => {
    const { run, log, breaker } = pipeline({
      retry: { retries: 5, budget: false },
      breaker: { consecutiveFailures: 2 },
    });
    const next = vi.fn(async () => {
      throw new NetworkError('not-sent');
    });
    const result = run(next);
    await vi.runAllTimersAsync();
    const { error } = await result;
    expect(isCircuitOpenError(error)).toBe(true);
    expect(next).toHaveBeenCalledTimes(2);
    expect(breaker?.state).toBe('open');
    expect(log).toEqual([
      'retry 1 (STEADY_CONNECT)',
      'breaker open',
      'retry 2 (STEADY_CONNECT)',
      'rejected STEADY_CIRCUIT_OPEN',
    ]);
  });

  it('the total deadline bounds every attempt and backoff', async () => {
    const { run, log, bulkhead } = pipeline({ retry: { retries: 10, budget: false }, breaker: false });
    let attempts = 0;
    const next = vi.fn(
      (ctx: CallContext) =>
        new Promise((resolve) => {
          attempts++;
          setTimeout(() => resolve(fakeResponse(503)), 300); // ignores the signal
          expect(bulkhead?.stats().running).toBe(1);
          expect(ctx.deadline).toBe(1000);
        }),
    );
    const result = run(next, { total: 1000 });
    // 0–300 attempt, 100 backoff, 400–700 attempt, 200 backoff, 900– attempt cut at 1000.
    await vi.advanceTimersByTimeAsync(1000);
    const { error, at } = await result;
    expect(isTimeoutError(error) && error.phase === 'total').toBe(true);
    expect(at).toBe(1000);
    expect(attempts).toBe(3);
    expect(log).toEqual(['retry 1 (status 503)', 'retry 2 (status 503)', 'timeout total']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(attempts).toBe(3);
    expect(bulkhead?.stats()).toMatchObject({ running: 0, queued: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the bulkhead slot is held across retries; its overflow goes to the fallback', async () => {
    const fallback = vi.fn((_error: unknown) => 'from fallback');
    const { run, log, bulkhead } = pipeline({ bulkhead: { maxConcurrent: 1, maxQueued: 0 }, fallback });
    const first = run(async () => fakeResponse(503));
    await vi.advanceTimersByTimeAsync(50); // first is in its backoff sleep
    expect(bulkhead?.stats().running).toBe(1);
    const second = await run(async () => fakeResponse(200));
    expect(second.value).toBe('from fallback');
    expect(fallback.mock.calls[0]?.[0]).toBeInstanceOf(BulkheadFullError);
    expect(log).toContain('fallback STEADY_BULKHEAD_FULL');
    await vi.runAllTimersAsync();
    expect((await first).value).toEqual(fakeResponse(503));
  });
});
