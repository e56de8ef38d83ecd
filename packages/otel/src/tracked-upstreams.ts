import type { Attributes } from '@opentelemetry/api';
import type { Disposer, Upstream } from '@steady/core';
import { OutcomeAttributes, methodAttribute, sortedAttributes, upstreamAttributes } from './attributes.ts';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_STEADY_EVENT, type SteadyEventName } from './semconv.ts';

/** One upstream the instrumentation watches, with its attributes built once. */
export class TrackedUpstream {
  readonly upstream: Upstream;
  /** Name, host, port, scheme. */
  readonly base: Readonly<Attributes>;
  /** Base + method + status + error type, cached. */
  readonly outcomes: OutcomeAttributes;
  /** Calls in flight by method (`http.client.active_requests`); a method seen once stays, at 0. */
  readonly active = new Map<string, { count: number }>();
  /** Listeners to remove when the instrumentation shuts down. */
  readonly disposers: Disposer[] = [];
  readonly #requests = new Map<string, Attributes>();
  readonly #events = new Map<string, Attributes>();

  constructor(upstream: Upstream) {
    this.upstream = upstream;
    this.base = upstreamAttributes(upstream);
    this.outcomes = new OutcomeAttributes(this.base);
  }

  /** A call started. */
  callStarted(method: string): void {
    const active = this.active.get(method);
    if (active !== undefined) active.count++;
    else this.active.set(method, { count: 1 });
  }

  /** A call counted by {@link callStarted} settled. */
  callEnded(method: string): void {
    const active = this.active.get(method);
    if (active !== undefined) active.count--;
  }

  /** Base + `http.request.method`. */
  request(method: string): Attributes {
    let found = this.#requests.get(method);
    if (found === undefined) {
      found = sortedAttributes({ ...this.base, [ATTR_HTTP_REQUEST_METHOD]: methodAttribute(method) });
      if (this.#requests.size < 64) this.#requests.set(method, found);
    }
    return found;
  }

  /** Base + `steady.event` (+ bounded extras such as `error.type` or `steady.timeout.phase`). */
  eventAttributes(name: SteadyEventName, extra?: Attributes): Attributes {
    if (extra !== undefined) return sortedAttributes({ ...this.base, [ATTR_STEADY_EVENT]: name, ...extra });
    let found = this.#events.get(name);
    if (found === undefined) {
      found = sortedAttributes({ ...this.base, [ATTR_STEADY_EVENT]: name });
      this.#events.set(name, found);
    }
    return found;
  }
}

/**
 * The upstreams being watched, held weakly: an upstream dropped without `close()` can still
 * be garbage-collected.
 */
export class TrackedUpstreams {
  readonly #refs = new Set<WeakRef<Upstream>>();
  readonly #tracked = new WeakMap<Upstream, { tracked: TrackedUpstream; ref: WeakRef<Upstream> }>();
  readonly #onAdd: (tracked: TrackedUpstream) => void;

  /** `onAdd` runs once per upstream, when it is first seen. */
  constructor(onAdd: (tracked: TrackedUpstream) => void) {
    this.#onAdd = onAdd;
  }

  /** The tracked entry of `upstream`, created (and announced) on first sight; undefined once it is closed. */
  get(upstream: Upstream): TrackedUpstream | undefined {
    const found = this.#tracked.get(upstream);
    if (found !== undefined) return found.tracked;
    if (upstream.state === 'closed') return undefined;
    const tracked = new TrackedUpstream(upstream);
    const ref = new WeakRef(upstream);
    this.#tracked.set(upstream, { tracked, ref });
    this.#refs.add(ref);
    this.#onAdd(tracked);
    return tracked;
  }

  /** Stop watching `upstream` (it closed). */
  delete(upstream: Upstream): void {
    const found = this.#tracked.get(upstream);
    if (found === undefined) return;
    this.#refs.delete(found.ref);
    this.#tracked.delete(upstream);
    for (const dispose of found.tracked.disposers.splice(0)) dispose();
  }

  /** Every watched upstream still alive. */
  *[Symbol.iterator](): Iterator<TrackedUpstream> {
    for (const ref of this.#refs) {
      const upstream = ref.deref();
      if (upstream === undefined) {
        this.#refs.delete(ref);
        continue;
      }
      const found = this.#tracked.get(upstream);
      if (found !== undefined) yield found.tracked;
    }
  }

  /** Forget every upstream and remove every listener. */
  clear(): void {
    for (const tracked of [...this]) this.delete(tracked.upstream);
    this.#refs.clear();
  }
}
