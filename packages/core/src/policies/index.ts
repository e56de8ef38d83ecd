/**
 * The resilience policies of an upstream and their composition.
 *
 * Order, outermost first (fixed):
 *
 * 1. **fallback** wraps everything: it answers for any failure, rejections by the bulkhead
 *    and the breaker included.
 * 2. **bulkhead** bounds concurrency for the whole call (every attempt and backoff hold one
 *    slot); its queue wait is bounded by the call's deadline (`TimeoutError` 'queue').
 * 3. **timeout** (total deadline) derives the signal every inner policy and attempt sees and
 *    rejects the call at the deadline: retries and backoff sleeps live inside it.
 * 4. **retry** runs attempts under the deadline and the budget.
 * 5. **hedge** (off unless asked) races copies of a slow first attempt; inside retry, so a
 *    retry never restarts a hedged round and each copy takes an attempt number (and a retry
 *    from the budget): hedges and retries share one count and cannot multiply.
 * 6. **breaker** judges each attempt (each hedged copy) separately; a retry sees its
 *    `CircuitOpenError` and does not retry it, so an open breaker ends the call at once.
 * 7. the attempt.
 */
import { BulkheadPolicy, type ResolvedBulkheadOptions } from './bulkhead.ts';
import type { PolicyDeps } from './call-context.ts';
import { CircuitBreakerPolicy, type ResolvedCircuitBreakerOptions } from './circuit-breaker.ts';
import { FallbackPolicy, type ResolvedFallbackOptions } from './fallback.ts';
import { HedgePolicy } from './hedge.ts';
import type { ResolvedHedgeOptions } from './hedge-options.ts';
import { compose, type CallContext, type Policy } from './policy.ts';
import type { ResolvedRetryOptions } from './retry-options.ts';
import { RetryPolicy } from './retry.ts';
import type { RetryBudget } from './retry-budget.ts';
import { TimeoutPolicy } from './timeout.ts';

/** The resolved options of every policy of an upstream; `false` leaves a policy out. */
export interface ResolvedPipelineOptions {
  retry: ResolvedRetryOptions | false;
  breaker: ResolvedCircuitBreakerOptions | false;
  bulkhead: ResolvedBulkheadOptions | false;
  fallback?: ResolvedFallbackOptions | false | undefined;
  hedge?: ResolvedHedgeOptions | false | undefined;
}

/** An upstream's composed policy and handles on each part (null when turned off). */
export interface Pipeline {
  /** fallback → bulkhead → timeout → retry → hedge → breaker → attempt. */
  readonly policy: Policy;
  /** hedge → breaker: the part of `policy` inside retry. */
  readonly inner: Policy;
  readonly timeout: TimeoutPolicy;
  /** Always present (a call can ask for hedging); `options` is false when the upstream does not hedge. */
  readonly hedge: HedgePolicy;
  readonly retry: RetryPolicy | null;
  readonly breaker: CircuitBreakerPolicy | null;
  readonly bulkhead: BulkheadPolicy | null;
  readonly budget: RetryBudget | null;
  /**
   * End every call at once with `reasonFor(ctx)`: queued calls leave the bulkhead, calls in
   * flight (in an attempt or sleeping in a retry backoff) and held response bodies are aborted.
   */
  abortAll(reasonFor: (ctx: CallContext) => unknown): void;
}

/** Build the policies of one upstream and compose them in the fixed order documented above. */
export function createPipeline(resolved: ResolvedPipelineOptions, deps: PolicyDeps): Pipeline {
  const retry = resolved.retry === false ? null : new RetryPolicy(resolved.retry, { random: deps.random });
  const breaker = resolved.breaker === false ? null : new CircuitBreakerPolicy(resolved.breaker, deps);
  const bulkhead = resolved.bulkhead === false ? null : new BulkheadPolicy(resolved.bulkhead);
  const fallback = resolved.fallback ? new FallbackPolicy(resolved.fallback) : null;
  const timeout = new TimeoutPolicy();
  const hedge = new HedgePolicy(resolved.hedge ?? false, { budget: retry?.budget ?? null, bulkhead });
  const policies: Policy[] = [fallback, bulkhead, timeout, retry, hedge, breaker].filter(
    (p): p is NonNullable<typeof p> => p !== null,
  );
  return {
    policy: compose(...policies),
    inner: breaker === null ? compose(hedge) : compose(hedge, breaker),
    timeout,
    retry,
    breaker,
    bulkhead,
    hedge,
    budget: retry?.budget ?? null,
    abortAll(reasonFor) {
      // The queue first: a slot freed by an aborted call must not start a queued one.
      bulkhead?.rejectQueued(reasonFor);
      timeout.abortAll(reasonFor);
    },
  };
}

export { compose, type CallContext, type Next, type Policy, type PolicyOverrides, type ResultInfo } from './policy.ts';
export type { PolicyDeps } from './call-context.ts';
export { abortErrorOf, errorContextOf } from './call-context.ts';
export { sleep } from './signals.ts';
export {
  createExponentialBackoff,
  DEFAULT_EXPONENTIAL_BACKOFF_OPTIONS,
  resolveExponentialBackoffOptions,
  type Backoff,
  type ExponentialBackoffOptions,
  type ResolvedExponentialBackoffOptions,
} from './backoff/exponential-backoff.ts';
export { parseRetryAfter } from './retry-after.ts';
export {
  createRetryBudget,
  DEFAULT_RETRY_BUDGET_OPTIONS,
  resolveRetryBudgetOptions,
  RetryBudget,
  type ResolvedRetryBudgetOptions,
  type RetryBudgetOptions,
  type RetryBudgetStats,
} from './retry-budget.ts';
export { createRetryPolicy, isRetryableError, RetryPolicy, type RetryDeps, type RetryStats } from './retry.ts';
export {
  DEFAULT_IDEMPOTENT_METHODS,
  DEFAULT_RETRY_OPTIONS,
  resolveRetryCallOptions,
  resolveRetryOptions,
  type ResolvedRetryOptions,
  type RetryCallOptions,
  type RetryContext,
  type RetryOptions,
} from './retry-options.ts';
export { SlidingWindow } from './breaker/sliding-window.ts';
export {
  CircuitBreakerPolicy,
  createCircuitBreakerPolicy,
  DEFAULT_CIRCUIT_BREAKER_OPTIONS,
  DEFAULT_SLOW_CALL_OPTIONS,
  isDefaultBreakerFailure,
  resolveCircuitBreakerOptions,
  type BreakerFailurePredicate,
  type CircuitBreakerOptions,
  type CircuitBreakerStats,
  type ResolvedCircuitBreakerOptions,
  type SlowCallOptions,
} from './circuit-breaker.ts';
export {
  BulkheadPolicy,
  createBulkheadPolicy,
  DEFAULT_BULKHEAD_OPTIONS,
  defaultBulkheadOptions,
  resolveBulkheadOptions,
  type BulkheadOptions,
  type BulkheadStats,
  type ResolvedBulkheadOptions,
} from './bulkhead.ts';
export { createTimeoutPolicy, NEVER_SIGNAL, TimeoutPolicy } from './timeout.ts';
export {
  checkHedgeFits,
  createHedgePolicy,
  DEFAULT_HEDGE_OPTIONS,
  HedgePolicy,
  resolveHedgeOptions,
  type HedgeDeps,
  type HedgeDelay,
  type HedgeOptions,
  type HedgeStats,
  type ResolvedHedgeOptions,
} from './hedge.ts';
export {
  createFallbackPolicy,
  DEFAULT_FALLBACK_OPTIONS,
  FallbackPolicy,
  resolveFallbackOptions,
  withFallback,
  type FallbackHandler,
  type FallbackOptions,
  type ResolvedFallbackOptions,
} from './fallback.ts';
