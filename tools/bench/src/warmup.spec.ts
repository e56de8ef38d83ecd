import { describe, expect, it } from 'vitest';
import { warmupPlan, warmUntilSteady } from './warmup.ts';

describe('warmUntilSteady', () => {
  it('stops at the first two windows within the tolerance, after the minimum', async () => {
    const costs = [140, 104, 95, 83, 78, 77, 77];
    const asked: number[] = [];
    const result = await warmUntilSteady(
      async (n) => {
        asked.push(n);
        return costs.shift()!;
      },
      { minCalls: 1_000, window: 500, tolerance: 0.05, maxCalls: 100_000, maxMs: 60_000 },
    );
    // 140 is the minimum's own figure (not compared); 104, 95, 83, 78 (6 % below 83), 77 (1 % below 78): steady.
    expect(result).toEqual({ calls: 1_000 + 5 * 500, windows: [104, 95, 83, 78, 77], steady: true });
    expect(asked).toEqual([1_000, 500, 500, 500, 500, 500]);
  });

  it('is bounded in calls and in time when the cost never settles', async () => {
    let cost = 100;
    const byCalls = await warmUntilSteady(async () => (cost *= 0.8), {
      minCalls: 0,
      window: 10,
      tolerance: 0.05,
      maxCalls: 50,
      maxMs: 60_000,
    });
    expect(byCalls).toMatchObject({ calls: 50, steady: false });
    expect(byCalls.windows).toHaveLength(5);
    let clock = 0;
    const byTime = await warmUntilSteady(
      async () => {
        clock += 1_000;
        return (cost *= 0.8);
      },
      { minCalls: 0, window: 10, tolerance: 0.05, maxCalls: 1_000_000, maxMs: 3_000 },
      () => clock,
    );
    expect(byTime).toMatchObject({ calls: 30, steady: false });
  });

  it('plans windows of half the minimum and at most ten of them', () => {
    expect(warmupPlan(10_000)).toEqual({
      minCalls: 10_000,
      window: 5_000,
      tolerance: 0.05,
      maxCalls: 60_000,
      maxMs: 20_000,
    });
    expect(warmupPlan(0).window).toBe(100);
  });
});
