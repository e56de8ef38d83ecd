import type { Dispatcher } from 'undici';
import { ClosedError } from '../errors/errors.ts';
import type { Disposer, UpstreamEventName, UpstreamEvents } from '../events/events.ts';
import type { UpstreamStats } from '../upstream/stats.ts';
import type { UpstreamRequestOptions, UpstreamResponse } from '../upstream/types.ts';
import type { WholeResponse } from '../http/whole-body.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { resolveAgentOptions, type AgentOptions, type ResolvedAgentOptions } from './agent-options.ts';
import { AgentDispatcher } from './agent-dispatcher.ts';
import { createRoutedFetch, type SteadyFetch } from './fetch.ts';
import { OriginRegistry, type OriginRegistryCounters } from './origin-registry.ts';
import { originOption, targetUrl } from './origin.ts';

/** An upstream event as the agent reports it: the upstream's payload plus its origin. */
export type AgentEvents = { [K in UpstreamEventName]: UpstreamEvents[K] & { origin: string } };

/** `agent.stats()`: per origin, plus totals. Plain JSON. */
export interface AgentStats {
  state: 'open' | 'closing' | 'closed';
  /** Live upstreams (at most `maxOrigins`). */
  liveOrigins: number;
  maxOrigins: number;
  /** Upstreams created, evicted (idle or to make room), and calls refused (`STEADY_ORIGIN_REFUSED`). */
  registry: OriginRegistryCounters;
  totals: {
    inFlight: number;
    requests: number;
    succeeded: number;
    failed: number;
    retries: number;
    replays: number;
    socketsOpen: number;
  };
  /** Each live upstream's stats, by origin. */
  origins: Record<string, UpstreamStats>;
}

type Listener = (event: never) => void;

/**
 * Every origin a service calls, through Steady: each call is routed by its URL's origin to
 * a per-origin {@link Upstream} (own pool, retry budget, breaker, bulkhead), created on first
 * use from `defaults` merged with `origins[origin]`. Create with {@link createAgent}.
 */
export class Agent {
  /** An undici `Dispatcher` that routes by origin onto the tuned pools (no policies; `allowOrigins`/`maxOrigins` apply). */
  readonly dispatcher: Dispatcher;
  /** A WHATWG `fetch` on the agent's pools and policies; hand it to any library that takes a `fetch`. */
  readonly fetch: SteadyFetch;
  readonly #options: ResolvedAgentOptions;
  readonly #registry: OriginRegistry;
  readonly #listeners = new Map<UpstreamEventName, Set<Listener>>();
  #closing: Promise<void> | undefined;
  #closed = false;

  constructor(options: AgentOptions = {}) {
    this.#options = resolveAgentOptions(options);
    this.#registry = new OriginRegistry(this.#options, (upstream, origin) => this.#attach(upstream, origin));
    this.dispatcher = new AgentDispatcher(this.#registry);
    this.fetch = createRoutedFetch({
      route: (url, method) => this.#route(url.origin, method),
      crossOrigin: true,
    });
  }

  /** `open`, `closing` or `closed`. */
  get state(): 'open' | 'closing' | 'closed' {
    return this.#closed ? 'closed' : this.#closing ? 'closing' : 'open';
  }

  /**
   * Send a request to an absolute `url` with every policy of its origin's upstream applied
   * (the options of `upstream.request()`). Nothing is resolved or sent for a relative URL, a
   * scheme other than http(s), credentials in the URL (`STEADY_INVALID_REQUEST`) or a refused
   * origin (`STEADY_ORIGIN_REFUSED`).
   */
  request(
    url: string | URL,
    options?: UpstreamRequestOptions & { wholeBody?: false | undefined },
  ): Promise<UpstreamResponse>;
  request(url: string | URL, options: UpstreamRequestOptions): Promise<UpstreamResponse | WholeResponse>;
  request(url: string | URL, options: UpstreamRequestOptions = {}): Promise<UpstreamResponse | WholeResponse> {
    const method = (options.method ?? 'GET').toUpperCase();
    let upstream: Upstream;
    let target: URL;
    try {
      target = targetUrl(url, method);
      upstream = this.#route(target.origin, method);
    } catch (error) {
      return Promise.reject(error);
    }
    return upstream.request(target.pathname + target.search, options);
  }

  /**
   * The upstream an absolute URL routes to (what adapters call per hop). Throws
   * `STEADY_INVALID_REQUEST` (relative URL, other scheme, credentials), `STEADY_ORIGIN_REFUSED`
   * or `STEADY_CLOSED`, before anything is resolved or sent.
   */
  route(url: string | URL, method = 'GET'): Upstream {
    return this.#route(targetUrl(url, method).origin, method);
  }

  /**
   * The upstream of an origin (normalised: `https://A.example:443` is `https://a.example`),
   * created when needed. Throws `STEADY_INVALID_OPTION` for a value that is not an origin,
   * `STEADY_ORIGIN_REFUSED` for a refused one.
   */
  upstream(origin: string | URL): Upstream {
    return this.#route(originOption('origin', origin), undefined);
  }

  /** Stats of every live upstream, by origin, plus totals. */
  stats(): AgentStats {
    const origins: Record<string, UpstreamStats> = {};
    const totals = { inFlight: 0, requests: 0, succeeded: 0, failed: 0, retries: 0, replays: 0, socketsOpen: 0 };
    for (const [origin, { upstream }] of this.#registry.entries()) {
      const s = upstream.stats();
      origins[origin] = s;
      totals.inFlight += s.inFlight;
      totals.requests += s.calls.requests;
      totals.succeeded += s.calls.succeeded;
      totals.failed += s.calls.failed;
      totals.replays += s.calls.replays;
      totals.retries += s.retry?.retries ?? 0;
      totals.socketsOpen += s.pool.socketsOpen;
    }
    return {
      state: this.state,
      liveOrigins: this.#registry.size,
      maxOrigins: this.#options.maxOrigins,
      registry: { ...this.#registry.counters },
      totals,
      origins,
    };
  }

  /** Listen to an event of every upstream, present and future; the payload carries `origin`. Returns a disposer. */
  on<K extends UpstreamEventName>(event: K, listener: (event: AgentEvents[K]) => void): Disposer {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
      for (const [origin, { upstream }] of this.#registry.entries()) this.#forward(upstream, origin, event);
    }
    set.add(listener as Listener);
    const dispose = (() => {
      set.delete(listener as Listener);
    }) as Disposer;
    dispose[Symbol.dispose] = dispose;
    return dispose;
  }

  /**
   * Graceful close of every upstream (each drains its in-flight calls up to its `closeTimeout`);
   * new calls fail with `STEADY_CLOSED`. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#registry.close().then(() => this.#finish());
    return this.#closing;
  }

  /** Immediate close: in-flight calls fail, sockets are destroyed. */
  async destroy(): Promise<void> {
    this.#closing ??= Promise.resolve();
    await this.#registry.destroy();
    this.#finish();
  }

  #finish(): void {
    this.#closed = true;
    this.#listeners.clear();
  }

  #route(origin: string, method: string | undefined): Upstream {
    if (this.#closing !== undefined) throw new ClosedError({ upstream: 'agent', method, url: origin });
    return this.#registry.get(origin, method);
  }

  #attach(upstream: Upstream, origin: string): void {
    for (const event of this.#listeners.keys()) this.#forward(upstream, origin, event);
  }

  #forward(upstream: Upstream, origin: string, event: UpstreamEventName): void {
    upstream.on(event, (payload) => {
      const set = this.#listeners.get(event);
      if (set === undefined || set.size === 0) return;
      const withOrigin = { ...payload, origin };
      for (const listener of set) {
        try {
          (listener as (e: unknown) => void)(withOrigin);
        } catch (error) {
          process.emitWarning(`steady: an agent "${event}" listener threw: ${String(error)}`, 'SteadyListenerWarning');
        }
      }
    });
  }
}

/**
 * Create an {@link Agent}: every origin a service calls, each on its own lazily created
 * upstream. Options are validated here, once; a bad one throws `STEADY_INVALID_OPTION` naming
 * its path (`defaults.retry.retries`, `origins['https://x'].pool.proxy`, `maxOrigins`, …).
 *
 * @example
 * const agent = createAgent({ defaults: { timeouts: { total: 3_000 } }, origins: { 'https://payments.internal': { retry: false } } });
 * const res = await agent.request('https://payments.internal/v1/charges/42');
 * const r = await agent.fetch('https://api.example.com/v1/users', { headers: { accept: 'application/json' } });
 * await agent.close();
 */
export function createAgent(options?: AgentOptions): Agent {
  return new Agent(options);
}

/**
 * `createAgent(options).fetch`, for any library that takes a `fetch` (ky, openapi-fetch, SDKs).
 * The agent behind it is reachable as `fetch.agent` (for `stats()` and `close()`).
 */
export function createFetch(options?: AgentOptions): SteadyFetch & { readonly agent: Agent } {
  const agent = createAgent(options);
  Object.defineProperty(agent.fetch, 'agent', { value: agent, enumerable: true });
  return agent.fetch as SteadyFetch & { readonly agent: Agent };
}
