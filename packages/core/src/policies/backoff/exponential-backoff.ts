import { InvalidOptionError } from '../../errors/errors.ts';
import { durationIn } from '../../options/validate.ts';

/** A delay strategy: milliseconds to wait before retry number `retry` (0 for the first retry). */
export interface Backoff {
  delay(retry: number): number;
}

/** Options of the full-jitter exponential backoff. */
export interface ExponentialBackoffOptions {
  /**
   * Delay cap of the first retry; each further retry doubles the cap.
   * @default 100
   */
  baseDelay?: number;
  /**
   * No delay is ever longer than this.
   * @default 2000
   */
  maxDelay?: number;
}

/** {@link ExponentialBackoffOptions} after defaults. */
export type ResolvedExponentialBackoffOptions = Readonly<Required<ExponentialBackoffOptions>>;

/** Defaults of the exponential backoff. */
export const DEFAULT_EXPONENTIAL_BACKOFF_OPTIONS: ResolvedExponentialBackoffOptions = Object.freeze({
  /** 100 ms: long enough to let a blip pass, short enough to stay well inside a 5 s total deadline. */
  baseDelay: 100,
  /** 2 s: beyond this a retry rarely fits the default 5 s total deadline anyway. */
  maxDelay: 2000,
});

/**
 * Validate `baseDelay`/`maxDelay` found on `input` (an object already checked for unknown
 * keys by its owner, e.g. the retry options), naming them under `path`.
 */
export function resolveExponentialBackoffOptions(
  input: ExponentialBackoffOptions,
  path: string,
  base: ResolvedExponentialBackoffOptions = DEFAULT_EXPONENTIAL_BACKOFF_OPTIONS,
): ResolvedExponentialBackoffOptions {
  const baseDelay = durationIn(`${path}.baseDelay`, input.baseDelay, 0, 60_000, base.baseDelay);
  const maxDelay = durationIn(`${path}.maxDelay`, input.maxDelay, 0, 600_000, base.maxDelay);
  if (maxDelay < baseDelay) {
    throw new InvalidOptionError(`${path}.maxDelay`, `at least \`${path}.baseDelay\` (${baseDelay})`, maxDelay);
  }
  return Object.freeze({ baseDelay, maxDelay });
}

/**
 * Full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * `delay(n) = random(0, min(maxDelay, baseDelay · 2^n))`, in whole milliseconds. Full
 * jitter spreads the retries of many clients that failed together, so they do not return
 * in lock-step.
 */
export function createExponentialBackoff(
  options: ResolvedExponentialBackoffOptions = DEFAULT_EXPONENTIAL_BACKOFF_OPTIONS,
  random: () => number = Math.random,
): Backoff {
  const { baseDelay, maxDelay } = options;
  return {
    delay(retry: number): number {
      const cap = Math.min(maxDelay, baseDelay * 2 ** Math.max(0, retry));
      const r = Math.min(Math.max(random(), 0), 1);
      return Math.min(cap, Math.floor(r * (cap + 1)));
    },
  };
}
