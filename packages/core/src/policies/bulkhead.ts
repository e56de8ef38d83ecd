import { BulkheadFullError, TimeoutError } from '../errors/errors.ts';
import { withoutStack } from '../errors/steady-error.ts';
import { integerIn, knownKeys, policyOptions } from '../options/validate.ts';
import { abortErrorOf, errorContextOf } from './call-context.ts';
import type { CallContext, Next, Policy } from './policy.ts';
import { onAbort } from './signal-hub.ts';
import { NEVER_SIGNAL } from './timeout.ts';

/** Options of the bulkhead: a bound on concurrent calls and on calls waiting for a slot. */
export interface BulkheadOptions {
  /**
   * Calls running at once.
   * @default the pool's `connections` × 8
   */
  maxConcurrent?: number;
  /**
   * Calls waiting (FIFO) for a slot; one more fails at once with `BulkheadFullError`.
   * @default `connections` × 100
   */
  maxQueued?: number;
}

/** {@link BulkheadOptions} after defaults. */
export type ResolvedBulkheadOptions = Readonly<Required<BulkheadOptions>>;

/**
 * Defaults of the bulkhead, per pooled connection: the limits scale with the pool's
 * `connections` (see {@link defaultBulkheadOptions}).
 */
export const DEFAULT_BULKHEAD_OPTIONS = Object.freeze({
  /**
   * 8: running calls beyond the sockets wait in undici's own queue, so a freed socket takes
   * its next request at once instead of idling while a hand-off crosses the policies
   * (measured with 1: 0.79× raw undici at 64 in flight; with 2: 0.56×; with 8: 0.65–0.90×).
   * The pool still caps sockets at `connections`, and the total deadline bounds every wait.
   */
  maxConcurrentPerConnection: 8,
  /**
   * 100: a burst of 100 calls per socket waits in memory (a few KB each: ~4 MB for a pool of
   * 10); the total deadline, not the queue length, bounds how long they wait. Past it,
   * overflow fails fast with `STEADY_BULKHEAD_FULL` instead of growing the heap.
   */
  maxQueuedPerConnection: 100,
});

/** The bulkhead's default limits for a pool of `connections` sockets. */
export function defaultBulkheadOptions(connections: number): ResolvedBulkheadOptions {
  const n = Math.max(1, Math.floor(connections));
  return Object.freeze({
    maxConcurrent: n * DEFAULT_BULKHEAD_OPTIONS.maxConcurrentPerConnection,
    maxQueued: n * DEFAULT_BULKHEAD_OPTIONS.maxQueuedPerConnection,
  });
}

/** Validate bulkhead options found at `path` (e.g. `bulkhead`); `false` turns the bulkhead off. */
export function resolveBulkheadOptions(
  input: unknown,
  path: string,
  connections: number,
): ResolvedBulkheadOptions | false {
  const options = policyOptions<BulkheadOptions>(path, input);
  if (options === false) return false;
  knownKeys(path, options, ['maxConcurrent', 'maxQueued']);
  const d = defaultBulkheadOptions(connections);
  return Object.freeze({
    maxConcurrent: integerIn(`${path}.maxConcurrent`, options.maxConcurrent, 1, 100_000, d.maxConcurrent),
    maxQueued: integerIn(`${path}.maxQueued`, options.maxQueued, 0, 10_000_000, d.maxQueued),
  });
}

/** Figures of a {@link BulkheadPolicy}, plain JSON. */
export interface BulkheadStats {
  running: number;
  queued: number;
  maxConcurrent: number;
  maxQueued: number;
  /** Calls refused because running and queue were full. */
  rejected: number;
}

interface Waiter {
  readonly ctx: CallContext;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  off: (() => void) | undefined;
}

/**
 * Bounds concurrent calls; the overflow waits in a FIFO queue, bounded too, and beyond it
 * calls fail at once. A queued call leaves when its deadline passes (`TimeoutError` 'queue')
 * or its signal aborts. Every slot is released exactly once when its call settles.
 */
export class BulkheadPolicy implements Policy {
  readonly name = 'bulkhead';
  readonly options: ResolvedBulkheadOptions;
  #running = 0;
  #rejected = 0;
  readonly #queue = new Set<Waiter>();
  #drains: Array<() => void> = [];
  /** One timer for the whole queue, armed for the earliest deadline of a waiter. */
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;

  constructor(options: ResolvedBulkheadOptions) {
    this.options = options;
  }

  execute<T>(next: Next<T>, ctx: CallContext): Promise<T> {
    if (ctx.overrides.bulkhead === false) return next(ctx);
    if (this.#running < this.options.maxConcurrent) {
      this.#running++;
      return this.#run(next, ctx);
    }
    if (this.#queue.size < this.options.maxQueued) {
      return this.#wait(ctx).then(() => this.#run(next, ctx));
    }
    this.#rejected++;
    ctx.events.emit('rejected', () => ({ upstream: ctx.upstream, code: 'STEADY_BULKHEAD_FULL' }));
    return Promise.reject(
      withoutStack(BulkheadFullError, this.options.maxConcurrent, this.options.maxQueued, errorContextOf(ctx)),
    );
  }

  /** Run holding a slot; the slot is released exactly once when the call settles. */
  #run<T>(next: Next<T>, ctx: CallContext): Promise<T> {
    let running: Promise<T>;
    try {
      running = next(ctx);
    } catch (error) {
      this.#release();
      return Promise.reject(error);
    }
    return running.then(this.#releaseWith as (value: T) => T, this.#releaseThrow);
  }

  readonly #releaseWith = (value: unknown): unknown => {
    this.#release();
    return value;
  };

  readonly #releaseThrow = (error: unknown): never => {
    this.#release();
    throw error;
  };

  /**
   * Take a slot without waiting (a hedged copy asks): false when every slot is taken or calls
   * are already waiting, so a copy never overtakes a queued call. Give it back with {@link release}.
   */
  tryAcquire(): boolean {
    if (this.#running >= this.options.maxConcurrent || this.#queue.size > 0) return false;
    this.#running++;
    return true;
  }

  /** Give back a slot taken with {@link tryAcquire}. */
  release(): void {
    this.#release();
  }

  /**
   * Every waiting call leaves the queue at once, rejected with `reasonFor(ctx)`; the queue's
   * timer is cleared. Running calls keep their slots. For `close()` and `destroy()`.
   */
  rejectQueued(reasonFor: (ctx: CallContext) => unknown): void {
    for (const waiter of [...this.#queue]) this.#leave(waiter, reasonFor(waiter.ctx));
  }

  /** Resolves once no call runs and none waits. New calls are still admitted: stop them first. */
  drain(): Promise<void> {
    if (this.#running === 0 && this.#queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drains.push(resolve));
  }

  stats(): BulkheadStats {
    return {
      running: this.#running,
      queued: this.#queue.size,
      maxConcurrent: this.options.maxConcurrent,
      maxQueued: this.options.maxQueued,
      rejected: this.#rejected,
    };
  }

  /** Wait in the queue; resolves holding a slot (already counted in `#running`). */
  #wait(ctx: CallContext): Promise<void> {
    const signal = ctx.signal;
    if (signal.aborted) return Promise.reject(abortErrorOf(signal.reason, ctx));
    if (Date.now() >= ctx.deadline) return Promise.reject(this.#queueTimeout(ctx));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { ctx, resolve, reject, off: undefined };
      this.#queue.add(waiter);
      if (signal !== NEVER_SIGNAL) {
        waiter.off = onAbort(signal, () => this.#leave(waiter, abortErrorOf(signal.reason, ctx)));
      }
      if (ctx.deadline < this.#timerAt) this.#arm(ctx.deadline);
    });
  }

  /** A waiter leaves the queue without a slot. */
  #leave(waiter: Waiter, error: unknown): void {
    if (!this.#queue.delete(waiter)) return;
    waiter.off?.();
    if (this.#queue.size === 0) this.#arm(Infinity);
    waiter.reject(error);
    this.#checkDrained();
  }

  #arm(at: number): void {
    clearTimeout(this.#timer);
    this.#timerAt = at;
    // A deadline timer never keeps the process alive (unref'd); the sockets of running calls do.
    this.#timer = at === Infinity ? undefined : setTimeout(this.#expire, Math.max(0, at - Date.now())).unref();
  }

  /** The queue's timer fired: every waiter past its deadline leaves; re-arm for the next one. */
  readonly #expire = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const waiter of this.#queue) {
      if (waiter.ctx.deadline <= now) this.#leave(waiter, this.#queueTimeout(waiter.ctx));
      else if (waiter.ctx.deadline < next) next = waiter.ctx.deadline;
    }
    if (next !== Infinity) this.#arm(next);
  };

  #queueTimeout(ctx: CallContext): TimeoutError {
    ctx.events.emit('timeout', () => ({ upstream: ctx.upstream, method: ctx.method, url: ctx.url, phase: 'queue' }));
    return new TimeoutError('queue', ctx.deadline - ctx.startedAt, errorContextOf(ctx));
  }

  /** Give the slot of a settled call to the oldest waiter, or free it. */
  #release(): void {
    const first = this.#queue.values().next();
    if (first.done === true) {
      this.#running--;
      this.#checkDrained();
    } else {
      const waiter = first.value;
      this.#queue.delete(waiter);
      waiter.off?.();
      if (this.#queue.size === 0) this.#arm(Infinity);
      waiter.resolve();
    }
  }

  #checkDrained(): void {
    if (this.#running !== 0 || this.#queue.size !== 0 || this.#drains.length === 0) return;
    const drains = this.#drains;
    this.#drains = [];
    for (const resolve of drains) resolve();
  }
}

/** Create the bulkhead of one upstream. */
export function createBulkheadPolicy(options: ResolvedBulkheadOptions): BulkheadPolicy {
  return new BulkheadPolicy(options);
}
