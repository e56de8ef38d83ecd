import type { EventHub } from '../events/events.ts';
import type { RetryCallOptions } from './retry-options.ts';
import type { HedgeOptions } from './hedge-options.ts';

/** What a policy can learn about an attempt's result (an HTTP response) without owning it. */
export interface ResultInfo {
  /** HTTP status code. */
  status: number;
  /** Reads a response header (lower-case name), e.g. `retry-after`. */
  header?: (name: string) => string | undefined;
}

/** Per-call policy overrides. `false` turns a policy off for this call. */
export interface PolicyOverrides {
  retry?: false | RetryCallOptions;
  breaker?: false;
  bulkhead?: false;
  /** Total deadline for this call in ms (replaces `timeouts.total`). */
  timeout?: number;
  /** `false` turns hedging off for this call; an object hedges it with these options. */
  hedge?: false | HedgeOptions;
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
  /**
   * When the running attempt's request was written to a socket (`Date.now()`), 0 while it still
   * waits for one (client-side queueing), undefined when the attempt is not observed (an
   * `execute()` attempt function). The breaker never blames the upstream for time before it.
   */
  readonly socketAt?: number | undefined;
  /**
   * Set by a caller that keeps using the result after the call settles (a response body):
   * the deadline policy then leaves the deadline and the caller's signal in force and puts
   * the function that ends them in `release`, for the caller to call when done.
   */
  readonly retain?: RetainedResult;
  /**
   * Set by `upstream.request()`, whose attempt hands `signal` only to undici: the deadline policy
   * may then give the inner policies a `DeadlineSignal` (the members of an `AbortSignal` that
   * undici and the policies use, with no `AbortController` per call). Unset: a real `AbortSignal`,
   * since an `execute()` attempt may pass it to anything (e.g. `fetch`).
   */
  readonly lightSignal?: boolean;
  /**
   * The same call with its own signal and attempt number, for one request of a hedged round
   * (so a losing request can be aborted alone). Absent: the hedge policy copies the object.
   */
  fork?(signal: AbortSignal, attempt: number): CallContext;
}

/**
 * A result its owner keeps using after the call settled (a response body). The deadline policy
 * puts the function that ends the deadline in `release`; `unused()` says whether the result was
 * never touched, so its expiry at the deadline is a quiet release, not a timeout.
 */
export interface RetainedResult {
  release: (() => void) | undefined;
  unused?(): boolean;
  /**
   * Called by the deadline policy once `release` is set, with the result the call resolves
   * with: start holding it (e.g. call `release` when the body closes).
   */
  hold?(result: unknown): void;
}

/** The function a policy wraps: the rest of the pipeline. */
export type Next<T> = (ctx: CallContext) => Promise<T>;

/** One resilience policy. `execute` runs `next` (the inner pipeline) under the policy. */
export interface Policy {
  readonly name: string;
  execute<T>(next: Next<T>, ctx: CallContext): Promise<T>;
}

/**
 * Compose policies, outermost first: `compose(a, b, c).execute(fn)` runs `a(b(c(fn)))`.
 * The chain of stages is built once; a call allocates nothing to walk it.
 */
export function compose(...policies: Policy[]): Policy {
  // Each composition keeps the call's innermost function under its own key, so nested
  // compositions never see each other's.
  const terminal = Symbol('compose.terminal');
  type Carrier = CallContext & { [terminal]?: Next<unknown> };
  const stages: Array<Next<unknown>> = new Array(policies.length + 1);
  stages[policies.length] = (c) => (c as Carrier)[terminal]!(c);
  for (let i = policies.length - 1; i >= 0; i--) {
    const policy = policies[i]!;
    const inner = stages[i + 1]!;
    stages[i] = (c) => policy.execute(inner, c);
  }
  const first = stages[0]!;
  return {
    name: policies.map((p) => p.name).join(' → '),
    execute<T>(next: Next<T>, ctx: CallContext): Promise<T> {
      (ctx as Carrier)[terminal] = next as Next<unknown>;
      return first(ctx) as Promise<T>;
    },
  };
}
