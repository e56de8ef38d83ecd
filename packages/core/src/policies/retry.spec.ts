import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AbortedError,
  BulkheadFullError,
  CircuitOpenError,
  ClosedError,
  InvalidRequestError,
  NetworkError,
  TimeoutError,
  isAbortedError,
} from '../errors/errors.ts';
import { EventHub, type UpstreamEvents } from '../events/events.ts';
import type { CallContext } from './policy.ts';
import {
  DEFAULT_RETRY_OPTIONS,
  resolveRetryCallOptions,
  resolveRetryOptions,
  type ResolvedRetryOptions,
} from './retry-options.ts';
import { RetryPolicy } from './retry.ts';
import {
  createTestContext,
  fakeResponse,
  settleWithFakeTimers as run,
  type TestContextOptions,
} from './test-context.ts';

const TOP = (): number => 0.999999; // backoff delay = its cap: 100, 200, 400…

function policy(options: Record<string, unknown> = {}): RetryPolicy {
  return new RetryPolicy(resolveRetryOptions({ budget: false, ...options }, 'retry') as ResolvedRetryOptions, {
    random: TOP,
  });
}

/** An attempt function that plays `outcomes` in order (Errors are thrown) and records ctx.attempt. */
function script(outcomes: unknown[]) {
  const seen: number[] = [];
  const next = vi.fn(async (ctx: CallContext) => {
    seen.push(ctx.attempt);
    const outcome = outcomes[Math.min(seen.length - 1, outcomes.length - 1)];
    if (outcome instanceof Error) throw outcome;
    return outcome;
  });
  return { next, seen };
}

function context(options: TestContextOptions = {}) {
  const events = new EventHub();
  const retries: Array<UpstreamEvents['retry']> = [];
  const exhausted: Array<UpstreamEvents['retryBudgetExhausted']> = [];
  events.on('retry', (e) => retries.push(e));
  events.on('retryBudgetExhausted', (e) => exhausted.push(e));
  return { ctx: createTestContext({ events, ...options }), retries, exhausted };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('retry options', () => {
  it('has documented, frozen defaults', () => {
    expect(DEFAULT_RETRY_OPTIONS).toMatchObject({
      retries: 2,
      connectRetries: 10,
      baseDelay: 100,
      maxDelay: 2000,
      maxRetryAfter: 30_000,
      statuses: [408, 429, 500, 502, 503, 504],
      methods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'],
      budget: { ratio: 0.2, window: 10_000, minPerSecond: 5 },
    });
    expect(Object.isFrozen(DEFAULT_RETRY_OPTIONS)).toBe(true);
    expect(resolveRetryOptions(undefined, 'retry')).toEqual(DEFAULT_RETRY_OPTIONS);
    expect(resolveRetryOptions(false, 'retry')).toBe(false);
  });

  it('validates with the full option path', () => {
    expect(() => resolveRetryOptions({ retries: -1 }, 'retry')).toThrow(
      '`retry.retries` must be an integer in 0…10 (received -1)',
    );
    expect(() => resolveRetryOptions({ retries: 11 }, 'retry')).toThrow('`retry.retries`');
    expect(() => resolveRetryOptions({ retry: 1 }, 'retry')).toThrow('`retry.retry` must be a known option');
    expect(() => resolveRetryOptions({ statuses: [200, 99] }, 'retry')).toThrow('`retry.statuses`');
    expect(() => resolveRetryOptions({ methods: ['GET', 'BAD METHOD'] }, 'retry')).toThrow('`retry.methods`');
    expect(() => resolveRetryOptions({ budget: { ratio: 2000 } }, 'retry')).toThrow('`retry.budget.ratio`');
    expect(() => resolveRetryOptions({ maxRetryAfter: -5 }, 'retry')).toThrow('`retry.maxRetryAfter`');
    expect(resolveRetryOptions({ connectRetries: 0 }, 'retry')).toMatchObject({ connectRetries: 0, retries: 2 });
    expect(resolveRetryOptions({ connectRetries: 50 }, 'retry')).toMatchObject({ connectRetries: 50 });
  });

  it.each([-1, 51, 2.5, Number.NaN, Infinity, '3', null, true])(
    'refuses connectRetries %s with STEADY_INVALID_OPTION naming the path, the range and the value',
    (bad) => {
      let error: unknown;
      try {
        resolveRetryOptions({ connectRetries: bad }, 'upstreams.payments.retry');
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'STEADY_INVALID_OPTION', option: 'upstreams.payments.retry.connectRetries' });
      expect((error as Error).message).toContain(
        '`upstreams.payments.retry.connectRetries` must be an integer in 0…50',
      );
      expect((error as Error).message).toContain(`(received ${typeof bad === 'string' ? `"${bad}"` : String(bad)})`);
    },
  );

  it('takes connectRetries per call, validated under the override path', () => {
    const base = resolveRetryOptions({}, 'retry') as ResolvedRetryOptions;
    expect(resolveRetryCallOptions({ connectRetries: 3 }, 'overrides.retry', base)).toMatchObject({
      connectRetries: 3,
      retries: 2,
    });
    expect(() => resolveRetryCallOptions({ connectRetries: -2 }, 'overrides.retry', base)).toThrow(
      '`overrides.retry.connectRetries` must be an integer in 0…50 (received -2)',
    );
    expect(resolveRetryOptions({ methods: ['get', 'Patch'], budget: false }, 'retry')).toMatchObject({
      methods: ['GET', 'PATCH'],
      budget: false,
    });
  });
});

describe('retry on results', () => {
  it('retries a 503 with backoff, discards the dropped results, and returns the last 503 as is', async () => {
    const discard = vi.fn();
    const { ctx, retries } = context({ discard });
    const responses = [fakeResponse(503), fakeResponse(503), fakeResponse(503)];
    const { next, seen } = script(responses);
    const p = policy().execute(next, ctx);
    const done = run(p, 0);
    await vi.advanceTimersByTimeAsync(99);
    expect(next).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(next).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(await done).toEqual({ value: responses[2] });
    expect(seen).toEqual([0, 1, 2]);
    expect(discard.mock.calls).toEqual([[responses[0]], [responses[1]]]);
    expect(retries.map((e) => [e.attempt, e.delay, e.reason])).toEqual([
      [1, 100, 'status 503'],
      [2, 200, 'status 503'],
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops at the first non-retryable result', async () => {
    const { ctx } = context();
    const { next } = script([fakeResponse(500), fakeResponse(200)]);
    expect(await run(policy().execute(next, ctx))).toEqual({ value: fakeResponse(200) });
    expect(next).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['a 404', {}, 404],
    ['a 501', {}, 501],
    ['a POST 503', { method: 'POST' }, 503],
    ['a 503 with a stream body', { replayable: false }, 503],
  ] as const)('does not retry %s', async (_, options, status) => {
    const { ctx } = context(options);
    const { next } = script([fakeResponse(status), fakeResponse(200)]);
    expect(await run(policy().execute(next, ctx))).toEqual({ value: fakeResponse(status) });
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('honours Retry-After on 429 and 503, in seconds or as an HTTP date', async () => {
    const { ctx, retries } = context();
    const date = new Date(Date.now() + 3000).toUTCString();
    const { next } = script([
      fakeResponse(429, { 'retry-after': '1' }),
      fakeResponse(503, { 'retry-after': date }),
      fakeResponse(200),
    ]);
    const done = run(policy().execute(next, ctx), 0);
    await vi.advanceTimersByTimeAsync(999);
    expect(next).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(next).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(3000);
    expect(await done).toEqual({ value: fakeResponse(200) });
    expect(retries.map((e) => e.delay)).toEqual([1000, 2000]);
  });

  it('ignores a garbage Retry-After (backoff instead) and one on other statuses', async () => {
    const { ctx, retries } = context();
    const { next } = script([
      fakeResponse(503, { 'retry-after': 'soon' }),
      fakeResponse(500, { 'retry-after': '9' }),
      fakeResponse(200),
    ]);
    await run(policy().execute(next, ctx));
    expect(retries.map((e) => e.delay)).toEqual([100, 200]);
  });

  it('gives up at once when Retry-After exceeds maxRetryAfter', async () => {
    const { ctx, retries } = context();
    const { next } = script([fakeResponse(503, { 'retry-after': '31' }), fakeResponse(200)]);
    const retry = policy();
    const p = retry.execute(next, ctx);
    await vi.advanceTimersByTimeAsync(0);
    expect(await run(p, 0)).toEqual({ value: fakeResponse(503, { 'retry-after': '31' }) });
    expect(retries).toEqual([]);
    expect(retry.stats()).toMatchObject({ retries: 0, givenUp: 1 });
  });
});

describe('retry on errors', () => {
  const notSent = () => new NetworkError('not-sent');
  const unknown = () => new NetworkError('unknown');
  const timeout = (phase: 'connect' | 'headers' | 'body' | 'total' | 'queue') => () => new TimeoutError(phase, 1000);
  const cases: Array<[string, () => unknown, TestContextOptions, boolean]> = [
    ['NetworkError not-sent, GET', notSent, {}, true],
    ['NetworkError not-sent, POST', notSent, { method: 'POST' }, true],
    ['NetworkError unknown, GET', unknown, {}, true],
    ['NetworkError unknown, POST', unknown, { method: 'POST' }, false],
    ['NetworkError unknown, POST with an Idempotency-Key', unknown, { method: 'POST', idempotent: true }, true],
    ['NetworkError not-sent, stream body', notSent, { replayable: false }, false],
    ['connect timeout, POST', timeout('connect'), { method: 'POST' }, true],
    ['headers timeout, GET', timeout('headers'), {}, true],
    ['body timeout, GET', timeout('body'), {}, true],
    ['headers timeout, POST', timeout('headers'), { method: 'POST' }, false],
    ['total timeout', timeout('total'), {}, false],
    ['queue timeout', timeout('queue'), {}, false],
    ['CircuitOpenError', () => new CircuitOpenError(100), {}, false],
    ['BulkheadFullError', () => new BulkheadFullError(1, 1), {}, false],
    ['ClosedError', () => new ClosedError(), {}, false],
    ['AbortedError', () => new AbortedError(), {}, false],
    ['InvalidRequestError', () => new InvalidRequestError('bad header'), {}, false],
    ['a non-Steady error', () => Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' }), {}, false],
  ];

  it.each(cases.map(([name, ...rest]) => [`${name} → ${rest[2] ? 'retried' : 'not retried'}`, ...rest] as const))(
    '%s',
    async (_, make, options, retried) => {
      const { ctx, retries } = context(options);
      const error = make();
      const { next } = script([error, fakeResponse(200)]);
      const outcome = await run(policy().execute(next, ctx));
      if (retried) {
        expect(outcome).toEqual({ value: fakeResponse(200) });
        expect(retries[0]?.reason).toBe((error as { code: string }).code);
      } else {
        expect(outcome.error).toBe(error);
        expect(next).toHaveBeenCalledTimes(1);
      }
    },
  );

  it('throws the last error once retries are used up', async () => {
    const { ctx } = context();
    const errors = [new NetworkError('unknown'), new NetworkError('unknown'), new NetworkError('unknown')];
    const { next } = script(errors);
    const retry = policy();
    expect((await run(retry.execute(next, ctx))).error).toBe(errors[2]);
    expect(retry.stats()).toMatchObject({ retries: 2, givenUp: 1, budgetExhausted: 0, budget: null });
  });

  it('never retries once the signal is aborted', async () => {
    const controller = new AbortController();
    const { ctx } = context({ signal: controller.signal });
    const next = vi.fn(async () => {
      controller.abort();
      throw new NetworkError('not-sent');
    });
    await run(policy().execute(next, ctx));
    expect(next).toHaveBeenCalledTimes(1);
  });

  it('cancels the backoff sleep when the signal aborts', async () => {
    const controller = new AbortController();
    const { ctx } = context({ signal: controller.signal });
    const { next } = script([new NetworkError('not-sent'), fakeResponse(200)]);
    const done = run(policy().execute(next, ctx), 0);
    await vi.advanceTimersByTimeAsync(50);
    controller.abort('user gave up');
    const { error } = await done;
    expect(isAbortedError(error)).toBe(true);
    expect((error as Error).cause).toBe('user gave up');
    expect(next).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('retry of a refused connection (ECONNREFUSED: nothing listens, nothing sent)', () => {
  const refused = () =>
    new NetworkError(
      'not-sent',
      {},
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:443'), { code: 'ECONNREFUSED' }),
    );
  const causeOf = (code: string) => new NetworkError('not-sent', {}, Object.assign(new Error(code), { code }));

  it('is retried up to connectRetries times, not retries, with the same growing backoff', async () => {
    const { ctx, retries } = context();
    const { next, seen } = script([refused(), refused(), refused(), refused(), refused(), fakeResponse(200)]);
    const retry = policy();
    expect(await run(retry.execute(next, ctx))).toEqual({ value: fakeResponse(200) });
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    expect(retries.map((e) => [e.attempt, e.delay, e.reason])).toEqual([
      [1, 100, 'STEADY_CONNECT'],
      [2, 200, 'STEADY_CONNECT'],
      [3, 400, 'STEADY_CONNECT'],
      [4, 800, 'STEADY_CONNECT'],
      [5, 1600, 'STEADY_CONNECT'],
    ]);
    expect(retry.stats()).toMatchObject({ retries: 5, connectRetries: 5, givenUp: 0 });
  });

  it('whatever the method: a refused POST was never sent', async () => {
    const { ctx } = context({ method: 'POST' });
    const { next } = script([refused(), refused(), refused(), refused(), fakeResponse(201)]);
    expect(await run(policy().execute(next, ctx))).toEqual({ value: fakeResponse(201) });
    expect(next).toHaveBeenCalledTimes(5);
  });

  it('ends with the refusal once connectRetries are used up', async () => {
    const { ctx } = context();
    const errors = Array.from({ length: 5 }, refused);
    const { next } = script(errors);
    const retry = policy({ connectRetries: 3, maxDelay: 100 });
    expect((await run(retry.execute(next, ctx))).error).toBe(errors[3]);
    expect(next).toHaveBeenCalledTimes(4);
    expect(retry.stats()).toMatchObject({ retries: 3, connectRetries: 3, givenUp: 1 });
  });

  it('connectRetries: 0 retries a refusal no more (retries still apply to the rest)', async () => {
    const { ctx } = context();
    const error = refused();
    const { next } = script([error, fakeResponse(200)]);
    expect((await run(policy({ connectRetries: 0 }).execute(next, ctx))).error).toBe(error);
    expect(next).toHaveBeenCalledTimes(1);
    const other = context();
    const { next: next503 } = script([fakeResponse(503), fakeResponse(200)]);
    expect(await run(policy({ connectRetries: 0 }).execute(next503, other.ctx))).toEqual({ value: fakeResponse(200) });
  });

  it('stops when the total deadline allows no further backoff: the refusal, not a timeout, ends the call', async () => {
    // Delays at their caps: attempts at 0, 100, 300, 700, 1500, 3100; the next backoff (2 s) would end at 5.1 s.
    const { ctx, retries } = context({ total: 5_000 });
    const errors = Array.from({ length: 12 }, refused);
    const { next } = script(errors);
    const retry = policy();
    // Settled by 3.1 s, the sixth attempt's time.
    const outcome = await run(retry.execute(next, ctx), 3_100);
    expect(outcome.error).toBe(errors[5]);
    expect(retries.map((e) => e.delay)).toEqual([100, 200, 400, 800, 1600]);
    expect(retry.stats()).toMatchObject({ retries: 5, connectRetries: 5, givenUp: 1 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts apart from retries: refusals do not spend the retries of failures the upstream saw, and back', async () => {
    // A restart: in-flight request lost (unknown), port refused 4 times, then the upstream is
    // back but warming up (503), then served. retries: 2 covers the lost request and the 503.
    const { ctx, retries } = context();
    const { next } = script([
      new NetworkError('unknown'),
      refused(),
      refused(),
      refused(),
      refused(),
      fakeResponse(503),
      fakeResponse(200),
    ]);
    const retry = policy();
    expect(await run(retry.execute(next, ctx))).toEqual({ value: fakeResponse(200) });
    expect(retries.map((e) => e.reason)).toEqual([
      'STEADY_NETWORK',
      'STEADY_CONNECT',
      'STEADY_CONNECT',
      'STEADY_CONNECT',
      'STEADY_CONNECT',
      'status 503',
    ]);
    expect(retry.stats()).toMatchObject({ retries: 6, connectRetries: 4 });

    // The other way round: two 503s spend `retries`; a refusal after them is still retried.
    const after = context();
    const { next: next2 } = script([fakeResponse(503), fakeResponse(503), refused(), fakeResponse(503)]);
    expect(await run(policy().execute(next2, after.ctx))).toEqual({ value: fakeResponse(503) });
    expect(next2).toHaveBeenCalledTimes(4);
  });

  it.each([
    ['a connect timeout', () => new TimeoutError('connect', 3000)],
    ['a DNS failure (ENOTFOUND)', () => causeOf('ENOTFOUND')],
    ['a DNS failure (EAI_AGAIN)', () => causeOf('EAI_AGAIN')],
    ['an unreachable host', () => causeOf('EHOSTUNREACH')],
    ['no local port (EADDRNOTAVAIL)', () => causeOf('EADDRNOTAVAIL')],
    ['a not-sent error without a cause (e.g. a refused HTTP/2 stream)', () => new NetworkError('not-sent')],
  ])('%s is retried only `retries` times', async (_, make) => {
    const { ctx } = context();
    const errors = Array.from({ length: 6 }, () => make());
    const { next } = script(errors);
    const retry = policy();
    expect((await run(retry.execute(next, ctx))).error).toBe(errors[2]);
    expect(retry.stats()).toMatchObject({ retries: 2, connectRetries: 0 });
  });

  it('each retry of a refusal withdraws from the budget; a spent budget ends the call with the refusal', async () => {
    // ratio 0, reserve 3 retries per window: the first call spends them all, the second gets none.
    const retry = new RetryPolicy(
      resolveRetryOptions({ budget: { ratio: 0, minPerSecond: 0.3, window: 10_000 } }, 'retry') as ResolvedRetryOptions,
      { random: TOP },
    );
    const first = context();
    const firstErrors = Array.from({ length: 6 }, refused);
    expect((await run(retry.execute(script(firstErrors).next, first.ctx), 1000)).error).toBe(firstErrors[3]);
    expect(first.exhausted.map((e) => [e.attempt, e.reason])).toEqual([[4, 'STEADY_CONNECT']]);
    const second = context();
    const secondError = refused();
    const { next } = script([secondError, fakeResponse(200)]);
    expect((await run(retry.execute(next, second.ctx), 1000)).error).toBe(secondError);
    expect(next).toHaveBeenCalledTimes(1);
    expect(retry.stats()).toMatchObject({
      retries: 3,
      connectRetries: 3,
      budgetExhausted: 2,
      budget: { calls: 2, retries: 3, available: 0 },
    });
  });

  it('asks shouldRetry about each one, which can narrow it', async () => {
    const { ctx } = context({
      overrides: { retry: { shouldRetry: (c) => !(c.reason === 'STEADY_CONNECT' && c.attempt > 3) } },
    });
    const errors = Array.from({ length: 6 }, refused);
    const { next } = script(errors);
    expect((await run(policy().execute(next, ctx))).error).toBe(errors[3]);
  });
});

describe('retry deadline and budget', () => {
  it('ends with the last outcome at once when the delay would pass the deadline', async () => {
    const { ctx, retries } = context({ total: 250 });
    const { next } = script([fakeResponse(503), fakeResponse(503), fakeResponse(200)]);
    const retry = policy();
    const done = run(retry.execute(next, ctx), 0);
    await vi.advanceTimersByTimeAsync(100); // first retry after 100 ms; the next would end at 300 > 250
    expect(await done).toEqual({ value: fakeResponse(503) });
    expect(Date.now()).toBe(100);
    expect(next).toHaveBeenCalledTimes(2);
    expect(retries).toHaveLength(1);
    expect(retry.stats().givenUp).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('withdraws from the budget and stops with an event when it is spent', async () => {
    const retry = new RetryPolicy(
      resolveRetryOptions({ budget: { ratio: 0, minPerSecond: 0.1, window: 10_000 } }, 'retry') as ResolvedRetryOptions,
      { random: TOP },
    );
    const first = context();
    await run(retry.execute(script([fakeResponse(503), fakeResponse(200)]).next, first.ctx), 1000);
    expect(retry.stats().budget).toMatchObject({ calls: 1, retries: 1, available: 0 });

    const second = context();
    const { next } = script([fakeResponse(502), fakeResponse(200)]);
    expect(await run(retry.execute(next, second.ctx), 1000)).toEqual({ value: fakeResponse(502) });
    expect(second.exhausted).toEqual([
      { upstream: 'test', method: 'GET', url: 'http://upstream.test/items', attempt: 1, reason: 'status 502' },
    ]);
    expect(retry.stats()).toMatchObject({ retries: 1, budgetExhausted: 1, budget: { calls: 2, retries: 1 } });
  });
});

describe('retry overrides', () => {
  it('`false` turns retries off for one call', async () => {
    const { ctx } = context({ overrides: { retry: false } });
    const { next } = script([fakeResponse(503), fakeResponse(200)]);
    expect(await run(policy().execute(next, ctx))).toEqual({ value: fakeResponse(503) });
  });

  it('an object is merged over the upstream options and validated', async () => {
    const { ctx, retries } = context({ overrides: { retry: { retries: 4, baseDelay: 10 } } });
    const { next } = script([fakeResponse(503)]);
    await run(policy().execute(next, ctx));
    expect(next).toHaveBeenCalledTimes(5);
    expect(retries.map((e) => e.delay)).toEqual([10, 20, 40, 80]);

    const bad = context({ overrides: { retry: { retries: 'many' } as never } });
    expect((await run(policy().execute(script([1]).next, bad.ctx))).error).toMatchObject({
      code: 'STEADY_INVALID_OPTION',
      option: 'overrides.retry.retries',
    });
    const budget = context({ overrides: { retry: { budget: { ratio: 1 } } as never } });
    expect((await run(policy().execute(script([1]).next, budget.ctx))).error).toMatchObject({
      option: 'overrides.retry.budget',
    });
  });
});
