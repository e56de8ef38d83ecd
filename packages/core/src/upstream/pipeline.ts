import type { EventHub } from '../events/events.ts';
import { IDEMPOTENT_METHODS } from '../http/request-facts.ts';
import type { ResolvedUpstreamOptions } from '../options/resolve.ts';
import type { CallContext } from '../policies/policy.ts';

/** The upstream's view of its policies. */
export interface Pipeline {
  run<T>(
    attempt: (ctx: CallContext) => Promise<T>,
    ctx: CallContext,
    fallback?: (error: unknown) => unknown,
  ): Promise<T>;
  readonly breaker: null;
  readonly idempotentMethods: readonly string[];
  stats(): { retry: unknown; breaker: unknown; bulkhead: unknown };
  dispose(): void;
}

/** Temporary pass-through until the policies land. */
export function createUpstreamPipeline(
  _options: ResolvedUpstreamOptions,
  _deps: { events: EventHub; connections: number },
): Pipeline {
  return {
    async run(attempt, ctx, fallback) {
      try {
        return await attempt(ctx);
      } catch (error) {
        if (fallback) return (await fallback(error)) as never;
        throw error;
      }
    },
    breaker: null,
    idempotentMethods: IDEMPOTENT_METHODS,
    stats: () => ({ retry: null, breaker: null, bulkhead: null }),
    dispose() {},
  };
}
