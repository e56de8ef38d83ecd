import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SlidingWindow } from './sliding-window.ts';

describe('SlidingWindow', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sums counters over the window and drops whole buckets as time passes', () => {
    const w = new SlidingWindow(1000, ['a', 'b'], 10);
    w.add('a');
    w.add('b', 2);
    vi.advanceTimersByTime(500);
    w.add('a');
    expect(w.totals()).toEqual({ a: 2, b: 2 });
    vi.advanceTimersByTime(500); // t = 1000: the bucket of t = 0 is out
    expect(w.totals()).toEqual({ a: 1, b: 0 });
    vi.advanceTimersByTime(500);
    expect(w.totals()).toEqual({ a: 0, b: 0 });
  });

  it('reuses its ring: memory does not grow with time or traffic', () => {
    const w = new SlidingWindow(1000, ['n'], 10);
    for (let i = 0; i < 10_000; i++) {
      w.add('n');
      vi.advanceTimersByTime(10);
    }
    // 10 buckets of 100 ms; each holds 10 adds; the current one is partly filled.
    expect(w.totals().n).toBeLessThanOrEqual(100);
    expect(w.totals().n).toBeGreaterThanOrEqual(90);
  });

  it('clear() forgets everything', () => {
    const w = new SlidingWindow(1000, ['n']);
    w.add('n', 5);
    w.clear();
    expect(w.totals()).toEqual({ n: 0 });
  });
});
