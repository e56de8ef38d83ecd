/**
 * Counter bookkeeping for the fault server: connections, requests, bodies,
 * per-path and per-request-id tallies, and the open-socket high-water mark.
 */
import type { FaultCounters } from './types.ts';

/** Mutable counters with a JSON snapshot. */
export class CounterSet {
  connections = 0;
  requests = 0;
  bodiesReceived = 0;
  maxConcurrentSockets = 0;
  #byPath = new Map<string, number>();
  #attempts = new Map<string, number>();

  /** Record an accepted socket, given how many are open now (including it). */
  socketOpened(open: number): void {
    this.connections++;
    if (open > this.maxConcurrentSockets) this.maxConcurrentSockets = open;
  }

  /** Record a request for `pathname`, optionally carrying an `x-request-id`. */
  requestSeen(pathname: string, requestId: string | undefined): void {
    this.requests++;
    this.#byPath.set(pathname, (this.#byPath.get(pathname) ?? 0) + 1);
    if (requestId !== undefined) this.#attempts.set(requestId, (this.#attempts.get(requestId) ?? 0) + 1);
  }

  /** How many requests carried this `x-request-id`. */
  attempts(requestId: string): number {
    return this.#attempts.get(requestId) ?? 0;
  }

  /** Zero everything; the high-water mark restarts from the sockets open now. */
  reset(openNow: number): void {
    this.connections = 0;
    this.requests = 0;
    this.bodiesReceived = 0;
    this.maxConcurrentSockets = openNow;
    this.#byPath.clear();
    this.#attempts.clear();
  }

  /** A plain JSON snapshot. */
  snapshot(): FaultCounters {
    return {
      connections: this.connections,
      requests: this.requests,
      bodiesReceived: this.bodiesReceived,
      byPath: Object.fromEntries(this.#byPath),
      maxConcurrentSockets: this.maxConcurrentSockets,
    };
  }
}
