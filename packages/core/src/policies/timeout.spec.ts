import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AbortedError, TimeoutError, isAbortedError, isTimeoutError } from '../errors/errors.ts';
import { EventHub, type UpstreamEvents } from '../events/events.ts';
import type { CallContext } from './policy.ts';
import { sleep } from './signals.ts';
import { createTestContext, fakeResponse, type TestContextOptions } from './test-context.ts';
import { TimeoutPolicy } from './timeout.ts';

function setup(options: TestContextOptions = {}) {
  const events = new EventHub();
  const timeouts: Array<UpstreamEvents['timeout']> = [];
  events.on('timeout', (e) => timeouts.push(e));
  const ctx = createTestContext({ events, ...options });
  return { ctx, timeouts, policy: new TimeoutPolicy() };
}

/** An attempt that resolves after `ms`, honouring the signal unless told not to. */
function attempt(ms: number, value: unknown, honour = true) {
  return vi.fn(
    (ctx: CallContext) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve(value), ms);
        if (honour) {
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(ctx.signal.reason);
          });
        }
      }),
  );
}

const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ value, error: undefined as unknown, at: Date.now() }),
    (error: unknown) => ({ value: undefined, error, at: Date.now() }),
  );

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('total deadline', () => {
  it('passes the value through before the deadline and clears its timer', async () => {
    const { ctx, policy } = setup({ total: 1000 });
    const done = settle(policy.execute(attempt(100, 'ok'), ctx));
    await vi.advanceTimersByTimeAsync(100);
    expect(await done).toMatchObject({ value: 'ok', at: 100 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects AT the deadline with TimeoutError "total", even if next ignores the signal', async () => {
    const discard = vi.fn();
    const { ctx, policy, timeouts } = setup({ total: 500, discard });
    const late = fakeResponse(200);
    const next = attempt(2000, late, false);
    const done = settle(policy.execute(next, ctx));
    await vi.advanceTimersByTimeAsync(500);
    const { error, at } = await done;
    expect(at).toBe(500);
    expect(isTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({ phase: 'total', timeout: 500, elapsed: 500, upstream: 'test' });
    expect(timeouts).toEqual([{ upstream: 'test', method: 'GET', url: 'http://upstream.test/items', phase: 'total' }]);
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.signal.reason).toBe(error);
    await vi.advanceTimersByTimeAsync(1500);
    expect(discard).toHaveBeenCalledWith(late);
  });

  it('maps a caller abort to AbortedError (cause kept) and removes its listener', async () => {
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, 'addEventListener');
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    const { ctx, policy } = setup({ total: 1000, signal: controller.signal });
    const done = settle(policy.execute(attempt(800, 'ok'), ctx));
    await vi.advanceTimersByTimeAsync(100);
    controller.abort('navigated away');
    const { error, at } = await done;
    expect(at).toBe(100);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as Error).cause).toBe('navigated away');
    expect(vi.getTimerCount()).toBe(0);
    expect(add).toHaveBeenCalledTimes(1);
    expect(remove).toHaveBeenCalledTimes(1);
  });

  it('keeps a Steady abort reason as is', async () => {
    const controller = new AbortController();
    const reason = new TimeoutError('total', 10);
    const { ctx, policy } = setup({ signal: controller.signal });
    const done = settle(policy.execute(attempt(800, 'ok'), ctx));
    controller.abort(reason);
    expect((await done).error).toBe(reason);
  });

  it('throws at once when the caller already aborted or the deadline already passed', async () => {
    const controller = new AbortController();
    controller.abort();
    const aborted = setup({ signal: controller.signal });
    const next = attempt(10, 'ok');
    expect(isAbortedError((await settle(aborted.policy.execute(next, aborted.ctx))).error)).toBe(true);
    const late = setup({ deadline: -1 });
    expect(isTimeoutError((await settle(late.policy.execute(next, late.ctx))).error)).toBe(true);
    expect(next).not.toHaveBeenCalled();
  });

  it('with no deadline creates no timer and still races caller aborts', async () => {
    const controller = new AbortController();
    const { ctx, policy } = setup({ signal: controller.signal });
    const done = settle(policy.execute(attempt(10_000, 'ok', false), ctx));
    expect(vi.getTimerCount()).toBe(1); // the attempt's own timer
    controller.abort();
    expect(isAbortedError((await done).error)).toBe(true);
  });

  it('passes a synchronous throw of next through as a rejection', async () => {
    const { ctx, policy } = setup({ total: 100 });
    const error = new Error('sync');
    const { error: got } = await settle(
      policy.execute(() => {
        throw error;
      }, ctx),
    );
    expect(got).toBe(error);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('signal helpers', () => {
  it('sleep resolves after ms or rejects on abort with no timer left', async () => {
    const controller = new AbortController();
    const slept = settle(sleep(100, controller.signal));
    await vi.advanceTimersByTimeAsync(100);
    expect((await slept).at).toBe(100);
    const cut = settle(sleep(100, controller.signal));
    controller.abort('stop');
    expect((await cut).error).toBe('stop');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('abortAll (close() and destroy())', () => {
  it('ends every call in flight at once with the given reason, with no timer left', async () => {
    const { policy } = setup();
    const reason = new Error('closed');
    const calls = [1, 2, 3].map(() => {
      const ctx = createTestContext({ total: 10_000 });
      return settle(policy.execute(attempt(5_000, 'late'), ctx));
    });
    policy.abortAll(() => reason);
    const outcomes = await Promise.all(calls);
    expect(outcomes.map((o) => o.error)).toEqual([reason, reason, reason]);
    expect(outcomes.every((o) => o.at === 0)).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(vi.getTimerCount()).toBe(0);
    // Settled calls have left the list: a second abortAll finds nothing.
    policy.abortAll(() => {
      throw new Error('no call should be left');
    });
  });

  it('reaches a call with no deadline and no caller signal too', async () => {
    const { policy } = setup();
    const ctx = createTestContext();
    const running = settle(policy.execute(attempt(5_000, 'late'), ctx));
    policy.abortAll(() => 'closed');
    expect((await running).error).toBe('closed');
  });
});

describe('a held result at the deadline', () => {
  it('is released quietly when unused (no timeout event), loudly when in use', async () => {
    for (const unused of [true, false]) {
      const { ctx: base, timeouts, policy } = setup({ total: 100 });
      const retain = { release: undefined as (() => void) | undefined, unused: () => unused };
      const ctx = { ...base, retain };
      let aborted: unknown;
      const value = await policy.execute(async (c) => {
        c.signal.addEventListener('abort', () => (aborted = c.signal.reason));
        return 'body';
      }, ctx);
      expect(value).toBe('body');
      await vi.advanceTimersByTimeAsync(100);
      expect(isTimeoutError(aborted)).toBe(true);
      expect(timeouts).toHaveLength(unused ? 0 : 1);
    }
  });
});

describe('shared deadline timers and the light signal', () => {
  it('calls with the same deadline length share one timer and each still ends at its own deadline', async () => {
    const { policy } = setup();
    const results: Array<Promise<{ error: unknown; at: number }>> = [];
    for (const start of [0, 10, 20]) {
      await vi.advanceTimersByTimeAsync(start - Date.now());
      const { ctx } = setup({ total: 100 });
      // next() never settles and ignores the signal: only the deadline ends these calls.
      results.push(settle(policy.execute(() => new Promise(() => {}), ctx)));
    }
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    const settled = await Promise.all(results);
    for (const r of settled) expect(isTimeoutError(r.error)).toBe(true);
    expect(settled.map((r) => r.at)).toEqual([100, 110, 120]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('request() calls (ctx.lightSignal) get a signal without an AbortController that aborts with the reason', async () => {
    const { ctx, policy } = setup({ total: 100 });
    const light = { ...ctx, lightSignal: true } as CallContext;
    const seen: unknown[] = [];
    const done = settle(
      policy.execute((c) => {
        seen.push(c.signal instanceof AbortSignal);
        return attempt(1000, 'late')(c);
      }, light),
    );
    await vi.advanceTimersByTimeAsync(100);
    const { error } = await done;
    expect(seen).toEqual([false]);
    expect(light.signal.aborted).toBe(true);
    expect(light.signal.reason).toBe(error);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('execute() calls keep a real AbortSignal', async () => {
    const { ctx, policy } = setup({ total: 100 });
    let real = false;
    await policy.execute(async (c) => {
      real = c.signal instanceof AbortSignal;
      return 'ok';
    }, ctx);
    expect(real).toBe(true);
  });
});
