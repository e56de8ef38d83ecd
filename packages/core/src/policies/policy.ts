import type { EventHub } from '../events/events.ts';

/** What a policy can learn about an attempt's result (an HTTP response) without owning it. */
export interface ResultInfo {
  /** HTTP status code. */
  status: number;
  /** Reads a response header (lower-case name), e.g. `retry-after`. */
  header?: (name: string) => string | undefined;
}

/** Per-call policy overrides. `false` turns a policy off for this call. */
export interface PolicyOverrides {
  retry?: false | Record<string, unknown>;
  breaker?: false;
  bulkhead?: false;
  /** Total deadline for this call in ms (replaces `timeouts.total`). */
  timeout?: number;
}

/**
 * The state of one call as it flows through the policies. Created by the upstream for
 * each call; policies read it and may replace `signal`/`deadline` for inner policies.
 */
export interface CallContext {
  /** The upstream's name. */
  readonly upstream: string;
  /** HTTP method, upper-case (`EXECUTE` for a non-HTTP `execute()` without a method). */
  readonly method: string;
  /** Redacted URL (no query, no credentials), for events and errors. */
  readonly url: string | undefined;
  /** GET/HEAD/OPTIONS/PUT/DELETE, an `Idempotency-Key`, or `idempotent: true`. */
  readonly idempotent: boolean;
  /** The body can be sent again (none, string, bytes or a body factory). */
  readonly replayable: boolean;
  /** `Date.now()` when the call started. */
  readonly startedAt: number;
  /** Aborts when the caller aborts or the total deadline fires; `reason` is the Steady error. */
  signal: AbortSignal;
  /** Absolute `Date.now()`-based deadline of the whole call, `Infinity` when none. */
  deadline: number;
  /** 0 for the first attempt, incremented by the retry policy. */
  attempt: number;
  /** Per-call overrides. */
  readonly overrides: PolicyOverrides;
  /** Classifies a successful attempt's result; undefined when it is not an HTTP response. */
  readonly classify: ((result: unknown) => ResultInfo | undefined) | undefined;
  /** Releases a result that will not be returned (its body is dumped), before a retry. */
  readonly discard: ((result: unknown) => void) | undefined;
  /** Events of the upstream. */
  readonly events: EventHub;
}

/** The function a policy wraps: the rest of the pipeline. */
export type Next<T> = (ctx: CallContext) => Promise<T>;

/** One resilience policy. `execute` runs `next` (the inner pipeline) under the policy. */
export interface Policy {
  readonly name: string;
  execute<T>(next: Next<T>, ctx: CallContext): Promise<T>;
}

/** Compose policies, outermost first: `compose(a, b, c).execute(fn)` runs `a(b(c(fn)))`. */
export function compose(...policies: Policy[]): Policy {
  return {
    name: policies.map((p) => p.name).join(' → '),
    execute<T>(next: Next<T>, ctx: CallContext): Promise<T> {
      let run = next;
      for (let i = policies.length - 1; i >= 0; i--) {
        const policy = policies[i]!;
        const inner = run;
        run = (c) => policy.execute(inner, c);
      }
      return run(ctx);
    },
  };
}
