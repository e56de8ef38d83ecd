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

describe('running totals', () => {
  it('always equal a fresh count of the buckets still in the window (property)', async () => {
    const fc = (await import('fast-check')).default;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ gap: fc.nat(400), key: fc.constantFrom('calls', 'failures'), n: fc.integer({ min: 1, max: 3 }) }),
          {
            maxLength: 200,
          },
        ),
        (ops) => {
          const window = new SlidingWindow(1_000, ['calls', 'failures'] as const, 10);
          const log: Array<{ at: number; key: 'calls' | 'failures'; n: number }> = [];
          let now = 0;
          for (const op of ops) {
            now += op.gap;
            window.add(op.key, op.n, now);
            log.push({ at: now, key: op.key, n: op.n });
            const epoch = Math.floor(now / 100);
            const expected = { calls: 0, failures: 0 };
            for (const entry of log) if (Math.floor(entry.at / 100) > epoch - 10) expected[entry.key] += entry.n;
            expect({ ...window.totals(now) }).toEqual(expected);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
