import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  createExponentialBackoff,
  DEFAULT_EXPONENTIAL_BACKOFF_OPTIONS,
  resolveExponentialBackoffOptions,
} from './exponential-backoff.ts';

describe('exponential backoff (full jitter)', () => {
  it('caps the delay at min(maxDelay, baseDelay · 2^retry)', () => {
    const top = createExponentialBackoff({ baseDelay: 100, maxDelay: 2000 }, () => 0.999999);
    expect([0, 1, 2, 3, 4, 5, 6, 40, 2000].map((n) => top.delay(n))).toEqual([
      100, 200, 400, 800, 1600, 2000, 2000, 2000, 2000,
    ]);
    const bottom = createExponentialBackoff({ baseDelay: 100, maxDelay: 2000 }, () => 0);
    expect(bottom.delay(5)).toBe(0);
  });

  it('stays within [0, cap] for any random value and retry number', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 100 }), (r, n) => {
        const d = createExponentialBackoff(DEFAULT_EXPONENTIAL_BACKOFF_OPTIONS, () => r).delay(n);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Math.min(2000, 100 * 2 ** n));
      }),
    );
  });

  it('spreads delays over the whole range (jitter)', () => {
    const backoff = createExponentialBackoff({ baseDelay: 100, maxDelay: 2000 });
    const delays = Array.from({ length: 2000 }, () => backoff.delay(3));
    const buckets = [0, 0, 0, 0];
    for (const d of delays) buckets[Math.min(3, Math.floor(d / 200))]!++;
    for (const count of buckets) expect(count).toBeGreaterThan(350);
    expect(new Set(delays).size).toBeGreaterThan(300);
  });

  it('validates its options with the full path', () => {
    expect(() => resolveExponentialBackoffOptions({ baseDelay: -1 }, 'retry')).toThrow('`retry.baseDelay`');
    expect(() => resolveExponentialBackoffOptions({ baseDelay: 500, maxDelay: 100 }, 'retry')).toThrow(
      '`retry.maxDelay` must be at least',
    );
    expect(resolveExponentialBackoffOptions({}, 'retry')).toEqual({ baseDelay: 100, maxDelay: 2000 });
  });
});
