import { isConnectionRefused, isNetworkError, isTimeoutError } from '../errors/errors.ts';
import { isSteadyError } from '../errors/steady-error.ts';
import { createExponentialBackoff, type Backoff } from './backoff/exponential-backoff.ts';
import { abortErrorOf } from './call-context.ts';
import type { CallContext, Next, Policy } from './policy.ts';
import { parseRetryAfter } from './retry-after.ts';
import { RetryBudget, type RetryBudgetStats } from './retry-budget.ts';
import {
  DEFAULT_RETRY_OPTIONS,
  resolveRetryCallOptions,
  type ResolvedRetryOptions,
  type RetryCallOptions,
  type RetryContext,
} from './retry-options.ts';
import { sleep } from './signals.ts';

/** Figures of a {@link RetryPolicy}, plain JSON. */
export interface RetryStats {
  /** Retries made (attempts after the first). */
  retries: number;
  /** Of `retries`, those after a refused connection (bounded by `connectRetries`, not `retries`). */
  connectRetries: number;
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

/** An attempt's outcome, as the retry policy judges it. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Retries what is safe to retry (see {@link isRetryableError} and `statuses`), with full-jitter
 * exponential backoff or the server's `Retry-After`, never past `ctx.deadline`, and only
 * while the retry budget allows. A refused connection (see {@link isConnectionRefused}) is
 * retried up to `connectRetries` times, every other retryable outcome up to `retries` times:
 * two counts, so a call rides through a restart's closed port without spending the retries
 * meant for failures the upstream saw. The last outcome is returned or thrown as is.
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
  #connectRetries = 0;
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
      options = this.enter(ctx);
    } catch (error) {
      return Promise.reject(error);
    }
    if (options === false) return next(ctx);
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

  /**
   * @internal A call enters: its options (false: no retry for it), with the budget fed.
   * Throws `InvalidOptionError` for a bad per-call override.
   */
  enter(ctx: CallContext): ResolvedRetryOptions | false {
    const options = this.#optionsFor(ctx);
    if (options !== false && options.budget !== false) this.budget?.deposit();
    return options;
  }

  /**
   * @internal After the first attempt's `outcome`: undefined when it is final (the common
   * case), else the retry loop's promise, whose later attempts run through `next`.
   */
  retryAfter<T>(
    next: Next<T>,
    ctx: CallContext,
    options: ResolvedRetryOptions,
    outcome: Outcome<T>,
  ): Promise<T> | undefined {
    if (this.#retryReason(outcome, ctx, options) === undefined) return undefined;
    return this.#loop(next, ctx, options, outcome);
  }

  /** Return the first outcome when it is final (the common case), else enter the retry loop. */
  #settleOrRetry<T>(
    next: Next<T>,
    ctx: CallContext,
    options: ResolvedRetryOptions,
    outcome: Outcome<T>,
  ): T | Promise<T> {
    return this.retryAfter(next, ctx, options, outcome) ?? settle(outcome);
  }

  async #loop<T>(next: Next<T>, ctx: CallContext, options: ResolvedRetryOptions, firstOutcome: Outcome<T>): Promise<T> {
    const budget = options.budget === false ? null : this.budget;
    const backoff =
      options.baseDelay === this.options.baseDelay && options.maxDelay === this.options.maxDelay
        ? this.#backoff
        : createExponentialBackoff(options, this.#random);
    let outcome: Outcome<T> = firstOutcome;
    // Retries of this call after a refused connection; the others are `ctx.attempt - refused`.
    let refused = 0;
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
      const connect = !outcome.ok && isConnectionRefused(outcome.error);
      // Hedged copies take attempt numbers too: retries and hedges share one count.
      if (connect ? refused >= options.connectRetries : ctx.attempt - refused >= options.retries) {
        this.#givenUp++;
        return settle(outcome);
      }
      const hook = options.shouldRetry === undefined && options.onRetry === undefined ? undefined : { reason, status };
      if (hook !== undefined && options.shouldRetry !== undefined) {
        if (!askShouldRetry(options.shouldRetry, retryContext(ctx, outcome, hook, ctx.attempt + 1, 0))) {
          this.#givenUp++;
          return settle(outcome);
        }
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
      if (hook !== undefined && options.onRetry !== undefined) {
        callOnRetry(options.onRetry, retryContext(ctx, outcome, hook, attempt, delay));
      }
      if (outcome.ok) ctx.discard?.(outcome.value);
      this.#retries++;
      if (connect) {
        refused++;
        this.#connectRetries++;
      }
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
      connectRetries: this.#connectRetries,
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

  /**
   * Resolve per-call overrides (found at `path`) over this policy's options, once per override
   * object: the upstream calls it where a call enters (so a bad override is refused before
   * anything is sent), and the policy reads the cached result. Throws `InvalidOptionError`.
   */
  resolveOverride(override: RetryCallOptions | false, path = 'overrides.retry'): ResolvedRetryOptions | false {
    if (override === false) return false;
    let resolved = this.#overrides.get(override);
    if (resolved === undefined) {
      resolved = resolveRetryCallOptions(override, path, this.options);
      this.#overrides.set(override, resolved);
    }
    return resolved;
  }

  #optionsFor(ctx: CallContext): ResolvedRetryOptions | false {
    const override = ctx.overrides.retry;
    if (override === undefined) return this.options;
    return this.resolveOverride(override);
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

function retryContext<T>(
  ctx: CallContext,
  outcome: Outcome<T>,
  hook: { reason: string; status: number | undefined },
  attempt: number,
  delay: number,
): RetryContext {
  return Object.freeze({
    upstream: ctx.upstream,
    method: ctx.method,
    url: ctx.url,
    attempt,
    reason: hook.reason,
    error: outcome.ok ? undefined : outcome.error,
    status: hook.status,
    delay,
  });
}

/** The user's predicate; a throw counts as "do not retry" and is reported, never breaks the call. */
function askShouldRetry(shouldRetry: (ctx: RetryContext) => boolean, ctx: RetryContext): boolean {
  try {
    return shouldRetry(ctx) === true;
  } catch (error) {
    process.emitWarning(`steady: retry.shouldRetry threw: ${String(error)}`, 'SteadyListenerWarning');
    return false;
  }
}

function callOnRetry(onRetry: (ctx: RetryContext) => void, ctx: RetryContext): void {
  try {
    onRetry(ctx);
  } catch (error) {
    process.emitWarning(`steady: retry.onRetry threw: ${String(error)}`, 'SteadyListenerWarning');
  }
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
