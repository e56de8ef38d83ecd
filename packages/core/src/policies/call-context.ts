import { AbortedError } from '../errors/errors.ts';
import { isSteadyError, type ErrorContext } from '../errors/steady-error.ts';
import type { EventHub } from '../events/events.ts';
import type { CallContext } from './policy.ts';

/** Dependencies every policy factory accepts. */
export interface PolicyDeps {
  /** The upstream's name, for events raised outside a call (e.g. `breaker.isolate()`). */
  readonly upstream: string;
  /** The upstream's events, for events raised outside a call. Calls use `ctx.events`. */
  readonly events: EventHub;
  /** Source of randomness in [0, 1) for jitter; injectable for tests. @default Math.random */
  readonly random?: () => number;
}

/** Where a call was going, for the errors a policy raises. */
export function errorContextOf(ctx: CallContext): ErrorContext {
  return {
    upstream: ctx.upstream,
    method: ctx.method,
    url: ctx.url,
    attempt: ctx.attempt,
    elapsed: Date.now() - ctx.startedAt,
  };
}

/**
 * The error a call rejects with once `reason` (an aborted signal's reason) fired: a Steady
 * error is kept as is (the total deadline's `TimeoutError`, an `AbortedError` made upstream),
 * anything else is the caller's reason, wrapped in an `AbortedError` that keeps it as `cause`.
 */
export function abortErrorOf(reason: unknown, ctx: CallContext): unknown {
  return isSteadyError(reason) ? reason : new AbortedError(errorContextOf(ctx), reason);
}
