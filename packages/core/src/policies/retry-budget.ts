import { durationIn, knownKeys, numberIn, policyOptions } from '../options/validate.ts';
import { SlidingWindow } from './breaker/sliding-window.ts';
import type { FleetBudgetControl, FleetBudgetView } from './fleet.ts';

/**
 * Options of the per-upstream retry budget (the Finagle/Envoy shape): over a sliding
 * window, retries may not exceed `ratio` × calls plus a small reserve of
 * `minPerSecond` × window seconds.
 */
export interface RetryBudgetOptions {
  /**
   * Fraction of the calls in the window that may be retried.
   * @default 0.2
   */
  ratio?: number;
  /**
   * Length of the sliding window, in ms.
   * @default 10000
   */
  window?: number;
  /**
   * Retries per second always allowed, whatever the traffic (so a quiet upstream can still retry).
   * @default 5
   */
  minPerSecond?: number;
}

/** {@link RetryBudgetOptions} after defaults. */
export type ResolvedRetryBudgetOptions = Readonly<Required<RetryBudgetOptions>>;

/** Defaults of the retry budget. */
export const DEFAULT_RETRY_BUDGET_OPTIONS: ResolvedRetryBudgetOptions = Object.freeze({
  /** 0.2: an outage adds at most ~20 % load from retries (Finagle's default) instead of ×(retries + 1). */
  ratio: 0.2,
  /** 10 s: long enough to smooth bursts, short enough to recover quickly after an outage (Finagle's TTL). */
  window: 10_000,
  /**
   * 5/s (50 per default window): lets a low-traffic upstream retry its rare failures, yet is half
   * of Finagle's 10/s so that a fleet of instances cannot add a large absolute retry load.
   */
  minPerSecond: 5,
});

const KEYS = ['ratio', 'window', 'minPerSecond'] as const;

/** Validate budget options found at `path` (e.g. `retry.budget`); `false` turns the budget off. */
export function resolveRetryBudgetOptions(
  input: unknown,
  path: string,
  base: ResolvedRetryBudgetOptions = DEFAULT_RETRY_BUDGET_OPTIONS,
): ResolvedRetryBudgetOptions | false {
  const options = policyOptions<RetryBudgetOptions>(path, input);
  if (options === false) return false;
  knownKeys(path, options, KEYS);
  return Object.freeze({
    ratio: numberIn(`${path}.ratio`, options.ratio, 0, 10, base.ratio),
    window: durationIn(`${path}.window`, options.window, 100, 600_000, base.window),
    minPerSecond: numberIn(`${path}.minPerSecond`, options.minPerSecond, 0, 100_000, base.minPerSecond),
  });
}

/** Figures of a {@link RetryBudget}, plain JSON. */
export interface RetryBudgetStats {
  ratio: number;
  /** Window length in ms. */
  window: number;
  /** Calls (first attempts) in the window. */
  calls: number;
  /** Retries in the window. */
  retries: number;
  /** Retries still allowed now (this instance's share of the fleet's, when a fleet is in sync). */
  available: number;
  /** Fleet-wide figures as of the last sync; null without a fleet or while it is out of reach. */
  fleet: FleetBudgetView | null;
}

/**
 * A per-upstream retry budget. Each call deposits 1 when its first attempt starts; each
 * retry withdraws 1, allowed while `retries < ratio × calls + minPerSecond × window / 1000`.
 *
 * With a fleet in sync, the same rule holds over the fleet's totals: between two syncs this
 * instance may spend the lease the fleet granted it at the last sync (a share of what the
 * fleet had left), plus `ratio` × its own calls since then. Out of sync, it decides from its
 * local window alone.
 */
export class RetryBudget {
  readonly options: ResolvedRetryBudgetOptions;
  readonly #window: SlidingWindow<'calls' | 'retries'>;
  readonly #reserve: number;
  #fleet: FleetBudgetView | null = null;
  /** Calls and retries not yet taken by the fleet, and those taken but not yet in a view. */
  #pendingCalls = 0;
  #pendingRetries = 0;
  #sentCalls = 0;
  #sentRetries = 0;

  constructor(options: ResolvedRetryBudgetOptions = DEFAULT_RETRY_BUDGET_OPTIONS) {
    this.options = options;
    this.#window = new SlidingWindow(options.window, ['calls', 'retries']);
    this.#reserve = (options.minPerSecond * options.window) / 1000;
  }

  /** A call's first attempt starts. */
  deposit(): void {
    this.#window.add('calls');
    this.#pendingCalls++;
  }

  /** Take one retry from the budget; false (and nothing taken) when it is spent. */
  tryWithdraw(): boolean {
    if (this.#available() <= 0) return false;
    this.#window.add('retries');
    this.#pendingRetries++;
    return true;
  }

  /** The handle a fleet feeds this budget through. */
  fleetControl(): FleetBudgetControl {
    return {
      ratio: this.options.ratio,
      window: this.options.window,
      reserve: this.#reserve,
      take: () => {
        const taken = { calls: this.#pendingCalls, retries: this.#pendingRetries };
        this.#sentCalls += taken.calls;
        this.#sentRetries += taken.retries;
        this.#pendingCalls = 0;
        this.#pendingRetries = 0;
        return taken;
      },
      share: (view) => {
        this.#sentCalls = 0;
        this.#sentRetries = 0;
        this.#fleet = view;
      },
    };
  }

  stats(): RetryBudgetStats {
    const { calls, retries } = this.#window.totals();
    const fleet = this.#fleet === null ? null : { ...this.#fleet };
    return {
      ratio: this.options.ratio,
      window: this.options.window,
      calls,
      retries,
      available: this.#available(),
      fleet,
    };
  }

  #available(): number {
    if (this.#fleet !== null) {
      const calls = this.#pendingCalls + this.#sentCalls;
      const retries = this.#pendingRetries + this.#sentRetries;
      return Math.max(0, Math.floor(this.#fleet.granted + this.options.ratio * calls - retries));
    }
    const { calls, retries } = this.#window.totals();
    return Math.max(0, Math.ceil(this.options.ratio * calls + this.#reserve - retries));
  }
}

/** Create the retry budget of one upstream. */
export function createRetryBudget(options: ResolvedRetryBudgetOptions = DEFAULT_RETRY_BUDGET_OPTIONS): RetryBudget {
  return new RetryBudget(options);
}
