import type { EventHub } from '../events/events.ts';
import type { ResolvedUpstreamOptions } from '../options/resolve.ts';
import {
  createPipeline,
  DEFAULT_IDEMPOTENT_METHODS,
  type FallbackPolicy,
  type BulkheadStats,
  type CircuitBreakerPolicy,
  type CircuitBreakerStats,
  type HedgeStats,
  type Pipeline as PolicyPipeline,
  type RetryStats,
} from '../policies/index.ts';
import { InvalidOptionError } from '../errors/errors.ts';
import type { FleetMembership, FleetStats } from '../policies/fleet.ts';
import { FusedPipeline, type CallHooks } from '../policies/fused-call.ts';
import type { CallContext } from '../policies/policy.ts';
import { resolveRetryCallOptions } from '../policies/retry-options.ts';
import type { CallOptions } from './types.ts';

/** The upstream's view of its policies. */
export interface Pipeline {
  /** Run `attempt` under the policies, inside `fallback` when one is given. */
  run<T>(attempt: (ctx: CallContext) => Promise<T>, ctx: CallContext, fallback: FallbackPolicy | null): Promise<T>;
  /**
   * Run the call under the policies with the upstream's {@link CallHooks}, as one object (see
   * {@link FusedPipeline}), which reports the outcome to `hooks.settled`; undefined (nothing
   * done) when the call needs the composed pipeline, through {@link run}.
   */
  runFused(ctx: CallContext): Promise<unknown> | undefined;
  readonly breaker: CircuitBreakerPolicy | null;
  readonly idempotentMethods: readonly string[];
  /** The upstream's link to its fleet; null without one. */
  readonly fleet: FleetMembership | null;
  /** End every call at once (queued, in flight, sleeping in backoff, held bodies) with `reasonFor(ctx)`. */
  abortAll(reasonFor: (ctx: CallContext) => unknown): void;
  /**
   * Check a call's `retry` override where the call enters (resolved once per object, by the
   * retry policy, which then reads the cached result): the `InvalidOptionError`, or undefined.
   */
  checkRetryOverride(override: CallOptions['retry']): InvalidOptionError | undefined;
  stats(): {
    retry: RetryStats | null;
    breaker: CircuitBreakerStats | null;
    bulkhead: BulkheadStats | null;
    hedge: HedgeStats;
    fleet: FleetStats | null;
  };
}

/**
 * The upstream's pipeline: (fallback →) bulkhead → total deadline → retry → hedge →
 * circuit breaker → attempt. The fallback is the caller's choice per call: the upstream's, shaped for
 * `request()`, or a per-call one.
 */
export function createUpstreamPipeline(
  options: ResolvedUpstreamOptions,
  deps: { events: EventHub; hooks: CallHooks },
): Pipeline {
  const pipeline: PolicyPipeline = createPipeline(
    {
      retry: options.retry,
      breaker: options.breaker,
      bulkhead: options.bulkhead,
      fallback: false,
      hedge: options.hedge,
    },
    { upstream: options.name, events: deps.events },
  );
  const fleet =
    options.fleet === false
      ? null
      : options.fleet.join({
          upstream: options.name,
          breaker: pipeline.breaker?.fleetControl() ?? null,
          budget: pipeline.budget?.fleetControl() ?? null,
        });
  if (fleet !== null) pipeline.breaker?.attachFleet(fleet);
  const fused = new FusedPipeline(pipeline, deps.hooks);
  return {
    runFused: (ctx) => fused.tryRun(ctx),
    run(attempt, ctx, fallback) {
      if (fallback === null) return pipeline.policy.execute(attempt, ctx);
      return fallback.execute((c) => pipeline.policy.execute(attempt, c), ctx);
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
    fleet,
    stats: () => ({
      retry: pipeline.retry?.stats() ?? null,
      breaker: pipeline.breaker?.stats() ?? null,
      bulkhead: pipeline.bulkhead?.stats() ?? null,
      hedge: pipeline.hedge.stats(),
      fleet: fleet?.stats() ?? null,
    }),
  };
}
