import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_RETRY_BUDGET_OPTIONS, RetryBudget, resolveRetryBudgetOptions } from './retry-budget.ts';

describe('RetryBudget', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('allows the reserve with no traffic, then refuses', () => {
    const budget = new RetryBudget({ ratio: 0.2, window: 1000, minPerSecond: 3 });
    expect(budget.stats()).toEqual({ ratio: 0.2, window: 1000, calls: 0, retries: 0, available: 3, fleet: null });
    expect([budget.tryWithdraw(), budget.tryWithdraw(), budget.tryWithdraw(), budget.tryWithdraw()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(budget.stats().retries).toBe(3);
  });

  it('grows with calls: ratio × calls + reserve', () => {
    const budget = new RetryBudget({ ratio: 0.2, window: 10_000, minPerSecond: 0 });
    for (let i = 0; i < 50; i++) budget.deposit();
    expect(budget.stats().available).toBe(10);
    let granted = 0;
    while (budget.tryWithdraw()) granted++;
    expect(granted).toBe(10);
    expect(budget.stats()).toMatchObject({ calls: 50, retries: 10, available: 0 });
  });

  it('recovers once the window slides past old retries', () => {
    const budget = new RetryBudget({ ratio: 0, window: 1000, minPerSecond: 2 });
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(budget.stats()).toMatchObject({ retries: 0, available: 2 });
    expect(budget.tryWithdraw()).toBe(true);
  });

  it('has documented defaults and validates options', () => {
    expect(DEFAULT_RETRY_BUDGET_OPTIONS).toEqual({ ratio: 0.2, window: 10_000, minPerSecond: 5 });
    expect(Object.isFrozen(DEFAULT_RETRY_BUDGET_OPTIONS)).toBe(true);
    expect(resolveRetryBudgetOptions(false, 'retry.budget')).toBe(false);
    expect(resolveRetryBudgetOptions({ ratio: 0.5 }, 'retry.budget')).toEqual({
      ...DEFAULT_RETRY_BUDGET_OPTIONS,
      ratio: 0.5,
    });
    expect(() => resolveRetryBudgetOptions({ ratio: -1 }, 'retry.budget')).toThrow('`retry.budget.ratio`');
    expect(() => resolveRetryBudgetOptions({ ratoi: 1 }, 'retry.budget')).toThrow('`retry.budget.ratoi`');
    expect(() => resolveRetryBudgetOptions('x', 'retry.budget')).toThrow('`retry.budget` must be an object');
  });
});
