import { TimeoutError } from '../errors/errors.ts';
import { abortErrorOf, errorContextOf } from './call-context.ts';
import type { CallContext, Next, Policy } from './policy.ts';
import { DeadlineQueue, type Expiring } from './deadline-queue.ts';
import { DeadlineSignal } from './deadline-signal.ts';
import { onAbort } from './signal-hub.ts';

/** Timer queues kept for deadline lengths no call uses right now, at most. */
const MAX_IDLE_QUEUES = 16;

/**
 * A signal that never aborts. The upstream hands it to calls that have no caller signal,
 * so the deadline policy knows it need not listen to it.
 */
export const NEVER_SIGNAL: AbortSignal = new AbortController().signal;

/**
 * The total-deadline policy. The upstream sets `ctx.deadline` (absolute, from
 * `timeouts.total`, or from the per-call `overrides.timeout` which replaces it) and
 * `ctx.signal` (the caller's) before the pipeline; this policy holds the call to them:
 *
 * - the inner pipeline gets a new `ctx.signal` that aborts with `TimeoutError('total')` at the
 *   deadline, or with `AbortedError` (its `cause` is the caller's reason) when the caller aborts;
 * - the call rejects at that moment even if the inner pipeline ignores the signal; a result
 *   that arrives too late is released with `ctx.discard`;
 * - the timer and the listener on the caller's signal are removed when the call settles —
 *   or, when `ctx.retain` is set, handed over as `ctx.retain.release` so the deadline and the
 *   caller's signal keep bounding the result's body until its owner releases them. A held
 *   result that nobody touched (`ctx.retain.unused()`) is released quietly at the deadline: it
 *   is no `timeout` event, since the call itself succeeded;
 * - calls with the same deadline length share one unref'd timer (see {@link DeadlineQueue}): a
 *   deadline never keeps the process alive (the request's socket does, while it is busy), and an
 *   idle upstream keeps no timer;
 * - for `upstream.request()` (`ctx.lightSignal`), the inner signal is a {@link DeadlineSignal}
 *   (no `AbortController` per call); `execute()` attempts get a real `AbortSignal`;
 * - `abortAll()` ends every call in flight at once (`close()` past its deadline, `destroy()`).
 */
export class TimeoutPolicy implements Policy {
  readonly name = 'timeout';
  /** The calls in flight (and the results still held), as an intrusive list: joining costs no allocation. */
  #head: DeadlineRace<unknown> | undefined;
  /** One timer queue per deadline length (ms). */
  readonly #queues = new Map<number, DeadlineQueue>();

  execute<T>(next: Next<T>, ctx: CallContext): Promise<T> {
    const refusal = this.refusal(ctx);
    if (refusal !== undefined) return Promise.reject(refusal);
    const race = new DeadlineRace<T>(ctx, this);
    const settled = race.start();
    let running: Promise<T>;
    try {
      running = next(ctx);
    } catch (error) {
      running = Promise.reject(error);
    }
    race.follow(running);
    return settled;
  }

  /**
   * @internal Why a call cannot start at all: its caller's signal already aborted, or its
   * deadline already passed (the error to reject with); undefined when it can.
   */
  refusal(ctx: CallContext): unknown {
    if (ctx.signal.aborted) return abortErrorOf(ctx.signal.reason, ctx);
    if (ctx.deadline <= Date.now()) return totalTimeout(ctx);
    return undefined;
  }

  /**
   * End every call in flight at once, and every result still held (a response body): each
   * rejects with `reasonFor(ctx)` (or its body fails with it), its timer is cleared and its
   * signal aborts, which wakes retry backoffs and frees sockets. For `close()` and `destroy()`.
   */
  abortAll(reasonFor: (ctx: CallContext) => unknown): void {
    // Each abort unlinks the race it ends, so the head moves on.
    while (this.#head !== undefined) this.#head.abortWith(reasonFor);
  }

  /** @internal The shared timer queue of calls whose deadline is `length` ms after their start. */
  queueFor(length: number): DeadlineQueue {
    let queue = this.#queues.get(length);
    if (queue === undefined) {
      // Per-call timeouts can use many lengths: forget idle queues before the map grows.
      if (this.#queues.size >= MAX_IDLE_QUEUES) {
        for (const [key, idle] of this.#queues) if (idle.empty) this.#queues.delete(key);
      }
      queue = new DeadlineQueue();
      this.#queues.set(length, queue);
    }
    return queue;
  }

  /** @internal */
  link(race: DeadlineRace<unknown>): void {
    race.next = this.#head;
    if (this.#head !== undefined) this.#head.prev = race;
    this.#head = race;
  }

  /** @internal */
  unlink(race: DeadlineRace<unknown>): void {
    if (race.prev !== undefined) race.prev.next = race.next;
    else if (this.#head === race) this.#head = race.next;
    if (race.next !== undefined) race.next.prev = race.prev;
    race.prev = race.next = undefined;
  }
}

/** Create the total-deadline policy. */
export function createTimeoutPolicy(): TimeoutPolicy {
  return new TimeoutPolicy();
}

function totalTimeout(ctx: CallContext, quiet = false): TimeoutError {
  if (!quiet) {
    ctx.events.emit('timeout', () => ({ upstream: ctx.upstream, method: ctx.method, url: ctx.url, phase: 'total' }));
  }
  return new TimeoutError('total', ctx.deadline - ctx.startedAt, errorContextOf(ctx));
}

/**
 * One call's deadline: a signal for the inner pipeline (a {@link DeadlineSignal} for
 * `upstream.request()`, an `AbortController`'s for `execute()`), a place in the policy's shared
 * timer queue for its deadline length, at most one listener on the caller's signal, and the
 * race — with no listener of its own: the abort paths settle it.
 *
 * Use: `start()` (the call's promise), then `follow()` a running promise, or settle it with
 * `resolveWith()`/`rejectWith()` directly. A subclass hears the call settle in `settled()`.
 * @internal
 */
export class DeadlineRace<T> implements Expiring {
  /** Neighbours in the policy's list of live races. */
  prev: DeadlineRace<unknown> | undefined;
  next: DeadlineRace<unknown> | undefined;
  /** Place in the timer queue (owned by the queue). */
  queuePrev: Expiring | undefined;
  queueNext: Expiring | undefined;
  queue: DeadlineQueue | undefined;
  readonly expiresAt: number;
  readonly #ctx: CallContext;
  readonly #policy: TimeoutPolicy;
  #light: DeadlineSignal | undefined;
  #controller: AbortController | undefined;
  #offCaller: (() => void) | undefined;
  #settled = false;
  #disposed = false;
  #resolve!: (value: T) => void;
  #reject!: (reason: unknown) => void;

  /** For a call the policy's {@link TimeoutPolicy.refusal} let start. */
  constructor(ctx: CallContext, policy: TimeoutPolicy) {
    this.#ctx = ctx;
    this.#policy = policy;
    this.expiresAt = ctx.deadline;
    policy.link(this as DeadlineRace<unknown>);
    const caller = ctx.signal;
    if (caller !== NEVER_SIGNAL) {
      this.#offCaller = onAbort(caller, () => this.#abort(abortErrorOf(caller.reason, ctx)));
    }
    if (Number.isFinite(ctx.deadline)) policy.queueFor(ctx.deadline - ctx.startedAt).add(this);
  }

  /** The call this race holds to its deadline. */
  get ctx(): CallContext {
    return this.#ctx;
  }

  /** End the call now (or fail its held result) with `reasonFor(ctx)`. */
  abortWith(reasonFor: (ctx: CallContext) => unknown): void {
    if (this.#disposed) {
      this.#policy.unlink(this as DeadlineRace<unknown>);
      return;
    }
    this.#abort(reasonFor(this.#ctx));
  }

  /** Give the call its inner signal; returns the call's promise, which this race settles. */
  start(): Promise<T> {
    const ctx = this.#ctx;
    // The inner pipeline keeps this signal even after the race is lost: any attempt still
    // running then sees it aborted, so no retry starts behind a settled call.
    if (ctx.lightSignal === true) {
      this.#light = new DeadlineSignal();
      ctx.signal = this.#light as unknown as AbortSignal;
    } else {
      this.#controller = new AbortController();
      ctx.signal = this.#controller.signal;
    }
    return new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Settle with `running`'s outcome, unless the deadline or the caller wins first. */
  follow(running: Promise<T>): void {
    running.then(
      (value) => this.resolveWith(value),
      (error: unknown) => this.rejectWith(error),
    );
  }

  /** The deadline passed (the timer queue calls this once). */
  expire(): void {
    // A held result nobody touched (an unread body) is released quietly: the call succeeded.
    const quiet = this.#settled && this.#ctx.retain?.unused?.() === true;
    this.#abort(totalTimeout(this.#ctx, quiet));
  }

  /** The inner pipeline's value: the call's, unless it already settled (then it is discarded). */
  resolveWith(value: T): void {
    if (this.#settled) {
      this.#ctx.discard?.(value);
      return;
    }
    this.#settled = true;
    const retain = this.#ctx.retain;
    if (retain !== undefined) {
      retain.release = () => this.#dispose();
      // With no deadline nothing would ever unlink a held result its owner drops unread: leave
      // the list now (the pool's destroy() still ends its socket) so it can be collected.
      if (this.queue === undefined) this.#policy.unlink(this as DeadlineRace<unknown>);
      retain.hold?.(value);
    } else {
      this.#dispose();
    }
    this.settled(true, value);
    this.#resolve(value);
  }

  /** The inner pipeline's error: the call's, unless it already settled. */
  rejectWith(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#dispose();
    this.settled(false, error);
    this.#reject(error);
  }

  /** Called once, as the call settles (before its promise does): `ok` with its value, or its error. */
  protected settled(_ok: boolean, _outcome: unknown): void {}

  #abort(reason: unknown): void {
    this.#dispose();
    if (this.#light !== undefined) this.#light.abort(reason);
    else this.#controller?.abort(reason);
    if (!this.#settled) {
      this.#settled = true;
      this.settled(false, reason);
      this.#reject(reason);
    }
  }

  #dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#policy.unlink(this as DeadlineRace<unknown>);
    this.queue?.remove(this);
    this.#offCaller?.();
  }
}
