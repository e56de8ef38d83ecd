import { InvalidOptionError, isNetworkError, isTimeoutError } from '../errors/errors.ts';
import { isSteadyError } from '../errors/steady-error.ts';
import { durationIn, integerIn, knownKeys, policyOptions } from '../options/validate.ts';
import {
  createExponentialBackoff,
  resolveExponentialBackoffOptions,
  type Backoff,
} from './backoff/exponential-backoff.ts';
import { abortErrorOf } from './call-context.ts';
import type { CallContext, Next, Policy } from './policy.ts';
import { parseRetryAfter } from './retry-after.ts';
import {
  DEFAULT_RETRY_BUDGET_OPTIONS,
  RetryBudget,
  resolveRetryBudgetOptions,
  type ResolvedRetryBudgetOptions,
  type RetryBudgetOptions,
  type RetryBudgetStats,
} from './retry-budget.ts';
import { sleep } from './signals.ts';

/** Methods whose requests may be replayed: RFC 9110 §9.2.2 idempotent methods, minus TRACE. */
export const DEFAULT_IDEMPOTENT_METHODS: readonly string[] = Object.freeze(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Options of the retry policy. */
export interface RetryOptions {
  /**
   * Retries after the first attempt, 0…10.
   * @default 2
   */
  retries?: number;
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

/** {@link RetryOptions} after defaults. */
export interface ResolvedRetryOptions {
  readonly retries: number;
  readonly baseDelay: number;
  readonly maxDelay: number;
  readonly maxRetryAfter: number;
  readonly statuses: readonly number[];
  readonly methods: readonly string[];
  readonly budget: ResolvedRetryBudgetOptions | false;
}

/** Defaults of the retry policy. */
export const DEFAULT_RETRY_OPTIONS: ResolvedRetryOptions = Object.freeze({
  /** 2: three attempts ride out a blip; more multiplies load during an outage. */
  retries: 2,
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
});

const KEYS = ['retries', 'baseDelay', 'maxDelay', 'maxRetryAfter', 'statuses', 'methods', 'budget'] as const;
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
  });
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

/** Figures of a {@link RetryPolicy}, plain JSON. */
export interface RetryStats {
  /** Retries made (attempts after the first). */
  retries: number;
  /** Retries refused because the budget was spent. */
  budgetExhausted: number;
  /** Calls that ended on a retryable outcome: retries used up, deadline too near, Retry-After too long. */
  givenUp: number;
  budget: RetryBudgetStats | null;
}

/** Dependencies of the retry policy. */
export interface RetryDeps {
  /** Randomness in [0, 1) for the backoff's jitter. @default Math.random */
  readonly random?: () => number;
  /** A budget to share; by default one is created from `options.budget`. */
  readonly budget?: RetryBudget | null;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Retries what is safe to retry (see {@link isRetryableError} and `statuses`), with full-jitter
 * exponential backoff or the server's `Retry-After`, never past `ctx.deadline`, and only
 * while the retry budget allows. The last outcome is returned or thrown as is.
 */
export class RetryPolicy implements Policy {
  readonly name = 'retry';
  readonly options: ResolvedRetryOptions;
  /** The per-upstream budget, null when off. */
  readonly budget: RetryBudget | null;
  readonly #backoff: Backoff;
  readonly #random: (() => number) | undefined;
  readonly #overrides = new WeakMap<object, ResolvedRetryOptions | false>();
  #retries = 0;
  #budgetExhausted = 0;
  #givenUp = 0;

  constructor(options: ResolvedRetryOptions = DEFAULT_RETRY_OPTIONS, deps: RetryDeps = {}) {
    this.options = options;
    this.budget =
      deps.budget !== undefined ? deps.budget : options.budget === false ? null : new RetryBudget(options.budget);
    this.#random = deps.random;
    this.#backoff = createExponentialBackoff(options, deps.random);
  }

  execute<T>(next: Next<T>, ctx: CallContext): Promise<T> {
    let options: ResolvedRetryOptions | false;
    try {
      options = this.#optionsFor(ctx);
    } catch (error) {
      return Promise.reject(error);
    }
    if (options === false) return next(ctx);
    if (options.budget !== false) this.budget?.deposit();
    // The first attempt runs without an async frame: most calls succeed at once.
    let first: Promise<T>;
    try {
      first = next(ctx);
    } catch (error) {
      first = Promise.reject(error);
    }
    return first.then(
      (value) => this.#settleOrRetry(next, ctx, options, { ok: true, value }),
      (error: unknown) => this.#settleOrRetry(next, ctx, options, { ok: false, error }),
    );
  }

  /** Return the first outcome when it is final (the common case), else enter the retry loop. */
  #settleOrRetry<T>(
    next: Next<T>,
    ctx: CallContext,
    options: ResolvedRetryOptions,
    outcome: Outcome<T>,
  ): T | Promise<T> {
    if (this.#retryReason(outcome, ctx, options) === undefined) return settle(outcome);
    return this.#loop(next, ctx, options, outcome);
  }

  async #loop<T>(next: Next<T>, ctx: CallContext, options: ResolvedRetryOptions, firstOutcome: Outcome<T>): Promise<T> {
    const budget = options.budget === false ? null : this.budget;
    const backoff =
      options.baseDelay === this.options.baseDelay && options.maxDelay === this.options.maxDelay
        ? this.#backoff
        : createExponentialBackoff(options, this.#random);
    let outcome: Outcome<T> = firstOutcome;
    for (let retry = 0; ; retry++) {
      if (retry > 0) {
        try {
          outcome = { ok: true, value: await next(ctx) };
        } catch (error) {
          outcome = { ok: false, error };
        }
      }
      const wanted = this.#retryReason(outcome, ctx, options);
      if (wanted === undefined) return settle(outcome);
      const { reason, status, header } = wanted;
      if (retry >= options.retries) {
        this.#givenUp++;
        return settle(outcome);
      }
      let delay = backoff.delay(retry);
      if (status === 429 || status === 503) {
        const after = parseRetryAfter(header?.('retry-after'));
        if (after !== undefined && after > options.maxRetryAfter) {
          this.#givenUp++;
          return settle(outcome);
        }
        if (after !== undefined) delay = after;
      }
      if (Date.now() + delay >= ctx.deadline) {
        this.#givenUp++;
        return settle(outcome);
      }
      const attempt = ctx.attempt + 1;
      if (budget !== null && !budget.tryWithdraw()) {
        this.#budgetExhausted++;
        ctx.events.emit('retryBudgetExhausted', () => ({
          upstream: ctx.upstream,
          method: ctx.method,
          url: ctx.url,
          attempt,
          reason,
        }));
        return settle(outcome);
      }
      ctx.events.emit('retry', () => ({
        upstream: ctx.upstream,
        method: ctx.method,
        url: ctx.url,
        attempt,
        delay,
        reason,
      }));
      if (outcome.ok) ctx.discard?.(outcome.value);
      this.#retries++;
      try {
        await sleep(delay, ctx.signal);
      } catch (error) {
        throw abortErrorOf(error, ctx);
      }
      ctx.attempt = attempt;
    }
  }

  stats(): RetryStats {
    return {
      retries: this.#retries,
      budgetExhausted: this.#budgetExhausted,
      givenUp: this.#givenUp,
      budget: this.budget?.stats() ?? null,
    };
  }

  /** Why `outcome` should be retried, or undefined when it must not be. */
  #retryReason<T>(
    outcome: Outcome<T>,
    ctx: CallContext,
    options: ResolvedRetryOptions,
  ): { reason: string; status?: number; header?: (name: string) => string | undefined } | undefined {
    if (!outcome.ok) {
      return isRetryableError(outcome.error, ctx) ? { reason: (outcome.error as { code: string }).code } : undefined;
    }
    if (!ctx.idempotent || !ctx.replayable || ctx.signal.aborted) return undefined;
    const info = ctx.classify?.(outcome.value);
    if (info === undefined || !options.statuses.includes(info.status)) return undefined;
    return { reason: `status ${info.status}`, status: info.status, header: info.header };
  }

  #optionsFor(ctx: CallContext): ResolvedRetryOptions | false {
    const override = ctx.overrides.retry;
    if (override === undefined) return this.options;
    if (override === false) return false;
    let resolved = this.#overrides.get(override);
    if (resolved === undefined) {
      const budget = (override as { budget?: unknown }).budget;
      if (budget !== undefined && budget !== false) {
        throw new InvalidOptionError('overrides.retry.budget', 'false or omitted (the budget is per upstream)', budget);
      }
      resolved = resolveRetryOptions(override, 'overrides.retry', this.options);
      this.#overrides.set(override, resolved);
    }
    return resolved;
  }
}

/**
 * Whether a thrown error may be retried. Never once `ctx.signal` aborted, nor for a body that
 * cannot be sent again. A request that provably never left (`NetworkError` 'not-sent', connect
 * timeout) is retried whatever its method; one that may have reached the server (`NetworkError`
 * 'unknown', headers/body timeout) only when idempotent. Nothing else is retried: breaker,
 * bulkhead, closed, aborted, total/queue timeouts, invalid requests and non-Steady errors.
 */
export function isRetryableError(error: unknown, ctx: CallContext): boolean {
  if (!ctx.replayable || ctx.signal.aborted || !isSteadyError(error)) return false;
  if (isNetworkError(error)) return error.delivery === 'not-sent' || ctx.idempotent;
  if (isTimeoutError(error)) {
    if (error.phase === 'connect') return true;
    return ctx.idempotent && (error.phase === 'headers' || error.phase === 'body');
  }
  return false;
}

function settle<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}

/** Create the retry policy of one upstream. */
export function createRetryPolicy(
  options: ResolvedRetryOptions = DEFAULT_RETRY_OPTIONS,
  deps: RetryDeps = {},
): RetryPolicy {
  return new RetryPolicy(options, deps);
}
