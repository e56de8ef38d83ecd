import { InvalidOptionError } from '../errors/errors.ts';

/**
 * Small validators used once, at construction. Each names the full option path, the
 * allowed range and the received value in its error.
 */

/** An integer in `min…max`, or `fallback` when `value` is undefined. */
export function integerIn(path: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(path, `an integer in ${min}…${formatMax(max)}`, value);
  }
  return value;
}

/** A finite number of milliseconds in `min…max` (Infinity allowed when `max` is Infinity). */
export function durationIn(path: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    value >= min &&
    value <= max &&
    (Number.isFinite(value) || max === Infinity);
  if (!ok) throw new InvalidOptionError(path, `a number of milliseconds in ${min}…${formatMax(max)}`, value);
  return value;
}

/** The longest delay a Node timer can hold (2³¹−1 ms, about 24.8 days); longer ones fire after 1 ms. */
export const MAX_TIMER_DELAY = 2_147_483_647;

/** What a deadline option accepts, for messages: the range, and `Infinity` for none. */
export const DEADLINE_RANGE = `a number of milliseconds in 1…${MAX_TIMER_DELAY} (about 24.8 days), or Infinity for no deadline`;

/** True for a deadline in 1…{@link MAX_TIMER_DELAY} ms, or `Infinity` (none). Cheap: for the per-call path too. */
export function isDeadline(value: unknown): value is number {
  return typeof value === 'number' && ((value >= 1 && value <= MAX_TIMER_DELAY) || value === Infinity);
}

/** A deadline: {@link isDeadline}, or `fallback` when `value` is undefined. */
export function deadlineOr(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!isDeadline(value)) throw new InvalidOptionError(path, DEADLINE_RANGE, value);
  return value;
}

/** A size in bytes: an integer in 1…`Number.MAX_SAFE_INTEGER`, or `Infinity` for no bound. */
export function byteSizeOr(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === Infinity) return value;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOptionError(
      path,
      `an integer number of bytes in 1…${Number.MAX_SAFE_INTEGER}, or Infinity`,
      value,
    );
  }
  return value;
}

/** A number in `min…max` (a ratio, a fraction). */
export function numberIn(path: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidOptionError(path, `a number in ${min}…${formatMax(max)}`, value);
  }
  return value;
}

/** A boolean. */
export function booleanOr(path: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidOptionError(path, 'a boolean', value);
  return value;
}

/** A function, or undefined. */
export function functionOr<F>(path: string, value: unknown, fallback: F): F {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') throw new InvalidOptionError(path, 'a function', value);
  return value as F;
}

/** A non-empty string without control characters. */
export function nameOr(path: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  // eslint-disable-next-line no-control-regex
  if (typeof value !== 'string' || value.length === 0 || value.length > 200 || /[\u0000-\u001f]/.test(value)) {
    throw new InvalidOptionError(path, 'a non-empty string of at most 200 printable characters', value);
  }
  return value;
}

/** A plain object (or undefined), so that nested options can be read safely. */
export function objectOr<T extends object>(path: string, value: unknown): Partial<T> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(path, 'an object', value);
  }
  return value as Partial<T>;
}

/**
 * Options that a policy can take as `false` (off), `true`/undefined (defaults) or an object.
 * Returns `false` or the object to resolve.
 */
export function policyOptions<T extends object>(path: string, value: unknown): Partial<T> | false {
  if (value === false) return false;
  if (value === undefined || value === true) return {};
  return objectOr<T>(path, value) ?? {};
}

/**
 * Reject keys the options type does not know, so a typo never passes silently: `STEADY_INVALID_OPTION`
 * naming `path.key` and the known keys. Exported so every Steady package validates its options alike.
 */
export function knownKeys(path: string, value: object, keys: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) {
      throw new InvalidOptionError(
        path === '' ? key : `${path}.${key}`,
        `a known option (one of ${keys.join(', ')})`,
        (value as Record<string, unknown>)[key],
      );
    }
  }
}

function formatMax(max: number): string {
  return max === Infinity ? '∞' : String(max);
}
