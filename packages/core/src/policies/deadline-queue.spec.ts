import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineQueue, type Expiring } from './deadline-queue.ts';

function member(expiresAt: number, log: number[]): Expiring {
  return {
    expiresAt,
    expire: () => log.push(expiresAt),
    queuePrev: undefined,
    queueNext: undefined,
    queue: undefined,
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DeadlineQueue', () => {
  it('expires members in deadline order with one timer, whatever their number', async () => {
    const queue = new DeadlineQueue();
    const log: number[] = [];
    for (const at of [100, 200, 150, 300]) queue.add(member(at, log));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(160);
    expect(log).toEqual([100, 150]);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(log).toEqual([100, 150, 200, 300]);
    expect(queue.empty).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a member that leaves never expires; the timer goes with the last member', async () => {
    const queue = new DeadlineQueue();
    const log: number[] = [];
    const first = member(100, log);
    const second = member(200, log);
    queue.add(first);
    queue.add(second);
    queue.remove(first);
    expect(first.queue).toBeUndefined();
    // The timer armed for 100 fires early and re-arms for the new head.
    await vi.advanceTimersByTimeAsync(150);
    expect(log).toEqual([]);
    queue.remove(second);
    queue.remove(second);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(500);
    expect(log).toEqual([]);
  });

  it('an earlier member re-arms the timer; the timer is unref’d', async () => {
    const queue = new DeadlineQueue();
    const log: number[] = [];
    const unref = vi.spyOn(globalThis, 'setTimeout');
    queue.add(member(500, log));
    queue.add(member(50, log));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(60);
    expect(log).toEqual([50]);
    const timer = unref.mock.results.at(-1)?.value as { hasRef(): boolean };
    expect(timer.hasRef()).toBe(false);
    unref.mockRestore();
  });
});
