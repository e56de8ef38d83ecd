import { InvalidOptionError } from '../errors/errors.ts';
import { IDEMPOTENT_METHODS } from '../http/request-facts.ts';
import { durationIn, functionOr, integerIn, knownKeys, policyOptions } from '../options/validate.ts';
import { resolveExponentialBackoffOptions } from './backoff/exponential-backoff.ts';
import {
  DEFAULT_RETRY_BUDGET_OPTIONS,
  resolveRetryBudgetOptions,
  type ResolvedRetryBudgetOptions,
  type RetryBudgetOptions,
} from './retry-budget.ts';

/** Methods whose requests may be sent again: the one list, {@link IDEMPOTENT_METHODS} (no TRACE). */
export const DEFAULT_IDEMPOTENT_METHODS: readonly string[] = IDEMPOTENT_METHODS;

/** What `retry.shouldRetry` and `retry.onRetry` are told about a retry Steady's safe defaults allow. */
export interface RetryContext {
  /** The upstream's name. */
  readonly upstream: string;
  /** HTTP method, upper-case. */
  readonly method: string;
  /** Redacted URL (no query, no credentials), when known. */
  readonly url: string | undefined;
  /** The attempt about to be made (1 for the first retry). */
  readonly attempt: number;
  /** Why: a Steady error code (`STEADY_NETWORK`, …) or `status NNN`. */
  readonly reason: string;
  /** The failed attempt's error (a `SteadyError`), when it threw. */
  readonly error: unknown;
  /** The failed attempt's status, when it answered with a retryable status. */
  readonly status: number | undefined;
  /** Backoff before the retry, ms (`onRetry` only; 0 when `shouldRetry` is asked). */
  readonly delay: number;
}

/** Options of the retry policy. */
export interface RetryOptions {
  /**
   * Your predicate, asked only about retries the safe defaults already allow (idempotent or
   * provably unsent, replayable body, retryable error or status): return `false` to give up
   * on this one. It can narrow what is retried, never widen it — a non-idempotent request
   * that may have reached the server is never offered. Must be synchronous; one that throws
   * counts as `false` (and a `SteadyListenerWarning` is emitted).
   * @default undefined (every safe retry is made)
   */
  shouldRetry?: (ctx: RetryContext) => boolean;
  /** Called right before each retry's backoff (after `shouldRetry` and the budget agreed). A throw is reported as a warning and ignored. @default undefined */
  onRetry?: (ctx: RetryContext) => void;
  /**
   * Retries after the first attempt, 0…10, for every retryable failure except a refused
   * connection (see `connectRetries`).
   * @default 2
   */
  retries?: number;
  /**
   * Retries after a refused connection (`STEADY_CONNECT` with cause `ECONNREFUSED`: nothing
   * listens on the port, as while the upstream restarts; nothing was sent, so any method is
   * retried), 0…50, counted apart from `retries`. Each waits the same backoff, still spends the
   * retry budget and still counts for the breaker; the total deadline ends them first unless it
   * is long (with the default 5 s it allows about 9 attempts).
   * @default 10
   */
  connectRetries?: number;
  /**
   * Backoff delay cap of the first retry in ms; doubled per retry, full jitter.
   * @default 100
   */
  baseDelay?: number;
  /**
   * Longest backoff delay in ms.
   * @default 2000
   */
  maxDelay?: number;
  /**
   * A `Retry-After` (on 429/503) longer than this many ms is not waited for: the call ends with that response.
   * @default 30000
   */
  maxRetryAfter?: number;
  /**
   * Response statuses retried (idempotent, replayable requests only).
   * @default [408, 429, 500, 502, 503, 504]
   */
  statuses?: readonly number[];
  /**
   * Methods treated as idempotent; the upstream uses them to compute `ctx.idempotent`.
   * @default ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']
   */
  methods?: readonly string[];
  /**
   * The per-upstream retry budget, or `false` for none.
   * @default { ratio: 0.2, window: 10000, minPerSecond: 5 }
   */
  budget?: false | RetryBudgetOptions;
}

/**
 * Per-call retry overrides (`request(path, { retry: { … } })`): the upstream's {@link RetryOptions}
 * for this call only, unset ones taken from the upstream. Two are not per call: `methods` (a
 * call says whether it is idempotent with its own `idempotent` option) and the budget, which
 * belongs to the upstream — a call may only leave it (`budget: false`).
 */
export interface RetryCallOptions extends Omit<RetryOptions, 'methods' | 'budget'> {
  /** `false`: this call neither feeds nor spends the upstream's retry budget. */
  budget?: false;
}

/** {@link RetryOptions} after defaults. */
export interface ResolvedRetryOptions {
  readonly retries: number;
  readonly connectRetries: number;
  readonly baseDelay: number;
  readonly maxDelay: number;
  readonly maxRetryAfter: number;
  readonly statuses: readonly number[];
  readonly methods: readonly string[];
  readonly budget: ResolvedRetryBudgetOptions | false;
  readonly shouldRetry: ((ctx: RetryContext) => boolean) | undefined;
  readonly onRetry: ((ctx: RetryContext) => void) | undefined;
}

/** Defaults of the retry policy. */
export const DEFAULT_RETRY_OPTIONS: ResolvedRetryOptions = Object.freeze({
  /** 2: three attempts ride out a blip; more multiplies load during an outage. */
  retries: 2,
  /**
   * 10: enough that the 5 s default deadline, not the count, ends the retries of a refused
   * connection (a restart of up to ~3 s is ridden through); with a longer deadline it keeps a
   * call from retrying a closed port for more than ~13 s (the sum of the backoff caps).
   */
  connectRetries: 10,
  /** 100 ms: see the exponential backoff's defaults. */
  baseDelay: 100,
  /** 2 s: see the exponential backoff's defaults. */
  maxDelay: 2000,
  /** 30 s: a server asking for longer is not coming back within any sane deadline. */
  maxRetryAfter: 30_000,
  /** 408/429 and the transient 5xx; 501/505 and the like will not change on retry. */
  statuses: Object.freeze([408, 429, 500, 502, 503, 504]),
  /** The idempotent methods: replaying them cannot apply an effect twice. */
  methods: DEFAULT_IDEMPOTENT_METHODS,
  /** On: a retry storm must never multiply the load of a struggling upstream. */
  budget: DEFAULT_RETRY_BUDGET_OPTIONS,
  /** None: the safe defaults decide. */
  shouldRetry: undefined,
  onRetry: undefined,
});

const KEYS = [
  'retries',
  'connectRetries',
  'baseDelay',
  'maxDelay',
  'maxRetryAfter',
  'statuses',
  'methods',
  'budget',
  'shouldRetry',
  'onRetry',
] as const;

/** The keys of {@link RetryCallOptions}: every retry option but `methods`. */
export const RETRY_CALL_KEYS: readonly string[] = Object.freeze(KEYS.filter((key) => key !== 'methods'));
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Validate retry options found at `path` (e.g. `retry`). `false` turns retries off. Values
 * missing from `input` come from `base` (the defaults, or the upstream's options when
 * resolving a per-call override).
 */
export function resolveRetryOptions(
  input: unknown,
  path: string,
  base: ResolvedRetryOptions = DEFAULT_RETRY_OPTIONS,
): ResolvedRetryOptions | false {
  const options = policyOptions<RetryOptions>(path, input);
  if (options === false) return false;
  knownKeys(path, options, KEYS);
  const backoff = resolveExponentialBackoffOptions(options, path, base);
  const baseBudget = base.budget === false ? undefined : base.budget;
  return Object.freeze({
    retries: integerIn(`${path}.retries`, options.retries, 0, 10, base.retries),
    connectRetries: integerIn(`${path}.connectRetries`, options.connectRetries, 0, 50, base.connectRetries),
    ...backoff,
    maxRetryAfter: durationIn(`${path}.maxRetryAfter`, options.maxRetryAfter, 0, 3_600_000, base.maxRetryAfter),
    statuses: listOf(
      `${path}.statuses`,
      options.statuses,
      'an array of integer statuses in 100…599',
      base.statuses,
      (s) => (typeof s === 'number' && Number.isInteger(s) && s >= 100 && s <= 599 ? s : undefined),
    ),
    methods: listOf(`${path}.methods`, options.methods, 'an array of HTTP method names', base.methods, (m) =>
      typeof m === 'string' && TOKEN.test(m) ? m.toUpperCase() : undefined,
    ),
    budget:
      options.budget === undefined
        ? base.budget
        : resolveRetryBudgetOptions(options.budget, `${path}.budget`, baseBudget),
    shouldRetry: functionOr(`${path}.shouldRetry`, options.shouldRetry, base.shouldRetry),
    onRetry: functionOr(`${path}.onRetry`, options.onRetry, base.onRetry),
  });
}

/**
 * Validate per-call retry overrides found at `path` over `base` (the upstream's options): only
 * the {@link RetryCallOptions} keys, `budget` only `false`. Throws `InvalidOptionError`.
 */
export function resolveRetryCallOptions(
  input: unknown,
  path: string,
  base: ResolvedRetryOptions = DEFAULT_RETRY_OPTIONS,
): ResolvedRetryOptions {
  const options = policyOptions<RetryOptions>(path, input);
  if (options === false) return base;
  knownKeys(path, options, RETRY_CALL_KEYS);
  if (options.budget !== undefined && options.budget !== false) {
    throw new InvalidOptionError(`${path}.budget`, 'false or omitted (the budget is per upstream)', options.budget);
  }
  return resolveRetryOptions(options, path, base) as ResolvedRetryOptions;
}

function listOf<T>(
  path: string,
  value: unknown,
  expected: string,
  fallback: readonly T[],
  item: (v: unknown) => T | undefined,
): readonly T[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value)) throw new InvalidOptionError(path, expected, value);
  const out: T[] = [];
  for (const v of value as unknown[]) {
    const ok = item(v);
    if (ok === undefined) throw new InvalidOptionError(path, expected, value);
    out.push(ok);
  }
  return Object.freeze(out);
}
