import { OriginRefusedError } from '../errors/origin-refused.ts';
import { createUpstream, type Upstream } from '../upstream/upstream.ts';
import { upstreamOptionsFor, type ResolvedAgentOptions } from './agent-options.ts';

interface Entry {
  readonly upstream: Upstream;
  /** `Date.now()` of the last call routed to it. */
  lastUsed: number;
}

/** Counters of the registry, plain JSON. */
export interface OriginRegistryCounters {
  /** Upstreams ever created. */
  created: number;
  /** Upstreams closed because they sat idle for `originIdleTimeout`, or to make room under `maxOrigins`. */
  evicted: number;
  /** Calls refused: origin not allowed, or `maxOrigins` busy upstreams. */
  refused: number;
}

/**
 * The live per-origin upstreams of an agent, created on first use and bounded: at most
 * `maxOrigins` at once; one unused for `originIdleTimeout` is closed by a sweep (an unref'd
 * timer that runs only while upstreams are live); at the bound, a new origin closes the least
 * recently used upstream that has no call in flight, or is refused when all are busy. Closing
 * is graceful and tracked, so `close()` waits for evicted upstreams too.
 */
export class OriginRegistry {
  readonly #options: ResolvedAgentOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #closing = new Set<Promise<void>>();
  readonly #evicting = new Set<Upstream>();
  readonly #onCreate: (upstream: Upstream, origin: string) => void;
  #sweep: NodeJS.Timeout | undefined;
  #closed = false;
  readonly counters: OriginRegistryCounters = { created: 0, evicted: 0, refused: 0 };

  constructor(options: ResolvedAgentOptions, onCreate: (upstream: Upstream, origin: string) => void) {
    this.#options = options;
    this.#onCreate = onCreate;
  }

  /** Live upstreams, by origin. */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether the agent may call `origin` (normalised). */
  allows(origin: string): boolean {
    const allow = this.#options.allow;
    if (allow === undefined) return true;
    try {
      return allow(origin);
    } catch {
      return false; // a predicate that throws refuses: an SSRF guard fails closed
    }
  }

  /**
   * The upstream of a normalised origin, created when needed. Throws `STEADY_ORIGIN_REFUSED`
   * (nothing resolved or sent) when the origin is not allowed or every slot is busy, and
   * `STEADY_CLOSED` once the agent is closing.
   */
  get(origin: string, method?: string): Upstream {
    const entry = this.#entries.get(origin);
    if (entry !== undefined && entry.upstream.state === 'open') {
      entry.lastUsed = Date.now();
      return entry.upstream;
    }
    if (!this.allows(origin)) {
      this.counters.refused++;
      throw new OriginRefusedError(origin, 'not-allowed', { method, url: origin });
    }
    if (entry !== undefined) this.#entries.delete(origin); // closed by its user: make a new one
    if (this.#entries.size >= this.#options.maxOrigins && !this.#evictOne()) {
      this.counters.refused++;
      throw new OriginRefusedError(
        origin,
        'max-origins',
        { method, url: origin },
        `maxOrigins (${this.#options.maxOrigins}) upstreams are live and every one has calls in flight`,
      );
    }
    return this.#create(origin);
  }

  /** The live upstream of `origin`, without creating one. */
  peek(origin: string): Upstream | undefined {
    const upstream = this.#entries.get(origin)?.upstream;
    return upstream?.state === 'open' ? upstream : undefined;
  }

  /** Every live upstream, by origin. */
  entries(): IterableIterator<[string, { upstream: Upstream }]> {
    return this.#entries.entries();
  }

  /** Close every upstream gracefully (live and evicted ones) and stop the sweep. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopSweep();
    const live = [...this.#entries.values()].map((e) => e.upstream.close());
    this.#entries.clear();
    await Promise.all([...live, ...this.#closing]);
  }

  /** Destroy every upstream at once. */
  async destroy(): Promise<void> {
    this.#closed = true;
    this.#stopSweep();
    const all = [...[...this.#entries.values()].map((e) => e.upstream), ...this.#evicting];
    this.#entries.clear();
    await Promise.all(all.map((u) => u.destroy()));
    await Promise.all([...this.#closing]);
  }

  #create(origin: string): Upstream {
    const upstream = createUpstream(upstreamOptionsFor(this.#options, origin));
    this.counters.created++;
    this.#entries.set(origin, { upstream, lastUsed: Date.now() });
    this.#onCreate(upstream, origin);
    this.#startSweep();
    return upstream;
  }

  /** Close the least recently used upstream with nothing in flight; false when every one is busy. */
  #evictOne(): boolean {
    let victim: [string, Entry] | undefined;
    for (const item of this.#entries) {
      if (item[1].upstream.inFlight > 0) continue;
      if (victim === undefined || item[1].lastUsed < victim[1].lastUsed) victim = item;
    }
    if (victim === undefined) return false;
    this.#evict(victim[0], victim[1].upstream);
    return true;
  }

  #evict(origin: string, upstream: Upstream): void {
    this.#entries.delete(origin);
    this.counters.evicted++;
    this.#evicting.add(upstream);
    const closing = upstream.close().finally(() => {
      this.#closing.delete(closing);
      this.#evicting.delete(upstream);
    });
    this.#closing.add(closing);
    if (this.#entries.size === 0) this.#stopSweep();
  }

  #startSweep(): void {
    if (this.#sweep !== undefined || this.#closed) return;
    const idle = this.#options.originIdleTimeout;
    this.#sweep = setInterval(() => this.#sweepIdle(), Math.max(10, Math.min(idle / 2, 30_000)));
    this.#sweep.unref();
  }

  #stopSweep(): void {
    if (this.#sweep !== undefined) clearInterval(this.#sweep);
    this.#sweep = undefined;
  }

  #sweepIdle(): void {
    const before = Date.now() - this.#options.originIdleTimeout;
    for (const [origin, entry] of this.#entries) {
      if (entry.upstream.state !== 'open') this.#entries.delete(origin);
      else if (entry.lastUsed <= before && entry.upstream.inFlight === 0) this.#evict(origin, entry.upstream);
    }
    if (this.#entries.size === 0) this.#stopSweep();
  }
}
