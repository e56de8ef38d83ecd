import type { BulkheadPolicy } from './bulkhead.ts';
import type { CircuitBreakerPolicy } from './circuit-breaker.ts';
import type { HedgePolicy } from './hedge.ts';
import type { CallContext, Next, Policy } from './policy.ts';
import type { ResolvedRetryOptions } from './retry-options.ts';
import type { Outcome, RetryPolicy } from './retry.ts';
import { DeadlineRace, type TimeoutPolicy } from './timeout.ts';

/** What the fused path needs from the upstream around its attempts. */
export interface CallHooks {
  /** One attempt with its errors typed: the end of the composed pipeline (retries, hedges). */
  readonly attempt: Next<unknown>;
  /** A call's first attempt; its errors are typed with {@link typed}. */
  readonly first: Next<unknown>;
  /** An attempt's error as a typed Steady error. */
  readonly typed: (error: unknown, ctx: CallContext) => unknown;
  /** The call settled: with its value when `ok`, else with its error. */
  readonly settled: (ok: boolean, outcome: unknown) => void;
}

/** The policies of one upstream, as the fused path uses them. */
export interface FusedParts {
  readonly timeout: TimeoutPolicy;
  readonly retry: RetryPolicy | null;
  readonly hedge: HedgePolicy;
  readonly breaker: CircuitBreakerPolicy | null;
  readonly bulkhead: BulkheadPolicy | null;
  /** hedge → breaker: what the retry loop runs each later attempt through. */
  readonly inner: Policy;
}

/**
 * The composed pipeline (bulkhead → total deadline → retry → hedge → breaker → attempt) as one
 * object per call, for the common case: no hedging, a free bulkhead slot, no fallback. The same
 * policies decide, through the same methods (`TimeoutPolicy.refusal`, `RetryPolicy.enter` and
 * `retryAfter`, `CircuitBreakerPolicy.admit` and `record*`, `BulkheadPolicy.tryAcquire`), but the
 * first attempt's promise has one reaction instead of one per policy, and the call's own promise
 * is the deadline's. A call that needs a retry continues in the retry policy's own loop, whose
 * later attempts take the composed hedge → breaker path.
 */
export class FusedPipeline {
  readonly parts: FusedParts;
  readonly hooks: CallHooks;
  /** A later attempt of a retried call: hedge → breaker → the typed attempt. */
  readonly next: Next<unknown>;

  constructor(parts: FusedParts, hooks: CallHooks) {
    this.parts = parts;
    this.hooks = hooks;
    const inner = parts.inner;
    this.next = (ctx) => inner.execute(hooks.attempt, ctx);
  }

  /**
   * Run the call fused, or return undefined (having changed nothing) when it needs the composed
   * pipeline: it may be hedged, or it would wait for a bulkhead slot.
   */
  tryRun(ctx: CallContext): Promise<unknown> | undefined {
    const parts = this.parts;
    const hedge = ctx.overrides.hedge;
    if (parts.hedge.options !== false || (hedge !== undefined && hedge !== false)) return undefined;
    const bulkhead = parts.bulkhead !== null && ctx.overrides.bulkhead !== false ? parts.bulkhead : null;
    if (bulkhead !== null && !bulkhead.tryAcquire()) return undefined;
    const refusal = parts.timeout.refusal(ctx);
    if (refusal !== undefined) {
      bulkhead?.release();
      this.hooks.settled(false, refusal);
      return Promise.reject(refusal);
    }
    return new FusedCall(ctx, this, bulkhead).begin();
  }
}

/**
 * One fused call: its deadline race, its breaker admission and its first attempt's outcome (in
 * the shape the retry policy reads), in one object.
 */
class FusedCall extends DeadlineRace<unknown> {
  // The breaker's admission (see BreakerAdmission).
  generation = 0;
  probe = false;
  started = 0;
  // The first attempt's outcome (see Outcome).
  ok = false;
  value: unknown = undefined;
  error: unknown = undefined;
  readonly #pipeline: FusedPipeline;
  readonly #bulkhead: BulkheadPolicy | null;
  #retry: ResolvedRetryOptions | false = false;
  /** The breaker that admitted the first attempt, to judge its outcome; null when none did. */
  #breaker: CircuitBreakerPolicy | null = null;

  constructor(ctx: CallContext, pipeline: FusedPipeline, bulkhead: BulkheadPolicy | null) {
    super(ctx, pipeline.parts.timeout);
    this.#pipeline = pipeline;
    this.#bulkhead = bulkhead;
  }

  begin(): Promise<unknown> {
    const settled = this.start();
    const ctx = this.ctx;
    const parts = this.#pipeline.parts;
    try {
      this.#retry = parts.retry === null ? false : parts.retry.enter(ctx);
    } catch (error) {
      this.rejectWith(error);
      return settled;
    }
    const breaker = parts.breaker;
    if (breaker !== null && ctx.overrides.breaker !== false) {
      const refusal = breaker.admit(ctx, this);
      if (refusal !== undefined) {
        this.#decide(false, refusal);
        return settled;
      }
      this.#breaker = breaker;
    }
    let running: Promise<unknown>;
    try {
      running = this.#pipeline.hooks.first(ctx);
    } catch (error) {
      this.#attemptFailed(error);
      return settled;
    }
    running.then(
      (value) => this.#attemptSucceeded(value),
      (error: unknown) => this.#attemptFailed(error),
    );
    return settled;
  }

  #attemptSucceeded(value: unknown): void {
    this.#breaker?.recordResult(this, this.ctx, value);
    this.#decide(true, value);
  }

  #attemptFailed(raw: unknown): void {
    const error = this.#pipeline.hooks.typed(raw, this.ctx);
    this.#breaker?.recordError(this, this.ctx, error);
    this.#decide(false, error);
  }

  /** The first attempt's outcome: final, or handed to the retry policy's loop. */
  #decide(ok: boolean, outcome: unknown): void {
    const options = this.#retry;
    if (options !== false) {
      this.ok = ok;
      if (ok) this.value = outcome;
      else this.error = outcome;
      const pipeline = this.#pipeline;
      const more = pipeline.parts.retry!.retryAfter(
        pipeline.next,
        this.ctx,
        options,
        this as unknown as Outcome<unknown>,
      );
      if (more !== undefined) {
        this.follow(more);
        return;
      }
    }
    if (ok) this.resolveWith(outcome);
    else this.rejectWith(outcome);
  }

  protected override settled(ok: boolean, outcome: unknown): void {
    this.#bulkhead?.release();
    this.#pipeline.hooks.settled(ok, outcome);
  }
}
