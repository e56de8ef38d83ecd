import { TimeoutError } from '../errors/errors.ts';
import { abortErrorOf, errorContextOf } from './call-context.ts';
import type { CallContext, Next, Policy } from './policy.ts';
import { createDeadlineSignal, raceSignal } from './signals.ts';

/**
 * The total-deadline policy. The upstream sets `ctx.deadline` (absolute, from
 * `timeouts.total`, or from the per-call `overrides.timeout` which replaces it) and
 * `ctx.signal` (the caller's) before the pipeline; this policy holds the call to them:
 *
 * - the inner pipeline gets a new `ctx.signal` that aborts with `TimeoutError('total')` at the
 *   deadline, or with `AbortedError` (its `cause` is the caller's reason) when the caller aborts;
 * - the call rejects at that moment even if the inner pipeline ignores the signal; a result
 *   that arrives too late is released with `ctx.discard`;
 * - the timer and the listener on the caller's signal are removed when the call settles.
 *
 * With no deadline (`Infinity`) no timer is created, but caller aborts are still mapped to
 * `AbortedError` and raced.
 */
export class TimeoutPolicy implements Policy {
  readonly name = 'timeout';

  execute<T>(next: Next<T>, ctx: CallContext): Promise<T> {
    const caller = ctx.signal;
    if (caller.aborted) return Promise.reject(abortErrorOf(caller.reason, ctx));
    const deadline = createDeadlineSignal({
      parent: caller,
      deadline: ctx.deadline,
      onParentAbort: (reason) => abortErrorOf(reason, ctx),
      onDeadline: () => {
        ctx.events.emit('timeout', () => ({
          upstream: ctx.upstream,
          method: ctx.method,
          url: ctx.url,
          phase: 'total',
        }));
        return new TimeoutError('total', ctx.deadline - ctx.startedAt, errorContextOf(ctx));
      },
    });
    if (deadline.signal.aborted) return Promise.reject(deadline.signal.reason);
    // The inner pipeline keeps this signal even after the race is lost: any attempt still
    // running then sees it aborted, so no retry starts behind a settled call.
    ctx.signal = deadline.signal;
    let running: Promise<T>;
    try {
      running = next(ctx);
    } catch (error) {
      running = Promise.reject(error);
    }
    const raced = raceSignal(running, deadline.signal, (late) => ctx.discard?.(late));
    return raced.finally(deadline.dispose);
  }
}

/** Create the total-deadline policy. */
export function createTimeoutPolicy(): TimeoutPolicy {
  return new TimeoutPolicy();
}
