import type { ModuleRef } from '@nestjs/core';
import type * as Terminus from '@nestjs/terminus';
import type { HealthIndicatorService } from '@nestjs/terminus';
import type { Upstream } from '@steady/core';
import { importOptionalPeer } from './optional-peer.ts';
import type { SteadyUpstreams } from './steady-upstreams.ts';

/** The figures reported for one upstream (a type alias, so it is assignable to terminus' data records). */
export type SteadyUpstreamHealth = {
  /** The upstream's own state: `open`, `closing` or `closed`. */
  state: 'open' | 'closing' | 'closed';
  /** The breaker's state, or null when the upstream has no breaker. */
  breaker: string | null;
  /** Calls in progress. */
  inFlight: number;
  /** Pool figures: sockets allowed, connected, free, and requests pending/running. */
  pool: { connections: number; connected: number; free: number; pending: number; running: number; size: number };
};

/**
 * What {@link SteadyHealthIndicator.isHealthy} resolves with: one entry per upstream, keyed by
 * its name. Structurally terminus' `HealthIndicatorResult` (assignable to it), declared here so
 * that `@nestjs/terminus`, an optional peer, never appears in this package's types.
 */
export type SteadyHealthResult = Record<
  string,
  { status: 'up' | 'degraded' | 'down' } & Partial<SteadyUpstreamHealth> & Record<string, unknown>
>;

/**
 * A `@nestjs/terminus` (v12) health indicator over the module's upstreams. Each
 * upstream is one key of the result, named after the upstream:
 * `down` when its breaker is open or isolated or the upstream is closing/closed,
 * `degraded` while the breaker is half-open, `up` otherwise.
 * `@nestjs/terminus` is imported lazily: the module works without it.
 *
 * @example
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.steady.isHealthy()]); }
 * ```
 */
export class SteadyHealthIndicator {
  readonly #upstreams: SteadyUpstreams;
  readonly #moduleRef: ModuleRef | undefined;
  #service: HealthIndicatorService | undefined;

  /** Provided by `SteadyModule`; inject it rather than constructing it. */
  constructor(upstreams: SteadyUpstreams, moduleRef?: ModuleRef) {
    this.#upstreams = upstreams;
    this.#moduleRef = moduleRef;
  }

  /**
   * Report the upstream `name`, or every upstream when `name` is omitted.
   * Throws when `name` is not an upstream of this module.
   */
  async isHealthy(name?: string): Promise<SteadyHealthResult> {
    const service = await this.#healthIndicatorService();
    const upstreams = name === undefined ? [...this.#upstreams] : [this.#upstreams.get(name)];
    const result: SteadyHealthResult = {};
    for (const upstream of upstreams) {
      const health = describeUpstream(upstream);
      const session = service.check(upstream.name);
      const status = statusOf(health);
      Object.assign(
        result,
        status === 'down'
          ? session.down(health)
          : status === 'degraded'
            ? session.degraded(health)
            : session.up(health),
      );
    }
    return result;
  }

  async #healthIndicatorService(): Promise<HealthIndicatorService> {
    if (this.#service !== undefined) return this.#service;
    const terminus = await importOptionalPeer<typeof Terminus>('@nestjs/terminus', 'SteadyHealthIndicator', [
      '@nestjs/terminus',
    ]);
    let service: HealthIndicatorService | undefined;
    try {
      service = this.#moduleRef?.get(terminus.HealthIndicatorService, { strict: false });
    } catch {
      // TerminusModule is not imported anywhere: a private instance does the same job.
    }
    this.#service = service ?? new terminus.HealthIndicatorService();
    return this.#service;
  }
}

/** `down`, `degraded` or `up` for one upstream's figures. */
export function statusOf(health: SteadyUpstreamHealth): 'up' | 'degraded' | 'down' {
  if (health.state !== 'open' || health.breaker === 'open' || health.breaker === 'isolated') return 'down';
  return health.breaker === 'half-open' ? 'degraded' : 'up';
}

function describeUpstream(upstream: Upstream): SteadyUpstreamHealth {
  const stats = upstream.stats();
  const breaker = upstream.breaker as { state?: unknown } | null | undefined;
  const breakerStats = stats.breaker as { state?: unknown } | null | undefined;
  const state = breaker?.state ?? breakerStats?.state;
  const { connections, connected, free, pending, running, size } = stats.pool;
  return {
    state: stats.state,
    breaker: typeof state === 'string' ? state : null,
    inFlight: stats.inFlight,
    pool: { connections, connected, free, pending, running, size },
  };
}
