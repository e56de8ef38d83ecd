import type { EventHub } from '../events/events.ts';
import type { ResolvedUpstreamOptions } from '../options/resolve.ts';
import {
  createPipeline,
  DEFAULT_IDEMPOTENT_METHODS,
  FallbackPolicy,
  type BulkheadStats,
  type CircuitBreakerPolicy,
  type CircuitBreakerStats,
  type FallbackHandler,
  type Pipeline as PolicyPipeline,
  type RetryStats,
} from '../policies/index.ts';
import { InvalidOptionError } from '../errors/errors.ts';
import type { CallContext } from '../policies/policy.ts';
import { resolveRetryCallOptions } from '../policies/retry-options.ts';
import type { CallOptions } from './types.ts';

/** The upstream's view of its policies. */
export interface Pipeline {
  run<T>(attempt: (ctx: CallContext) => Promise<T>, ctx: CallContext, fallback?: FallbackHandler): Promise<T>;
  readonly breaker: CircuitBreakerPolicy | null;
  readonly idempotentMethods: readonly string[];
  /** End every call at once (queued, in flight, sleeping in backoff, held bodies) with `reasonFor(ctx)`. */
  abortAll(reasonFor: (ctx: CallContext) => unknown): void;
  /**
   * Check a call's `retry` override where the call enters (resolved once per object, by the
   * retry policy, which then reads the cached result): the `InvalidOptionError`, or undefined.
   */
  checkRetryOverride(override: CallOptions['retry']): InvalidOptionError | undefined;
  stats(): { retry: RetryStats | null; breaker: CircuitBreakerStats | null; bulkhead: BulkheadStats | null };
}

/**
 * The upstream's pipeline: fallback → bulkhead → total deadline → retry → circuit breaker
 * → attempt. A per-call `fallback` replaces the upstream's.
 */
export function createUpstreamPipeline(options: ResolvedUpstreamOptions, deps: { events: EventHub }): Pipeline {
  const pipeline: PolicyPipeline = createPipeline(
    { retry: options.retry, breaker: options.breaker, bulkhead: options.bulkhead, fallback: false },
    { upstream: options.name, events: deps.events },
  );
  const upstreamFallback = options.fallback === false ? null : new FallbackPolicy(options.fallback);
  return {
    run(attempt, ctx, fallback) {
      const outer = fallback === undefined ? upstreamFallback : new FallbackPolicy(fallback);
      if (outer === null) return pipeline.policy.execute(attempt, ctx);
      return outer.execute((c) => pipeline.policy.execute(attempt, c), ctx);
    },
    breaker: pipeline.breaker,
    abortAll: (reasonFor) => pipeline.abortAll(reasonFor),
    checkRetryOverride(override) {
      if (override === undefined || override === false) return undefined;
      try {
        if (pipeline.retry !== null) pipeline.retry.resolveOverride(override, 'retry');
        else resolveRetryCallOptions(override, 'retry');
      } catch (error) {
        if (error instanceof InvalidOptionError) return error;
        throw error;
      }
      return undefined;
    },
    idempotentMethods: options.retry === false ? DEFAULT_IDEMPOTENT_METHODS : options.retry.methods,
    stats: () => ({
      retry: pipeline.retry?.stats() ?? null,
      breaker: pipeline.breaker?.stats() ?? null,
      bulkhead: pipeline.bulkhead?.stats() ?? null,
    }),
  };
}
