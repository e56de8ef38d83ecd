import { AbortedError } from '../errors/errors.ts';
import type { BulkheadPolicy } from './bulkhead.ts';
import { errorContextOf } from './call-context.ts';
import { LatencyWindow } from './hedge/latency-window.ts';
import {
  checkHedgeFits,
  DEFAULT_HEDGE_OPTIONS,
  percentileOf,
  resolveHedgeOptions,
  type ResolvedHedgeOptions,
} from './hedge-options.ts';
import { DeadlineSignal } from './deadline-signal.ts';
import type { CallContext, Next, Policy } from './policy.ts';
import { RetryBudget } from './retry-budget.ts';
import { onAbort } from './signal-hub.ts';
import { NEVER_SIGNAL } from './timeout.ts';

export {
  checkHedgeFits,
  DEFAULT_HEDGE_OPTIONS,
  resolveHedgeOptions,
  type HedgeDelay,
  type HedgeOptions,
  type ResolvedHedgeOptions,
} from './hedge-options.ts';

/** Figures of a {@link HedgePolicy}, plain JSON. */
export interface HedgeStats {
  /** Copies sent (requests beyond each call's first). */
  sent: number;
  /** Calls answered by a copy rather than by their first request. */
  won: number;
  /**
   * Copies not sent because the retry budget was spent, the bulkhead had no free slot, or as many
   * copies as allowed were in flight already (10 % of the hedged calls in flight, at least 3).
   */
  refused: number;
  /** The upstream's hedge delay now, ms (an adaptive one moves with the latencies); null when hedging is off. */
  delay: number | null;
}

/** What a hedge draws on: the retry budget and the bulkhead of the upstream. */
export interface HedgeDeps {
  /**
   * Each copy withdraws one retry (the retry policy deposits each call); null: the policy keeps a
   * budget of its own, with the default options, into which each call it may hedge deposits.
   */
  readonly budget: RetryBudget | null;
  /** Each copy needs a free slot (it never queues); null when the upstream has no bulkhead. */
  readonly bulkhead: BulkheadPolicy | null;
}

/**
 * Hedged requests (the shape of .NET's hedging handler, Envoy's and gRPC's hedging policy):
 * when the first request of an idempotent call with a replayable body has had no response
 * `delay` after it was written to a socket, a copy is sent, up to `maxHedges` copies, each
 * `delay` after the previous one was written; the first response wins, and every other request
 * is aborted (a late response has its body dumped), so no socket or listener outlives the call.
 *
 * Time a request spends waiting for a socket (a full pool, a TCP/TLS handshake) is the client's,
 * not the upstream's: it does not count towards the delay (a copy would wait too, and on
 * HTTP/1.1 each hedge's aborted loser costs a connection, so hedging handshakes would feed
 * itself), and it is not sampled. An attempt that does not report its socket (an `execute()`
 * attempt function) counts from its start.
 *
 * Placement: retry → **hedge** → breaker → attempt. Only a call's first round is hedged, and
 * each copy takes the next attempt number, so a retry after a hedged round starts from there:
 * hedges and retries draw from one count and never multiply. Each copy is charged to the retry
 * budget, needs a free bulkhead slot and room among the copies in flight (10 % of the hedged
 * calls in flight, at least 3: a burst of waiting calls is not hedged all at once); an aborted
 * loser is an `AbortedError`, which the breaker ignores. An error is not a response: the round
 * fails only when every request it sent failed (with the first error), and a failure before the
 * delay is not hedged (that is retry's job).
 */
export class HedgePolicy implements Policy {
  readonly name = 'hedge';
  readonly options: ResolvedHedgeOptions | false;
  readonly #budget: RetryBudget;
  /** The budget is the policy's own (the upstream has none): each hedged call deposits into it. */
  readonly #ownBudget: boolean;
  readonly #bulkhead: BulkheadPolicy | null;
  readonly #latencies = new LatencyWindow(DEFAULT_HEDGE_OPTIONS.window);
  readonly #overrides = new WeakMap<object, ResolvedHedgeOptions>();
  #sent = 0;
  #won = 0;
  #refused = 0;
  /** Hedged rounds (calls) in flight, and copies in flight. */
  #rounds = 0;
  #copies = 0;

  constructor(options: ResolvedHedgeOptions | false, deps: HedgeDeps) {
    this.options = options;
    this.#budget = deps.budget ?? new RetryBudget();
    this.#ownBudget = deps.budget === null;
    this.#bulkhead = deps.bulkhead;
  }

  execute<T>(next: Next<T>, ctx: CallContext): Promise<T> {
    let options: ResolvedHedgeOptions | false;
    try {
      options = this.#optionsFor(ctx);
    } catch (error) {
      return Promise.reject(error);
    }
    if (options === false || ctx.attempt !== 0 || !ctx.idempotent || !ctx.replayable || ctx.signal.aborted) {
      return next(ctx);
    }
    // A shared budget is fed by the retry policy; an own one by the calls it hedges.
    if (this.#ownBudget) this.#budget.deposit();
    return new HedgedRound<T>(this, next, ctx, options, this.delayOf(options)).run();
  }

  /** The delay before the next copy, ms: fixed, or the percentile of recent latencies within the floor and cap. */
  delayOf(options: ResolvedHedgeOptions): number {
    const p = percentileOf(options.delay);
    if (p === undefined) return options.delay as number;
    const { minDelay, maxDelay, minSamples } = DEFAULT_HEDGE_OPTIONS;
    if (this.#latencies.size < minSamples) return maxDelay;
    return Math.min(maxDelay, Math.max(minDelay, this.#latencies.percentile(p)!));
  }

  stats(): HedgeStats {
    return {
      sent: this.#sent,
      won: this.#won,
      refused: this.#refused,
      delay: this.options === false ? null : this.delayOf(this.options),
    };
  }

  /**
   * @internal A request of a hedged round answered `ms` after it was written to a socket.
   * Requests aborted because another answered first are not sampled: the window holds the
   * latencies of answers, so a rare slow tail that hedging cuts does not drag the delay up to itself.
   */
  sample(ms: number): void {
    this.#latencies.add(ms);
  }

  /** @internal A copy answered first. */
  won(): void {
    this.#won++;
  }

  /** @internal A hedged round starts (+1) or settles (-1). */
  round(delta: 1 | -1): void {
    this.#rounds += delta;
  }

  /**
   * @internal Take what one copy costs: room among the copies in flight, a bulkhead slot (unless
   * the call bypasses it) and one retry from the budget. Returns whether a slot was taken, or null
   * (nothing taken) when refused. A copy that was admitted must end with {@link copyDone}.
   */
  admit(ctx: CallContext): { slot: boolean } | null {
    const { maxInFlightRatio, minInFlight } = DEFAULT_HEDGE_OPTIONS;
    if (this.#copies >= Math.max(minInFlight, Math.ceil(maxInFlightRatio * this.#rounds))) {
      this.#refused++;
      return null;
    }
    const slot = this.#bulkhead !== null && ctx.overrides.bulkhead !== false;
    if (slot && !this.#bulkhead!.tryAcquire()) {
      this.#refused++;
      return null;
    }
    if (!this.#budget.tryWithdraw()) {
      if (slot) this.#bulkhead!.release();
      this.#refused++;
      return null;
    }
    this.#sent++;
    this.#copies++;
    return { slot };
  }

  /** @internal A copy settled: give back its place among the copies in flight, and its bulkhead slot. */
  copyDone(slot: boolean): void {
    this.#copies--;
    if (slot) this.#bulkhead?.release();
  }

  #optionsFor(ctx: CallContext): ResolvedHedgeOptions | false {
    const override = ctx.overrides.hedge;
    if (override === undefined) return this.options;
    if (override === false) return false;
    let resolved = this.#overrides.get(override);
    if (resolved === undefined) {
      resolved = resolveHedgeOptions(override, 'overrides.hedge', Infinity) as ResolvedHedgeOptions;
      this.#overrides.set(override, resolved);
    }
    const total = ctx.deadline - ctx.startedAt;
    if (Number.isFinite(total)) checkHedgeFits(resolved, 'overrides.hedge', total, 'timeout');
    return resolved;
  }
}

/** The signal of one request of a hedged round, and how to abort it alone. */
interface LegSignal {
  readonly signal: AbortSignal;
  abort(reason: unknown): void;
}

/** One request of a hedged round. */
interface Leg {
  readonly index: number;
  readonly controller: LegSignal;
  readonly started: number;
  /** Its own context: `socketAt` says when its request was written. */
  readonly ctx: CallContext;
  /** Unsubscribes from the call's signal. */
  off: (() => void) | undefined;
  slot: boolean;
  done: boolean;
}

/** One hedged round: the first request, the timer for the next copy, and the race. */
class HedgedRound<T> {
  readonly #policy: HedgePolicy;
  readonly #next: Next<T>;
  readonly #ctx: CallContext;
  readonly #options: ResolvedHedgeOptions;
  readonly #delay: number;
  readonly #legs: Leg[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #settled = false;
  #firstError: { error: unknown } | undefined;
  #resolve!: (value: T) => void;
  #reject!: (reason: unknown) => void;

  constructor(policy: HedgePolicy, next: Next<T>, ctx: CallContext, options: ResolvedHedgeOptions, delay: number) {
    this.#policy = policy;
    this.#next = next;
    this.#ctx = ctx;
    this.#options = options;
    this.#delay = delay;
  }

  run(): Promise<T> {
    this.#policy.round(1);
    return new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      this.#launch(false);
      if (!this.#settled) this.#timer = setTimeout(this.#hedge, this.#delay);
    });
  }

  #launch(slot: boolean): void {
    const parent = this.#ctx;
    const controller = legSignal(parent);
    const leg: Leg = {
      index: this.#legs.length,
      controller,
      started: Date.now(),
      ctx: forkContext(parent, controller.signal, parent.attempt),
      off: undefined,
      slot,
      done: false,
    };
    this.#legs.push(leg);
    leg.off = follow(parent.signal, controller);
    let running: Promise<T>;
    try {
      running = this.#next(leg.ctx);
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (value) => this.#onValue(leg, value),
      (error: unknown) => this.#onError(leg, error),
    );
  }

  /**
   * The timer fired: if the latest request was written `delay` ago, send one more copy (when
   * the call, the budget and the bulkhead allow); if it was written later, wait for the rest;
   * if it still waits for a socket, look again one delay later.
   */
  readonly #hedge = (): void => {
    this.#timer = undefined;
    const ctx = this.#ctx;
    const now = Date.now();
    if (this.#settled || ctx.signal.aborted || now >= ctx.deadline) return;
    const sent = sentAt(this.#legs[this.#legs.length - 1]!);
    if (sent === undefined || now - sent < this.#delay) {
      this.#timer = setTimeout(this.#hedge, sent === undefined ? this.#delay : sent + this.#delay - now);
      return;
    }
    const admitted = this.#policy.admit(ctx);
    if (admitted === null) return;
    ctx.attempt++;
    const attempt = ctx.attempt;
    const delay = this.#delay;
    ctx.events.emit('hedge', () => ({ upstream: ctx.upstream, method: ctx.method, url: ctx.url, attempt, delay }));
    this.#launch(admitted.slot);
    if (!this.#settled && this.#legs.length <= this.#options.maxHedges) {
      this.#timer = setTimeout(this.#hedge, this.#delay);
    }
  };

  #finish(leg: Leg): void {
    leg.done = true;
    if (leg.index > 0) this.#policy.copyDone(leg.slot);
  }

  #onValue(leg: Leg, value: T): void {
    this.#finish(leg);
    this.#policy.sample(Date.now() - (sentAt(leg) ?? leg.started));
    if (this.#settled) {
      // A loser answered after the winner: release it, the caller never sees it.
      leg.off?.();
      this.#ctx.discard?.(value);
      return;
    }
    this.#settled = true;
    this.#policy.round(-1);
    this.#stopTimer();
    if (leg.index > 0) this.#policy.won();
    // The winner stays bound to the call's signal: its body streams under the call's deadline.
    this.#cancelOthers(leg);
    this.#resolve(value);
  }

  #onError(leg: Leg, error: unknown): void {
    this.#finish(leg);
    leg.off?.();
    if (this.#settled) return;
    this.#firstError ??= { error };
    if (this.#legs.some((l) => !l.done)) return;
    // Every request sent so far failed: a failure is not hedged, it is retry's to judge.
    this.#settled = true;
    this.#policy.round(-1);
    this.#stopTimer();
    this.#reject(this.#firstError.error);
  }

  #cancelOthers(winner: Leg): void {
    for (const leg of this.#legs) {
      if (leg === winner || leg.done) continue;
      leg.off?.();
      leg.controller.abort(new AbortedError(errorContextOf(this.#ctx), 'a hedged request answered first'));
    }
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * A signal of its own for one request: a {@link DeadlineSignal} for `upstream.request()`'s
 * attempts (`lightSignal`: it only goes to undici and the policies), else a real `AbortSignal`.
 */
function legSignal(ctx: CallContext): LegSignal {
  if (ctx.lightSignal === true) {
    const light = new DeadlineSignal();
    return { signal: light as unknown as AbortSignal, abort: (reason) => light.abort(reason) };
  }
  return new AbortController();
}

/**
 * Abort `leg` when the call's `signal` aborts; returns how to stop. The signal is the deadline
 * policy's, one per call: a {@link DeadlineSignal} takes the listener in a field; a real
 * `AbortSignal` (maybe shared by many calls, without that policy) goes through the signal hub.
 */
function follow(signal: AbortSignal, leg: LegSignal): (() => void) | undefined {
  if (signal === NEVER_SIGNAL) return undefined;
  const listener = (): void => leg.abort(signal.reason);
  if (signal instanceof DeadlineSignal) {
    signal.addEventListener('abort', listener);
    return () => signal.removeEventListener('abort', listener);
  }
  return onAbort(signal, listener);
}

/**
 * When `leg`'s request was written to a socket; its start when its attempt does not report it
 * (`socketAt` undefined); undefined while it still waits for a socket.
 */
function sentAt(leg: Leg): number | undefined {
  const at = leg.ctx.socketAt;
  if (at === undefined) return leg.started;
  return at > 0 ? at : undefined;
}

/**
 * The context of one request of a hedged round: the call's, with its own signal (so a loser
 * can be cancelled alone) and attempt number. A context that knows how to fork (the upstream's)
 * does; a plain object is copied.
 */
function forkContext(ctx: CallContext, signal: AbortSignal, attempt: number): CallContext {
  if (ctx.fork !== undefined) return ctx.fork(signal, attempt);
  return { ...ctx, signal, attempt };
}

/** Create the hedge policy of one upstream. */
export function createHedgePolicy(
  options: ResolvedHedgeOptions | false,
  deps: HedgeDeps = { budget: null, bulkhead: null },
): HedgePolicy {
  return new HedgePolicy(options, deps);
}
