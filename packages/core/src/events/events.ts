import diagnostics from 'node:diagnostics_channel';
import type { TimeoutPhase } from '../errors/errors.ts';

/** Breaker states. */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

/** Every event an {@link Upstream} emits, with its payload. All payloads are plain JSON. */
export interface UpstreamEvents {
  /** A request failed on a reused keep-alive socket before any response byte and was replayed on a fresh connection. */
  replay: { upstream: string; method: string; url: string; reason: string };
  /** The retry policy will try again after `delay` ms. */
  retry: { upstream: string; method: string; url: string | undefined; attempt: number; delay: number; reason: string };
  /** A retry was wanted but the retry budget is spent: the call fails with its own error. */
  retryBudgetExhausted: { upstream: string; method: string; url: string | undefined; attempt: number; reason: string };
  /** The circuit breaker changed state. */
  breakerStateChange: { upstream: string; from: BreakerState; to: BreakerState; reason: string };
  /** A hedged copy of a slow idempotent request was sent (`attempt` is its attempt number). */
  hedge: { upstream: string; method: string; url: string | undefined; attempt: number; delay: number };
  /** A call was rejected without I/O (breaker open, bulkhead full, closed). */
  rejected: { upstream: string; code: string };
  /** A deadline fired. */
  timeout: { upstream: string; method: string; url: string | undefined; phase: TimeoutPhase };
  /** The pipeline failed and the fallback answered instead. */
  fallback: { upstream: string; method: string; url: string | undefined; code: string | undefined };
  /** `close()` started: no new calls are admitted. */
  closing: { upstream: string; inFlight: number };
  /** Every socket is closed. */
  closed: { upstream: string; drained: boolean };
}

/** Name of an upstream event. */
export type UpstreamEventName = keyof UpstreamEvents;

/** A function that removes the listener it was returned for; also usable with `using`. */
export interface Disposer {
  (): void;
  [Symbol.dispose](): void;
}

type Listener<K extends UpstreamEventName> = (event: UpstreamEvents[K]) => void;

/**
 * Typed events that cost nothing when nobody listens: `emit` checks a count before it
 * builds anything, and every event is also published on the `steady:<name>`
 * diagnostics channel when that channel has subscribers.
 */
export class EventHub {
  #listeners = new Map<UpstreamEventName, Set<(event: never) => void>>();
  static readonly channels = new Map<UpstreamEventName, diagnostics.Channel>();

  on<K extends UpstreamEventName>(name: K, listener: Listener<K>): Disposer {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as (event: never) => void);
    const dispose = (() => {
      set.delete(listener as (event: never) => void);
    }) as Disposer;
    dispose[Symbol.dispose] = dispose;
    return dispose;
  }

  emit<K extends UpstreamEventName>(name: K, build: () => UpstreamEvents[K]): void {
    const set = this.#listeners.get(name);
    const ch = channel(name);
    if ((set === undefined || set.size === 0) && !ch.hasSubscribers) return;
    const event = build();
    if (ch.hasSubscribers) ch.publish(event);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as Listener<K>)(event);
      } catch (error) {
        // A listener must never break a call nor crash the process: report it as a warning.
        process.emitWarning(`steady: a "${name}" listener threw: ${String(error)}`, 'SteadyListenerWarning');
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}

function channel(name: UpstreamEventName): diagnostics.Channel {
  let ch = EventHub.channels.get(name);
  if (ch === undefined) {
    ch = diagnostics.channel(`steady:${name}`);
    EventHub.channels.set(name, ch);
  }
  return ch;
}
