/**
 * Warm a client up until its cost per call stops falling, so the measured calls see the code the
 * JIT settles on, not its warm-up. Measured on nginx: `createAxios()` fell from 140 to 77 µs of CPU
 * per call over its first ~40,000 calls, axios from 275 to 230, raw undici from 50 to 28 — a fixed
 * 2,000-call warm-up measured mostly the JIT. A forced GC between warm-up and measurement did the
 * same harm (the next ~30,000 calls cost up to 35 % more), so the bench collects before the warm-up.
 */

/** How long to warm up: bounded in calls and in time, like every load loop of the bench. */
export interface WarmupPlan {
  /** Calls before the first window is compared. */
  minCalls: number;
  /** Calls per window. */
  window: number;
  /** Two windows in a row within this fraction of each other: warm. */
  tolerance: number;
  /** Stop here even if not steady. */
  maxCalls: number;
  /** Stop after this many ms even if not steady. */
  maxMs: number;
}

/** What the warm-up did. */
export interface WarmupResult {
  calls: number;
  /** CPU µs per call of each compared window, in order. */
  windows: number[];
  /** False when a bound (calls or time) ended it before two windows agreed. */
  steady: boolean;
}

/** The plan for a minimum of `minCalls` warm-up calls (the bench's `warmup` setting). */
export function warmupPlan(minCalls: number): WarmupPlan {
  const window = Math.max(100, Math.round(minCalls / 2));
  return { minCalls, window, tolerance: 0.05, maxCalls: minCalls + 10 * window, maxMs: 20_000 };
}

/**
 * Run `calls(n)` (n calls; resolves with their CPU µs per call) until two consecutive windows
 * agree within the tolerance, or a bound is hit. `now` is injectable for tests.
 */
export async function warmUntilSteady(
  calls: (n: number) => Promise<number>,
  plan: WarmupPlan,
  now: () => number = Date.now,
): Promise<WarmupResult> {
  const started = now();
  let done = 0;
  if (plan.minCalls > 0) {
    await calls(plan.minCalls);
    done += plan.minCalls;
  }
  const windows: number[] = [];
  while (done + plan.window <= plan.maxCalls && now() - started < plan.maxMs) {
    windows.push(await calls(plan.window));
    done += plan.window;
    const n = windows.length;
    if (n >= 2 && Math.abs(windows[n - 1]! - windows[n - 2]!) <= plan.tolerance * windows[n - 2]!) {
      return { calls: done, windows, steady: true };
    }
  }
  return { calls: done, windows, steady: false };
}
