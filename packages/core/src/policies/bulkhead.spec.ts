import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TimeoutError, isAbortedError, isBulkheadFullError } from '../errors/errors.ts';
import { EventHub, type UpstreamEvents } from '../events/events.ts';
import {
  BulkheadPolicy,
  DEFAULT_BULKHEAD_OPTIONS,
  defaultBulkheadOptions,
  resolveBulkheadOptions,
  type ResolvedBulkheadOptions,
} from './bulkhead.ts';
import { createTestContext, type TestContextOptions } from './test-context.ts';

function setup(options: { maxConcurrent?: number; maxQueued?: number }) {
  const events = new EventHub();
  const rejected: Array<UpstreamEvents['rejected']> = [];
  const timeouts: Array<UpstreamEvents['timeout']> = [];
  events.on('rejected', (e) => rejected.push(e));
  events.on('timeout', (e) => timeouts.push(e));
  const bulkhead = new BulkheadPolicy(resolveBulkheadOptions(options, 'bulkhead', 4) as ResolvedBulkheadOptions);
  const started: number[] = [];
  /** A call that takes `ms` once admitted. */
  const call = (id: number, ms: number, ctx: TestContextOptions = {}) => {
    const promise = bulkhead.execute(
      () =>
        new Promise<number>((resolve) => {
          started.push(id);
          setTimeout(() => resolve(id), ms);
        }),
      createTestContext({ events, ...ctx }),
    );
    return promise.then(
      (value): { value?: number; error?: unknown } => ({ value }),
      (error: unknown): { value?: number; error?: unknown } => ({ error }),
    );
  };
  return { bulkhead, rejected, timeouts, started, call };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('bulkhead options', () => {
  it('derives its defaults from the pool size', () => {
    expect(DEFAULT_BULKHEAD_OPTIONS).toEqual({ maxConcurrentPerConnection: 8, maxQueuedPerConnection: 100 });
    expect(defaultBulkheadOptions(10)).toEqual({ maxConcurrent: 80, maxQueued: 1_000 });
    expect(resolveBulkheadOptions(undefined, 'bulkhead', 20)).toEqual({ maxConcurrent: 160, maxQueued: 2_000 });
    expect(resolveBulkheadOptions({ maxQueued: 0 }, 'bulkhead', 20)).toEqual({ maxConcurrent: 160, maxQueued: 0 });
    expect(resolveBulkheadOptions(false, 'bulkhead', 20)).toBe(false);
  });

  it('validates with the full option path', () => {
    expect(() => resolveBulkheadOptions({ maxConcurrent: 0 }, 'bulkhead', 1)).toThrow('`bulkhead.maxConcurrent`');
    expect(() => resolveBulkheadOptions({ maxQueued: 1.5 }, 'bulkhead', 1)).toThrow('`bulkhead.maxQueued`');
    expect(() => resolveBulkheadOptions({ max: 1 }, 'bulkhead', 1)).toThrow('`bulkhead.max`');
  });
});

describe('bulkhead', () => {
  it('runs up to maxConcurrent, queues FIFO, rejects overflow at once', async () => {
    const { bulkhead, rejected, started, call } = setup({ maxConcurrent: 2, maxQueued: 2 });
    const calls = [call(1, 100), call(2, 300), call(3, 100), call(4, 100), call(5, 100)];
    const overflow = await calls[4]!;
    expect(isBulkheadFullError(overflow.error)).toBe(true);
    expect(overflow.error).toMatchObject({ maxConcurrent: 2, maxQueued: 2, upstream: 'test' });
    expect(rejected).toEqual([{ upstream: 'test', code: 'STEADY_BULKHEAD_FULL' }]);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toEqual([1, 2]);
    expect(bulkhead.stats()).toEqual({ running: 2, queued: 2, maxConcurrent: 2, maxQueued: 2, rejected: 1 });
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toEqual([1, 2, 3]);
    await vi.advanceTimersByTimeAsync(100);
    expect(started).toEqual([1, 2, 3, 4]);
    await vi.advanceTimersByTimeAsync(200);
    expect(await Promise.all(calls.slice(0, 4))).toEqual([1, 2, 3, 4].map((value) => ({ value })));
    expect(bulkhead.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('a queued call leaves at its deadline with TimeoutError "queue"', async () => {
    const { bulkhead, timeouts, started, call } = setup({ maxConcurrent: 1, maxQueued: 5 });
    const first = call(1, 1000);
    const second = call(2, 10, { total: 300 });
    await vi.advanceTimersByTimeAsync(300);
    const { error } = (await second) as { error: TimeoutError };
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ phase: 'queue', timeout: 300 });
    expect(timeouts).toEqual([{ upstream: 'test', method: 'GET', url: 'http://upstream.test/items', phase: 'queue' }]);
    expect(bulkhead.stats()).toMatchObject({ running: 1, queued: 0 });
    await vi.advanceTimersByTimeAsync(700);
    expect(await first).toEqual({ value: 1 });
    expect(started).toEqual([1]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a queued call leaves when its signal aborts; an aborted signal is not queued', async () => {
    const { bulkhead, call } = setup({ maxConcurrent: 1, maxQueued: 5 });
    const first = call(1, 1000);
    const controller = new AbortController();
    const second = call(2, 10, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(10);
    controller.abort('stop');
    const { error } = (await second) as { error: Error };
    expect(isAbortedError(error)).toBe(true);
    expect(error.cause).toBe('stop');
    expect(bulkhead.stats().queued).toBe(0);
    const third = await call(3, 10, { signal: controller.signal });
    expect(isAbortedError(third.error)).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await first).toEqual({ value: 1 });
  });

  it('releases the slot exactly once, on success or failure', async () => {
    const { bulkhead } = setup({ maxConcurrent: 1, maxQueued: 1 });
    const ctx = createTestContext();
    await expect(bulkhead.execute(() => Promise.reject(new Error('boom')), ctx)).rejects.toThrow('boom');
    await expect(bulkhead.execute(() => Promise.resolve(1), ctx)).resolves.toBe(1);
    expect(bulkhead.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('drain() resolves when nothing runs nor waits', async () => {
    const { bulkhead, call } = setup({ maxConcurrent: 1, maxQueued: 2 });
    await expect(bulkhead.drain()).resolves.toBeUndefined();
    void call(1, 100);
    void call(2, 100);
    let drained = false;
    void bulkhead.drain().then(() => (drained = true));
    await vi.advanceTimersByTimeAsync(150);
    expect(drained).toBe(false);
    await vi.advanceTimersByTimeAsync(50);
    expect(drained).toBe(true);
  });

  it('drain() also resolves when the last queued call times out', async () => {
    const { bulkhead, call } = setup({ maxConcurrent: 1, maxQueued: 2 });
    void call(1, 100);
    void call(2, 100, { total: 50 });
    let drained = false;
    void bulkhead.drain().then(() => (drained = true));
    await vi.advanceTimersByTimeAsync(100);
    expect(drained).toBe(true);
  });

  it('`overrides.bulkhead: false` bypasses it', async () => {
    const { bulkhead, call } = setup({ maxConcurrent: 1, maxQueued: 0 });
    void call(1, 100);
    const bypass = call(2, 10, { overrides: { bulkhead: false } });
    await vi.advanceTimersByTimeAsync(10);
    expect(await bypass).toEqual({ value: 2 });
    expect(bulkhead.stats()).toMatchObject({ running: 1, rejected: 0 });
    await vi.advanceTimersByTimeAsync(100);
  });
});

describe('rejectQueued (close() and destroy())', () => {
  it('rejects every waiting call at once and clears the queue timer; running calls keep their slot', async () => {
    const { bulkhead, call } = setup({ maxConcurrent: 1, maxQueued: 5 });
    const running = call(1, 1_000, { total: 10_000 });
    const queued = [call(2, 10, { total: 10_000 }), call(3, 10, { total: 10_000 })];
    expect(bulkhead.stats()).toMatchObject({ running: 1, queued: 2 });
    bulkhead.rejectQueued(() => 'closed');
    for (const q of queued) expect(await q).toEqual({ error: 'closed' });
    expect(bulkhead.stats()).toMatchObject({ running: 1, queued: 0 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await running).toEqual({ value: 1 });
    expect(vi.getTimerCount()).toBe(0);
  });
});
