import type { FleetStats } from '../policies/fleet.ts';
import type { BulkheadStats, CircuitBreakerStats, HedgeStats, RetryStats } from '../policies/index.ts';
import type { PoolFigures, SteadyPool } from '../pool/create-pool.ts';
import type { CallCounters, CallTracker } from './call-tracker.ts';
import type { Pipeline } from './pipeline.ts';

/** `upstream.stats()`: plain JSON, safe to log or export as metrics. */
export interface UpstreamStats {
  name: string;
  origin: string;
  state: 'open' | 'closing' | 'closed';
  inFlight: number;
  /** undici pool figures (`connected`, `free`, `pending`, `queued`, `running`, `size`), plus: */
  pool: PoolFigures & {
    /** Most sockets allowed. */
    connections: number;
    /** Sockets ever opened / open now / most open at once. */
    socketsOpened: number;
    socketsOpen: number;
    peakSockets: number;
    /** HTTP/2 connections destroyed because their PINGs went unanswered. */
    pingTimeouts: number;
  };
  calls: CallCounters;
  /** Retry and budget figures; null when retry is off. */
  retry: RetryStats | null;
  /** Breaker state and window figures; null when the breaker is off. */
  breaker: CircuitBreakerStats | null;
  /** Running, queued and rejected calls; null when the bulkhead is off. */
  bulkhead: BulkheadStats | null;
  /** Hedged copies sent, won and refused, and the current delay (null when the upstream does not hedge). */
  hedge: HedgeStats;
  /** Fleet link (connected, instances, last sync age, …); null without `fleet`. */
  fleet: FleetStats | null;
}

interface UpstreamLike {
  name: string;
  origin: string;
  state: UpstreamStats['state'];
  options: { pool: { connections: number } };
}

export function buildStats(
  upstream: UpstreamLike,
  pool: SteadyPool,
  pipeline: Pipeline,
  calls: CallTracker,
): UpstreamStats {
  const s = pool.figures();
  const policies = pipeline.stats();
  return {
    name: upstream.name,
    origin: upstream.origin,
    state: upstream.state,
    inFlight: calls.inFlight,
    pool: {
      connections: upstream.options.pool.connections,
      connected: s.connected,
      free: s.free,
      pending: s.pending,
      queued: s.queued,
      running: s.running,
      size: s.size,
      socketsOpened: pool.sockets.opened,
      socketsOpen: pool.sockets.open,
      peakSockets: pool.sockets.peakOpen,
      pingTimeouts: pool.sockets.pingTimeouts,
    },
    calls: structuredClone(calls.counters),
    retry: policies.retry,
    breaker: policies.breaker,
    bulkhead: policies.bulkhead,
    hedge: policies.hedge,
    fleet: policies.fleet,
  };
}
