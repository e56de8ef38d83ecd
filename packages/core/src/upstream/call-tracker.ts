import type { TimeoutPhase } from '../errors/errors.ts';

/** Call counters of an upstream, plain JSON. */
export interface CallCounters {
  requests: number;
  succeeded: number;
  failed: number;
  /** Stale-socket replays (no backoff, not counted as retries). */
  replays: number;
  /** Calls refused because the upstream is closing or closed. */
  rejected: number;
  timeouts: Record<TimeoutPhase, number>;
}

/**
 * Counts calls in flight and their outcomes, and tells `close()` when in-flight calls
 * have drained. No timer runs unless a drain is waiting.
 */
export class CallTracker {
  readonly counters: CallCounters = {
    requests: 0,
    succeeded: 0,
    failed: 0,
    replays: 0,
    rejected: 0,
    timeouts: { connect: 0, headers: 0, body: 0, total: 0, queue: 0 },
  };
  #inFlight = 0;
  #waiters: Array<() => void> = [];

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Count a call's start; the caller settles it exactly once with `succeeded()` or `failed()`. */
  start(): void {
    this.counters.requests++;
    this.#inFlight++;
  }

  succeeded(): void {
    this.counters.succeeded++;
    this.#settle();
  }

  failed(phase?: TimeoutPhase): void {
    this.counters.failed++;
    if (phase !== undefined) this.counters.timeouts[phase]++;
    this.#settle();
  }

  #settle(): void {
    this.#inFlight--;
    if (this.#inFlight === 0 && this.#waiters.length > 0) for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves true when no call is in flight, or false after `timeout` ms. */
  drain(timeout: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        resolve(false);
      }, timeout);
      this.#waiters.push(wake);
    });
  }
}
