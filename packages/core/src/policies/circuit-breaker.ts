import {
  CircuitOpenError,
  isAbortedError,
  isBulkheadFullError,
  isCircuitOpenError,
  isClosedError,
  isConnectionRefused,
  isInvalidRequestError,
  isNetworkError,
  isResponseTooLargeError,
  isTimeoutError,
  isTlsError,
} from '../errors/errors.ts';
import { withoutStack } from '../errors/steady-error.ts';
import { isRefusedStream } from '../http/refused-stream.ts';
import type { BreakerState } from '../events/events.ts';
import type { ResolvedCircuitBreakerOptions } from './breaker/breaker-options.ts';
import { SlidingWindow } from './breaker/sliding-window.ts';
import type { PolicyDeps } from './call-context.ts';
import type { FleetBreakerControl, FleetMembership } from './fleet.ts';
import type { CallContext, Next, Policy, ResultInfo } from './policy.ts';

export {
  DEFAULT_CIRCUIT_BREAKER_OPTIONS,
  DEFAULT_SLOW_CALL_OPTIONS,
  isDefaultBreakerFailure,
  resolveCircuitBreakerOptions,
  type BreakerFailurePredicate,
  type CircuitBreakerOptions,
  type ResolvedCircuitBreakerOptions,
  type SlowCallOptions,
} from './breaker/breaker-options.ts';

/** Figures of a {@link CircuitBreakerPolicy}, plain JSON. */
export interface CircuitBreakerStats {
  state: BreakerState;
  /** Failed calls in the window. */
  failures: number;
  /** Counted calls (failed or not) in the window. */
  calls: number;
  /** Slow calls in the window (0 unless `slowCall` is on). */
  slowCalls: number;
  /** `failures / calls`, 0 with no calls. */
  failureRate: number;
  consecutiveFailures: number;
  /** `Date.now()`-based end of the open period; null unless open. */
  openedUntil: number | null;
  /** Ms until a probe is admitted: 0 unless open; null when isolated (until `reset()`). */
  retryAfter: number | null;
}

type Verdict = 'failure' | 'success' | 'ignore';

/**
 * @internal What the breaker noted when it admitted an attempt, to judge its outcome by: the
 * state's generation, whether it is a half-open probe, and when it started.
 */
export class BreakerAdmission {
  generation = 0;
  probe = false;
  started = 0;
}

/**
 * A per-upstream circuit breaker: closed → open (failure rate over a sliding window with a
 * minimum of calls, slow-call rate, or — when turned on — consecutive failures) → half-open after
 * `openFor` (admits `halfOpenProbes` concurrent probes) → closed when all succeed, or open again
 * when one fails: with `openFor` doubled (up to `maxOpenFor`) when the probe reached the upstream,
 * with the base `openFor` when its connection was refused. `isolate()` holds it open until `reset()`.
 * Open-state transitions happen lazily, on the next call or read: no timer is kept.
 */
export class CircuitBreakerPolicy implements Policy {
  readonly name = 'breaker';
  readonly options: ResolvedCircuitBreakerOptions;
  readonly #deps: PolicyDeps;
  readonly #window: SlidingWindow<'calls' | 'failures' | 'slow'>;
  #state: BreakerState = 'closed';
  /** Bumped on every transition: outcomes of calls admitted under an older state are not counted. */
  #generation = 0;
  #consecutive = 0;
  #openFor: number;
  #openedUntil = 0;
  #probes = 0;
  #probeSuccesses = 0;
  /** The fleet this breaker shares its openings with (`createUpstream({ fleet })`), if any. */
  #fleet: FleetMembership | null = null;

  constructor(options: ResolvedCircuitBreakerOptions, deps: PolicyDeps) {
    this.options = options;
    this.#deps = deps;
    this.#openFor = options.openFor;
    this.#window = new SlidingWindow(options.window, ['calls', 'failures', 'slow']);
  }

  /** The current state (an elapsed open period turns into half-open on read). */
  get state(): BreakerState {
    this.#refresh();
    return this.#state;
  }

  /**
   * True while the breaker refuses every call outright (open or isolated); false when a call
   * may run (closed, or half-open: the probe rules apply in {@link execute}). The upstream asks
   * before its pipeline and rejects with {@link rejection}, so a refused call costs no bulkhead
   * slot, deadline or retry bookkeeping.
   */
  get refusing(): boolean {
    this.#refresh();
    return this.#state === 'open' || this.#state === 'isolated';
  }

  /** The error of a refused call, with its `rejected` event emitted. */
  rejection(ctx: Pick<CallContext, 'upstream' | 'method' | 'url' | 'events'>): CircuitOpenError {
    ctx.events.emit('rejected', () => ({ upstream: ctx.upstream, code: 'STEADY_CIRCUIT_OPEN' }));
    return withoutStack(CircuitOpenError, this.#retryAfter() ?? Infinity, {
      upstream: ctx.upstream,
      method: ctx.method,
      url: ctx.url,
    });
  }

  execute<T>(next: Next<T>, ctx: CallContext): Promise<T> {
    if (ctx.overrides.breaker === false) return next(ctx);
    const admission = new BreakerAdmission();
    const refusal = this.admit(ctx, admission);
    if (refusal !== undefined) return Promise.reject(refusal);
    let running: Promise<T>;
    try {
      running = next(ctx);
    } catch (error) {
      running = Promise.reject(error);
    }
    return running.then(
      (result) => {
        this.recordResult(admission, ctx, result);
        return result;
      },
      (error: unknown) => {
        this.recordError(admission, ctx, error);
        throw error;
      },
    );
  }

  /**
   * @internal Admit one attempt: the `CircuitOpenError` to fail it with (open, isolated, or
   * half-open with its probes taken), or undefined with `admission` filled in for
   * {@link recordResult} / {@link recordError}.
   */
  admit(ctx: CallContext, admission: BreakerAdmission): CircuitOpenError | undefined {
    if (this.refusing) return this.rejection(ctx);
    const probe = this.#state === 'half-open';
    if (probe && (this.#probes >= this.options.halfOpenProbes || (this.#fleet !== null && !this.#fleet.tryProbe()))) {
      return this.rejection(ctx);
    }
    admission.generation = this.#generation;
    admission.probe = probe;
    if (probe) this.#probes++;
    admission.started = Date.now();
    return undefined;
  }

  /** @internal An admitted attempt resolved with `result` (judged by its status). */
  recordResult(admission: BreakerAdmission, ctx: CallContext, result: unknown): void {
    this.#record(
      admission.generation,
      admission.probe,
      this.#verdict(undefined, ctx.classify?.(result)),
      latencyOf(ctx, admission.started),
    );
  }

  /** @internal An admitted attempt failed with `error`. */
  recordError(admission: BreakerAdmission, ctx: CallContext, error: unknown): void {
    const latency = latencyOf(ctx, admission.started);
    this.#record(
      admission.generation,
      admission.probe,
      this.#verdict(error, undefined, ctx, latency),
      latency,
      isConnectionRefused(error),
    );
  }

  /** Hold the breaker open (every call rejected) until {@link reset}; fleet-wide when the upstream has a fleet. */
  isolate(): void {
    if (this.#state !== 'isolated') this.#transition('isolated', 'isolated by hand');
    this.#fleet?.isolated();
  }

  /** Close the breaker and forget its history, whatever its state; fleet-wide when the upstream has a fleet. */
  reset(): void {
    this.#forget('reset by hand');
    this.#fleet?.reset();
  }

  /** Share openings, probes, isolation and resets with a fleet (called once by the upstream). */
  attachFleet(fleet: FleetMembership): void {
    this.#fleet = fleet;
  }

  /** The handle a fleet drives this breaker through; its transitions are not published back. */
  fleetControl(): FleetBreakerControl {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const breaker = this;
    return {
      get state() {
        return breaker.state;
      },
      get openFor() {
        return breaker.#openFor;
      },
      halfOpenProbes: this.options.halfOpenProbes,
      open: (until, reason) => {
        this.#refresh();
        const idle = this.#state === 'closed' || (this.#state === 'half-open' && this.#probes === 0);
        if (!idle || until <= Date.now()) return;
        this.#openedUntil = until;
        this.#transition('open', reason);
      },
      close: (reason) => this.#forget(reason),
      isolate: (reason) => {
        if (this.#state !== 'isolated') this.#transition('isolated', reason);
      },
    };
  }

  #forget(reason: string): void {
    this.#openFor = this.options.openFor;
    this.#consecutive = 0;
    this.#window.clear();
    if (this.#state !== 'closed') this.#transition('closed', reason);
  }

  stats(): CircuitBreakerStats {
    this.#refresh();
    const { calls, failures, slow } = this.#window.totals();
    return {
      state: this.#state,
      failures,
      calls,
      slowCalls: slow,
      failureRate: calls === 0 ? 0 : failures / calls,
      consecutiveFailures: this.#consecutive,
      openedUntil: this.#state === 'open' ? this.#openedUntil : null,
      retryAfter: this.#retryAfter(),
    };
  }

  #verdict(error: unknown, result: ResultInfo | undefined, ctx?: CallContext, latency = 0): Verdict {
    if (error !== undefined && neverReachedUpstream(error)) return 'ignore';
    if (ctx !== undefined && isTimeoutError(error) && error.phase === 'total') {
      // The attempt never got a socket: the time went to client-side queueing (every local
      // socket busy, e.g. with unread bodies), which says nothing about the upstream.
      if (ctx.socketAt === 0) return 'ignore';
      // It held the socket (or, not observed, ran) for less than half the deadline: most of the
      // time went to queueing or backoff, not to waiting for the upstream.
      if (Number.isFinite(ctx.deadline) && latency < (ctx.deadline - ctx.startedAt) / 2) return 'ignore';
    }
    return this.options.isFailure(error, result) ? 'failure' : 'success';
  }

  /** `refused`: the attempt's connection was refused (see {@link isConnectionRefused}). */
  #record(generation: number, probe: boolean, verdict: Verdict, latency: number, refused = false): void {
    if (generation !== this.#generation) return;
    const slowCall = this.options.slowCall;
    const slow = slowCall !== false && verdict !== 'ignore' && latency >= slowCall.threshold;
    if (probe) {
      this.#probes--;
      if (verdict === 'ignore') return;
      if (verdict === 'failure' && refused) {
        // Nothing listens on the port: the upstream is (re)starting. The probe cost it nothing,
        // and it may listen again any moment: probe again after the base `openFor`.
        this.#openFor = this.options.openFor;
        this.#open('half-open probe refused (connection refused)', true);
      } else if (verdict === 'failure' || slow) {
        this.#openFor = Math.min(this.options.maxOpenFor, this.#openFor * 2);
        this.#open(verdict === 'failure' ? 'half-open probe failed' : 'half-open probe was slow', true);
      } else if (
        ++this.#probeSuccesses >= this.options.halfOpenProbes ||
        // With a fleet, probes are shared: every probe this instance was granted succeeded.
        (this.#fleet?.connected === true && this.#probes === 0)
      ) {
        this.#forget('half-open probes succeeded');
        this.#fleet?.closed();
      }
      return;
    }
    if (verdict === 'ignore' || this.#state !== 'closed') return;
    this.#window.add('calls');
    if (slow) this.#window.add('slow');
    if (verdict === 'failure') {
      this.#window.add('failures');
      this.#consecutive++;
    } else {
      this.#consecutive = 0;
    }
    const { consecutiveFailures, minimumCalls, failureRate } = this.options;
    if (consecutiveFailures > 0 && this.#consecutive >= consecutiveFailures) {
      return this.#open(`${this.#consecutive} consecutive failures`);
    }
    const totals = this.#window.totals();
    if (totals.calls < minimumCalls) return;
    if (totals.failures > 0 && totals.failures / totals.calls >= failureRate) {
      return this.#open(`failure rate ${percent(totals.failures, totals.calls)} over ${totals.calls} calls`);
    }
    if (slowCall !== false && totals.slow > 0 && totals.slow / totals.calls >= slowCall.rate) {
      this.#open(`slow call rate ${percent(totals.slow, totals.calls)} over ${totals.calls} calls`);
    }
  }

  #open(reason: string, probeFailed = false): void {
    this.#openedUntil = Date.now() + this.#openFor;
    this.#transition('open', reason);
    this.#fleet?.opened(this.#openFor, probeFailed);
  }

  #refresh(): void {
    if (this.#state === 'open' && Date.now() >= this.#openedUntil) {
      this.#transition('half-open', `open for ${this.#openFor} ms`);
    }
  }

  #retryAfter(): number | null {
    if (this.#state === 'isolated') return null;
    return this.#state === 'open' ? Math.max(0, this.#openedUntil - Date.now()) : 0;
  }

  #transition(to: BreakerState, reason: string): void {
    const from = this.#state;
    this.#state = to;
    this.#generation++;
    this.#probes = 0;
    this.#probeSuccesses = 0;
    const upstream = this.#deps.upstream;
    this.#deps.events.emit('breakerStateChange', () => ({ upstream, from, to, reason }));
  }
}

/** How long the attempt held a socket (from when it got one, when observed), in ms. */
function latencyOf(ctx: CallContext, started: number): number {
  const socketAt = ctx.socketAt;
  return Date.now() - (socketAt !== undefined && socketAt > started ? socketAt : started);
}

/**
 * Errors raised before any byte went to the upstream, by the caller, or by the client's own
 * configuration (a certificate that does not verify, a body over `maxResponseSize`): they say
 * nothing about the upstream's health.
 */
function neverReachedUpstream(error: unknown): boolean {
  return (
    isTlsError(error) ||
    isResponseTooLargeError(error) ||
    isAbortedError(error) ||
    isCircuitOpenError(error) ||
    isBulkheadFullError(error) ||
    isClosedError(error) ||
    isInvalidRequestError(error) ||
    (isTimeoutError(error) && error.phase === 'queue') ||
    // An HTTP/2 stream refused by a GOAWAY (a graceful restart) or REFUSED_STREAM: never processed.
    (isNetworkError(error) && error.delivery === 'not-sent' && isRefusedStream(error.cause))
  );
}

function percent(part: number, whole: number): string {
  return `${Math.round((part / whole) * 100)}%`;
}

/** Create the circuit breaker of one upstream. */
export function createCircuitBreakerPolicy(
  options: ResolvedCircuitBreakerOptions,
  deps: PolicyDeps,
): CircuitBreakerPolicy {
  return new CircuitBreakerPolicy(options, deps);
}
