/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many ms. @default 5000 */
  timeoutMs?: number;
  /** Poll every this many ms. @default 5 */
  intervalMs?: number;
  /** Names the condition in the error when it never holds. */
  what?: string;
}

/**
 * Poll `condition` until it holds: tests wait for a state they can observe (a counter, a
 * breaker state, calls in flight) instead of sleeping a guessed number of milliseconds.
 * Rejects with an error naming `what` when the condition does not hold within `timeoutMs`.
 */
export async function waitFor(condition: () => boolean, options: WaitForOptions = {}): Promise<void> {
  const { timeoutMs = 5000, intervalMs = 5, what = 'condition' } = options;
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= until) throw new Error(`waitFor: ${what} did not hold within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
