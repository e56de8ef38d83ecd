import type { OnApplicationShutdown } from '@nestjs/common';
import {
  createAgent,
  createUpstream,
  InvalidOptionError,
  type Agent,
  type AgentOptions,
  type Upstream,
} from '@steady/core';
import { prefixOptionError, upstreamPath } from './option-errors.ts';
import { resolveModuleOptions, type DeclaredUpstreams, type UpstreamEntry } from './resolve-module-options.ts';

/**
 * Every upstream of one `SteadyModule`, by name. Injectable (`constructor(upstreams: SteadyUpstreams)`)
 * for code that picks an upstream at runtime; the module closes them all on application shutdown.
 */
export class SteadyUpstreams implements OnApplicationShutdown, Iterable<Upstream> {
  readonly #entries: ReadonlyMap<string, { upstream: Upstream; entry: UpstreamEntry }>;
  /** The module's agent (`@InjectAgent()`): every origin called by absolute URL; closed with the upstreams. */
  readonly agent: Agent;

  /** Use {@link SteadyUpstreams.create}. */
  private constructor(entries: ReadonlyMap<string, { upstream: Upstream; entry: UpstreamEntry }>, agent: Agent) {
    this.#entries = entries;
    this.agent = agent;
  }

  /**
   * Validate the module options and create one upstream per name. On a bad option,
   * the upstreams already created are destroyed and an `InvalidOptionError` naming
   * the full path (`upstreams.payments.retry.retries`) is thrown.
   */
  static create(options: unknown, declared: DeclaredUpstreams): SteadyUpstreams {
    const entries = resolveModuleOptions(options, declared);
    const created = new Map<string, { upstream: Upstream; entry: UpstreamEntry }>();
    for (const entry of entries) {
      try {
        created.set(entry.name, { upstream: createUpstream(entry.upstream), entry });
      } catch (error) {
        for (const { upstream } of created.values()) void upstream.destroy();
        throw prefixOptionError(error, upstreamPath(entry.name));
      }
    }
    let agent: Agent;
    try {
      agent = createAgent(agentOptions(options));
    } catch (error) {
      for (const { upstream } of created.values()) void upstream.destroy();
      throw prefixOptionError(error, 'agent');
    }
    return new SteadyUpstreams(created, agent);
  }

  /** The upstream named `name`; throws when there is none. */
  get(name: string): Upstream {
    const found = this.#entries.get(name);
    if (found === undefined) {
      throw new Error(
        `SteadyModule has no upstream named ${JSON.stringify(name)} (known: ${this.names().join(', ') || 'none'})`,
      );
    }
    return found.upstream;
  }

  /** Whether an upstream named `name` exists. */
  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /** The upstream names, in declaration order. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  /** The client defaults (`axios`, `ky`) given with the upstream `name` (internal to the module). */
  clientOptions(name: string): Pick<UpstreamEntry, 'axios' | 'ky'> {
    const found = this.#entries.get(name);
    return { axios: found?.entry.axios, ky: found?.entry.ky };
  }

  /** Iterate over the upstreams. */
  [Symbol.iterator](): Iterator<Upstream> {
    return [...this.#entries.values()].map(({ upstream }) => upstream)[Symbol.iterator]();
  }

  /**
   * Close every upstream and the agent gracefully, in parallel: new calls fail with
   * `STEADY_CLOSED`, in-flight calls finish (each upstream's `closeTimeout`), then the sockets close.
   */
  async close(): Promise<void> {
    await Promise.allSettled([...[...this].map((upstream) => upstream.close()), this.agent.close()]);
  }

  /**
   * Nest calls this after the HTTP server has stopped taking requests and the
   * in-flight ones have been answered (`app.close()` or a signal with
   * `enableShutdownHooks()`), so the outbound calls they made have completed too.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

function agentOptions(options: unknown): AgentOptions {
  const agent = (options as { agent?: unknown } | null | undefined)?.agent;
  if (agent === undefined) return {};
  if (typeof agent !== 'object' || agent === null || Array.isArray(agent)) {
    throw new InvalidOptionError('agent', 'an object of agent options (defaults, origins, allowOrigins, …)', agent);
  }
  return agent as AgentOptions;
}
