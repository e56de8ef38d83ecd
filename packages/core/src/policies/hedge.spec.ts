import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isAbortedError, isInvalidOptionError, NetworkError } from '../errors/errors.ts';
import { EventHub, type UpstreamEvents } from '../events/events.ts';
import { BulkheadPolicy } from './bulkhead.ts';
import { CircuitBreakerPolicy, resolveCircuitBreakerOptions } from './circuit-breaker.ts';
import { DeadlineSignal } from './deadline-signal.ts';
import { HedgePolicy, resolveHedgeOptions, type ResolvedHedgeOptions } from './hedge.ts';
import { DEFAULT_HEDGE_OPTIONS } from './hedge-options.ts';
import { compose, type CallContext } from './policy.ts';
import { RetryBudget, resolveRetryBudgetOptions, type ResolvedRetryBudgetOptions } from './retry-budget.ts';
import { resolveRetryOptions, type ResolvedRetryOptions } from './retry-options.ts';
import { RetryPolicy } from './retry.ts';
import { createTestContext, fakeResponse, settleWithFakeTimers, type TestContextOptions } from './test-context.ts';

const settle = <T>(promise: Promise<T>, ms = 10_000) => settleWithFakeTimers(promise, ms);

function hedge(options: object, deps: Partial<ConstructorParameters<typeof HedgePolicy>[1]> = {}): HedgePolicy {
  return new HedgePolicy(resolveHedgeOptions(options, 'hedge', 5_000) as ResolvedHedgeOptions, {
    budget: deps.budget ?? null,
    bulkhead: deps.bulkhead ?? null,
  });
}

/** One request of a round: when it settles and with what; records its context. */
interface Plan {
  after: number;
  value?: unknown;
  error?: Error;
  /** Reports its socket (as `request()`'s attempt does) this long after it starts. */
  socketAfter?: number;
}

function upstream(plans: Plan[]) {
  const seen: CallContext[] = [];
  const next = vi.fn((ctx: CallContext) => {
    const plan = plans[Math.min(seen.length, plans.length - 1)]!;
    seen.push(ctx);
    const observed = ctx as { socketAt?: number };
    let socket: ReturnType<typeof setTimeout> | undefined;
    if (plan.socketAfter !== undefined) {
      observed.socketAt = 0;
      socket = setTimeout(() => (observed.socketAt = Date.now()), plan.socketAfter);
    }
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => (plan.error ? reject(plan.error) : resolve(plan.value)), plan.after);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        clearTimeout(socket);
        reject(ctx.signal.reason);
      });
    });
  });
  return { next, seen };
}

function context(options: TestContextOptions = {}) {
  const events = new EventHub();
  const hedges: Array<UpstreamEvents['hedge']> = [];
  events.on('hedge', (e) => hedges.push(e));
  const discarded: unknown[] = [];
  const ctx = createTestContext({ events, discard: (r) => discarded.push(r), ...options });
  return { ctx, hedges, discarded };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('hedge options', () => {
  it('are off unless given, and default to p95 with one copy', () => {
    expect(resolveHedgeOptions(undefined, 'hedge', 5_000)).toBe(false);
    expect(resolveHedgeOptions(false, 'hedge', 5_000)).toBe(false);
    expect(resolveHedgeOptions({}, 'hedge', 5_000)).toEqual({ delay: 'p95', maxHedges: 1 });
  });

  it.each([
    [{ delay: 0 }, 'hedge.delay'],
    [{ delay: 'p50' }, 'hedge.delay'],
    [{ delay: Number.NaN }, 'hedge.delay'],
    [{ maxHedges: 0 }, 'hedge.maxHedges'],
    [{ maxHedges: 4 }, 'hedge.maxHedges'],
    [{ maxHedges: 1.5 }, 'hedge.maxHedges'],
    [{ delays: 10 }, 'hedge.delays'],
    ['fast', 'hedge'],
  ])('refuses %j naming %s', (input, path) => {
    let error: unknown;
    try {
      resolveHedgeOptions(input, 'hedge', 5_000);
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionError(error)).toBe(true);
    expect((error as { option: string }).option).toBe(path);
  });

  it('refuses maxHedges × delay that does not fit the total deadline, naming every option', () => {
    expect(() => resolveHedgeOptions({ delay: 2_000, maxHedges: 3 }, 'hedge', 5_000)).toThrow(
      /`hedge.maxHedges` must be such that `hedge.maxHedges` × `hedge.delay` \(3 × 2000 ms = 6000 ms\) is below the total deadline `timeouts.total` \(5000 ms\)/,
    );
    // An adaptive delay counts as its cap.
    expect(() => resolveHedgeOptions({ delay: 'p99', maxHedges: 1 }, 'hedge', 800)).toThrow(/capped at 1000 ms/);
    expect(resolveHedgeOptions({ delay: 1_000, maxHedges: 3 }, 'hedge', 5_000)).toEqual({ delay: 1_000, maxHedges: 3 });
  });
});

describe('HedgePolicy', () => {
  it('sends no copy when the first request answers within the delay', async () => {
    const policy = hedge({ delay: 50 });
    const { next } = upstream([{ after: 20, value: 'first' }]);
    const { ctx, hedges } = context();
    expect(await settle(policy.execute(next, ctx))).toEqual({ value: 'first' });
    expect(next).toHaveBeenCalledTimes(1);
    expect(hedges).toEqual([]);
    expect(policy.stats()).toMatchObject({ sent: 0, won: 0, delay: 50 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends a copy after the delay; the copy wins, the first request is aborted with AbortedError', async () => {
    const policy = hedge({ delay: 50 });
    const { next, seen } = upstream([
      { after: 1_000, value: 'slow' },
      { after: 10, value: 'copy' },
    ]);
    const { ctx, hedges } = context();
    const result = settle(policy.execute(next, ctx));
    await vi.advanceTimersByTimeAsync(59);
    expect(next).toHaveBeenCalledTimes(2);
    expect(await result).toEqual({ value: 'copy' });
    expect(seen.map((c) => c.attempt)).toEqual([0, 1]);
    expect(seen[0]!.signal.aborted).toBe(true);
    expect(isAbortedError(seen[0]!.signal.reason)).toBe(true);
    expect(seen[1]!.signal.aborted).toBe(false);
    expect(hedges).toEqual([
      { upstream: 'test', method: 'GET', url: 'http://upstream.test/items', attempt: 1, delay: 50 },
    ]);
    expect(policy.stats()).toMatchObject({ sent: 1, won: 1, refused: 0 });
    expect(ctx.attempt).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the first answer wins even when it is the first request; the copy is aborted', async () => {
    const policy = hedge({ delay: 50 });
    const { next, seen } = upstream([
      { after: 60, value: 'first' },
      { after: 500, value: 'copy' },
    ]);
    const { ctx } = context();
    expect(await settle(policy.execute(next, ctx))).toEqual({ value: 'first' });
    expect(seen[1]!.signal.aborted).toBe(true);
    expect(policy.stats()).toMatchObject({ sent: 1, won: 0 });
  });

  it('a loser that answers after the winner is discarded and never returned', async () => {
    const policy = hedge({ delay: 50 });
    const late = fakeResponse(200);
    const next = vi.fn((c: CallContext) =>
      c.attempt === 0
        ? new Promise((resolve) => setTimeout(() => resolve(late), 100)) // ignores its signal
        : Promise.resolve(fakeResponse(201)),
    );
    const { ctx, discarded } = context();
    const { value } = await settle(policy.execute(next, ctx));
    expect(value).toEqual(fakeResponse(201));
    expect(discarded).toEqual([late]);
  });

  it('sends up to maxHedges copies, one delay apart, with their own attempt numbers', async () => {
    const policy = hedge({ delay: 100, maxHedges: 3 });
    const { next, seen } = upstream([{ after: 1_000, value: 'slow' }]);
    const { ctx, hedges } = context();
    const result = settle(policy.execute(next, ctx));
    await vi.advanceTimersByTimeAsync(350);
    expect(seen.map((c) => c.attempt)).toEqual([0, 1, 2, 3]);
    expect(hedges.map((h) => h.attempt)).toEqual([1, 2, 3]);
    expect((await result).value).toBe('slow');
    expect(policy.stats()).toMatchObject({ sent: 3, won: 0 });
    expect(seen.slice(1).every((c) => c.signal.aborted)).toBe(true);
  });

  it.each([
    ['a POST without Idempotency-Key', { method: 'POST' }],
    ['a body that cannot be replayed', { replayable: false }],
  ])('never hedges %s', async (_name, options) => {
    const policy = hedge({ delay: 10 });
    const { next } = upstream([{ after: 500, value: 'only' }]);
    const { ctx } = context(options);
    expect(await settle(policy.execute(next, ctx))).toEqual({ value: 'only' });
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('does not hedge a failure: an error before the delay ends the round at once', async () => {
    const policy = hedge({ delay: 50 });
    const boom = new NetworkError('not-sent', {});
    const { next } = upstream([{ after: 10, error: boom }]);
    const { ctx } = context();
    const result = policy.execute(next, ctx).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    expect(await result).toBe(boom);
    expect(next).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an error is not a response: the copy still answers; when all fail the first error is thrown', async () => {
    const policy = hedge({ delay: 50 });
    const first = new NetworkError('unknown', {});
    const { next } = upstream([
      { after: 80, error: first },
      { after: 80, value: 'copy' },
    ]);
    expect(await settle(policy.execute(next, context().ctx))).toEqual({ value: 'copy' });

    const second = new NetworkError('unknown', {});
    const failing = upstream([
      { after: 80, error: first },
      { after: 80, error: second },
    ]);
    expect(await settle(policy.execute(failing.next, context().ctx))).toEqual({ error: first });
  });

  it('charges each copy to the retry budget, and sends none once it is spent', async () => {
    const budget = new RetryBudget(
      resolveRetryBudgetOptions({ ratio: 0, minPerSecond: 0.1, window: 10_000 }, 'b') as ResolvedRetryBudgetOptions,
    );
    const policy = hedge({ delay: 10 }, { budget });
    for (let i = 0; i < 3; i++) {
      const { next } = upstream([{ after: 100, value: i }]);
      await settle(policy.execute(next, context().ctx), 200);
    }
    expect(policy.stats()).toMatchObject({ sent: 1, refused: 2 });
    expect(budget.stats()).toMatchObject({ retries: 1, calls: 0 }); // the retry policy deposits, not the hedge
  });

  it('without a retry budget of the upstream, its own budget grows with the calls it hedges', async () => {
    const policy = hedge({ delay: 10 }); // own budget: 0.2 × calls + 5/s × 10 s
    for (let i = 0; i < 100; i++) {
      const { next } = upstream([
        { after: 15, value: 'slow' },
        { after: 1, value: 'copy' },
      ]);
      await settle(policy.execute(next, context().ctx), 20); // 100 calls within 2 s of the 10 s window
    }
    // 0.2 × 100 calls + 50 = 70 copies, not the reserve of 50 alone.
    expect(policy.stats()).toMatchObject({ sent: 70, refused: 30 });
  });

  it('runs at most 10 % of the hedged calls in flight (at least 3) as copies at once', async () => {
    const policy = hedge({ delay: 10 });
    // A burst in which every call waits (a stall, a queue at the upstream): 50 calls at once.
    const burst = Array.from({ length: 50 }, (_, i) =>
      settle(policy.execute(upstream([{ after: 500, value: i }]).next, context().ctx), 0),
    );
    await vi.advanceTimersByTimeAsync(20);
    expect(policy.stats()).toMatchObject({ sent: 5, refused: 45 });
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(burst);
    // A lone slow call afterwards: the copies are back to 0, the floor of 3 lets it hedge.
    await settle(
      policy.execute(
        upstream([
          { after: 500, value: 'slow' },
          { after: 5, value: 'copy' },
        ]).next,
        context().ctx,
      ),
    );
    expect(policy.stats()).toMatchObject({ sent: 6, won: 1, refused: 45 });
    const few = Array.from({ length: 4 }, (_, i) =>
      settle(policy.execute(upstream([{ after: 500, value: i }]).next, context().ctx), 0),
    );
    await vi.advanceTimersByTimeAsync(20);
    expect(policy.stats()).toMatchObject({ sent: 9, refused: 46 }); // 3 of 4: the floor
    await vi.advanceTimersByTimeAsync(1_000);
    await Promise.all(few);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('needs a free bulkhead slot for each copy and gives it back when the copy settles', async () => {
    const bulkhead = new BulkheadPolicy({ maxConcurrent: 2, maxQueued: 10 });
    const policy = hedge({ delay: 10, maxHedges: 3 }, { bulkhead });
    const { next } = upstream([{ after: 100, value: 'x' }]);
    const call = bulkhead.execute((c) => policy.execute(next, c), context().ctx);
    await vi.advanceTimersByTimeAsync(35);
    expect(bulkhead.stats().running).toBe(2); // the call + one copy; the next copy was refused
    expect(policy.stats()).toMatchObject({ sent: 1, refused: 1 });
    await settle(call, 200);
    expect(bulkhead.stats().running).toBe(0);
  });

  it('a bypassed bulkhead is not asked', async () => {
    const bulkhead = new BulkheadPolicy({ maxConcurrent: 1, maxQueued: 0 });
    const policy = hedge({ delay: 10 }, { bulkhead });
    const { next } = upstream([{ after: 100, value: 'x' }]);
    await settle(policy.execute(next, context({ overrides: { bulkhead: false } }).ctx));
    expect(policy.stats().sent).toBe(1);
  });

  it('an aborted loser is not a breaker failure', async () => {
    const breaker = new CircuitBreakerPolicy(
      resolveCircuitBreakerOptions({ consecutiveFailures: 1, minimumCalls: 1 }, 'breaker') as Exclude<
        ReturnType<typeof resolveCircuitBreakerOptions>,
        false
      >,
      { upstream: 'test', events: new EventHub() },
    );
    const policy = compose(hedge({ delay: 10 }), breaker);
    for (let i = 0; i < 5; i++) {
      const { next } = upstream([
        { after: 500, value: 'slow' },
        { after: 5, value: 'copy' },
      ]);
      expect(await settle(policy.execute(next, context().ctx), 600)).toEqual({ value: 'copy' });
    }
    expect(breaker.stats()).toMatchObject({ state: 'closed', failures: 0, consecutiveFailures: 0 });
  });

  it('hedges and retries share one attempt count: a failing call sends retries + 1 requests in all', async () => {
    const retry = new RetryPolicy(resolveRetryOptions({ retries: 2, budget: false }, 'retry') as ResolvedRetryOptions, {
      random: () => 0,
    });
    const policy = compose(retry, hedge({ delay: 10, maxHedges: 2 }));
    const { next, seen } = upstream([{ after: 50, error: new NetworkError('not-sent', {}) }]);
    const { error } = await settle(policy.execute(next, context().ctx));
    expect(error).toBeInstanceOf(NetworkError);
    expect(seen.map((c) => c.attempt)).toEqual([0, 1, 2]);
    expect(next).toHaveBeenCalledTimes(3); // the first request, two copies, and no retry left
  });

  it('the adaptive delay is the percentile of recent latencies within the floor and cap', async () => {
    const policy = hedge({ delay: 'p90' });
    expect(policy.stats().delay).toBe(DEFAULT_HEDGE_OPTIONS.maxDelay); // too few samples yet
    for (let i = 0; i < 100; i++) {
      const { next } = upstream([{ after: i < 95 ? 40 : 400, value: i }]);
      await settle(policy.execute(next, context().ctx), 1_500);
    }
    expect(policy.stats().delay).toBe(40);
    const fast = hedge({ delay: 'p99' });
    for (let i = 0; i < 100; i++) fast.sample(1);
    expect(fast.stats().delay).toBe(DEFAULT_HEDGE_OPTIONS.minDelay);
  });

  it('counts the delay from when the request was written: waiting for a socket is not hedged', async () => {
    const policy = hedge({ delay: 50 });
    const { next } = upstream([
      { socketAfter: 80, after: 1_000, value: 'slow' }, // a handshake of 80 ms, then a slow answer
      { socketAfter: 0, after: 10, value: 'copy' },
    ]);
    const { ctx, hedges } = context();
    const result = policy.execute(next, ctx);
    await vi.advanceTimersByTimeAsync(129);
    expect(next).toHaveBeenCalledTimes(1); // 50 ms after the write (at 80) is 130
    await vi.advanceTimersByTimeAsync(1);
    expect(next).toHaveBeenCalledTimes(2);
    expect(hedges).toMatchObject([{ attempt: 1, delay: 50 }]);
    expect(await settle(result)).toEqual({ value: 'copy' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a request that waits for a socket longer than the delay, then answers at once, sends no copy', async () => {
    const policy = hedge({ delay: 20 });
    const { next } = upstream([{ socketAfter: 150, after: 155, value: 'first' }]);
    expect(await settle(policy.execute(next, context().ctx))).toEqual({ value: 'first' });
    expect(next).toHaveBeenCalledTimes(1);
    expect(policy.stats()).toMatchObject({ sent: 0, refused: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('samples the latency from the write, without the wait for a socket', async () => {
    const policy = hedge({ delay: 'p90' });
    for (let i = 0; i < 50; i++) {
      const { next } = upstream([{ socketAfter: 30, after: 42, value: i }]);
      await settle(policy.execute(next, context().ctx), 1_500);
    }
    expect(policy.stats()).toMatchObject({ sent: 0, delay: 12 });
  });

  it("request()'s light signal: each request gets one of its own; the loser leaves the call's, the winner stays bound", async () => {
    const policy = hedge({ delay: 50 });
    const { next, seen } = upstream([
      { after: 1_000, value: 'slow' },
      { after: 10, value: 'copy' },
    ]);
    const signal = new DeadlineSignal();
    const { ctx } = context({ signal: signal as unknown as AbortSignal });
    (ctx as { lightSignal?: boolean }).lightSignal = true;
    expect(await settle(policy.execute(next, ctx))).toEqual({ value: 'copy' });
    expect(seen.map((c) => c.signal instanceof DeadlineSignal)).toEqual([true, true]);
    expect(seen[0]!.signal.aborted).toBe(true);
    // The winner's body streams under the call's deadline: aborting the call still reaches it.
    expect(signal.listenerCount).toBe(1);
    signal.abort(new Error('deadline'));
    expect(seen[1]!.signal.aborted).toBe(true);
    expect((seen[1]!.signal.reason as Error).message).toBe('deadline');
  });

  it('per call: false turns it off, an object turns it on, and the fit is checked against the call', async () => {
    const off = new HedgePolicy(false, { budget: null, bulkhead: null });
    const { next } = upstream([{ after: 500, value: 'x' }]);
    await settle(off.execute(next, context().ctx));
    expect(next).toHaveBeenCalledTimes(1);
    await settle(off.execute(next, context({ overrides: { hedge: { delay: 20 } } }).ctx));
    expect(off.stats().sent).toBe(1);

    const on = hedge({ delay: 20 });
    await settle(on.execute(next, context({ overrides: { hedge: false } }).ctx));
    expect(on.stats().sent).toBe(0);

    const tooLong = on.execute(next, context({ total: 100, overrides: { hedge: { delay: 60, maxHedges: 2 } } }).ctx);
    await expect(tooLong).rejects.toThrow(/`overrides.hedge.maxHedges`.*`timeout` \(100 ms\)/);
  });

  it('no copy is sent past the deadline or after the call was aborted', async () => {
    const policy = hedge({ delay: 50 });
    const controller = new AbortController();
    const { next } = upstream([{ after: 500, value: 'x' }]);
    const call = policy.execute(next, context({ signal: controller.signal }).ctx).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(20);
    controller.abort(new Error('gone'));
    const error = await call;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(next).toHaveBeenCalledTimes(1);
    expect((error as Error).message).toBe('gone');
    expect(vi.getTimerCount()).toBe(0);
  });
});
