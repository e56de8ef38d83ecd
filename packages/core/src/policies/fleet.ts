/**
 * The fleet interface: how an upstream's circuit breaker and retry budget share signals with
 * the other instances of a service (e.g. `@steady/redis`'s `redisFleet()`). Core imports no
 * store: a fleet is any object with a {@link Fleet.join} method.
 *
 * The rule every implementation keeps: **nothing on a call's path waits for the fleet.** The
 * policies call the membership's methods synchronously and read values it cached; the fleet
 * talks to its store in the background and pushes what it learns through the controls below.
 */
import { InvalidOptionError } from '../errors/errors.ts';
import type { BreakerState } from '../events/events.ts';

/** A fleet shared by the instances of a service. Pass one as `createUpstream({ fleet })`. */
export interface Fleet {
  /** Attach one upstream; called once, by `createUpstream()`. */
  join(member: FleetMember): FleetMembership;
}

/** What an upstream hands to {@link Fleet.join}. */
export interface FleetMember {
  /** The upstream's name: instances share state per name. */
  readonly upstream: string;
  /** The breaker, for the fleet to drive; null when the upstream has none. */
  readonly breaker: FleetBreakerControl | null;
  /** The retry budget, for the fleet to feed; null when the upstream has none. */
  readonly budget: FleetBudgetControl | null;
}

/**
 * The breaker as the fleet sees it. Transitions made through these methods are the fleet's:
 * they are not published back to it.
 */
export interface FleetBreakerControl {
  readonly state: BreakerState;
  /** The open period the breaker would use now (`openFor`, doubled by failed probes). */
  readonly openFor: number;
  readonly halfOpenProbes: number;
  /** Open until `until` (`Date.now()`-based): a quorum of the fleet is open. Ignored unless closed or half-open with no probe running. */
  open(until: number, reason: string): void;
  /** Close and forget the window: a probe succeeded elsewhere, or the fleet was reset. */
  close(reason: string): void;
  /** Hold open until reset: the fleet was isolated. */
  isolate(reason: string): void;
}

/** Fleet-wide budget figures, as of the fleet's last sync. */
export interface FleetBudgetView {
  /** Calls (first attempts) in the fleet's window, every instance included. */
  readonly calls: number;
  /** Retries in the fleet's window. */
  readonly retries: number;
  /** Live instances sharing the budget (at least 1). */
  readonly instances: number;
  /**
   * Retries this instance may make until the next sync: its lease of what the fleet had left
   * (the fleet counts a lease as spent until the next sync returns what was not used).
   */
  readonly granted: number;
}

/** The retry budget as the fleet sees it. */
export interface FleetBudgetControl {
  readonly ratio: number;
  /** Window length, ms. */
  readonly window: number;
  /** Retries always allowed per window, fleet-wide (`minPerSecond × window / 1000`). */
  readonly reserve: number;
  /** Calls and retries counted since the last `take()` (they are in flight until `share()`). */
  take(): { calls: number; retries: number };
  /** The fleet's totals after a sync (which included the last `take()`), or null: decide locally. */
  share(view: FleetBudgetView | null): void;
}

/** One upstream's link to the fleet. Every method returns at once; none does I/O on the caller's path. */
export interface FleetMembership {
  /** The breaker opened on its own observations for `openFor` ms (`probeFailed`: a half-open probe failed). */
  opened(openFor: number, probeFailed: boolean): void;
  /** The breaker closed because its half-open probes succeeded. */
  closed(): void;
  /** `breaker.isolate()` was called by hand. */
  isolated(): void;
  /** `breaker.reset()` was called by hand. */
  reset(): void;
  /**
   * Half-open: may this instance send one more probe? True when it holds one of the fleet's
   * `halfOpenProbes` tokens (it is then spent), or when the fleet is not reachable (local rules).
   */
  tryProbe(): boolean;
  /** Whether the fleet's view is current (the last sync is at most one flush period old). */
  readonly connected: boolean;
  /** Plain JSON for `upstream.stats().fleet`. */
  stats(): FleetStats;
  /** The upstream closes: stop sharing (best effort, never throws). */
  leave(): void;
}

/** `upstream.stats().fleet`: plain JSON. */
export interface FleetStats {
  /** The fleet's view is current: decisions use fleet-wide figures. */
  connected: boolean;
  /** Live instances seen for this upstream at the last sync (this one included). */
  instances: number;
  /** Ms since the last successful sync; null before the first. */
  lastSyncAgeMs: number | null;
  /** Implementation-specific figures (plain JSON). */
  [key: string]: unknown;
}

/** Validate the `fleet` option: undefined or an object with a `join()` method. */
export function resolveFleet(path: string, value: unknown): Fleet | false {
  if (value === undefined || value === false) return false;
  if (typeof value !== 'object' || value === null || typeof (value as Fleet).join !== 'function') {
    throw new InvalidOptionError(path, 'a fleet (an object with a join() method, e.g. redisFleet({ redis }))', value);
  }
  return value as Fleet;
}
