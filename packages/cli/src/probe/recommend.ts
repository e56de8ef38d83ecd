/**
 * From measurements to `createUpstream` options: an idle timeout that stays below the path's,
 * HTTP/2 when the server offers it, a connect timeout from the measured handshake, a socket
 * recycled before the server's request limit, and a headers timeout for a slow origin.
 */
import { DEFAULT_TRANSPORT_OPTIONS, type UpstreamOptions } from '@steady/core';
import type { IdleSummary } from './idle-ladder.ts';
import type { RequestsPerConnection } from './request-sequence.ts';

/** The `createUpstream` options a probe recommends: plain JSON, `origin` included. */
export type RecommendedOptions = Pick<UpstreamOptions, 'loadBalancerIdleTimeout' | 'pool' | 'timeouts'> & {
  origin: string;
};

/** What {@link recommendOptions} reads. */
export interface RecommendInput {
  origin: string;
  idle: Pick<IdleSummary, 'aliveUpToMs' | 'closedByMs' | 'mode'>;
  alpn: string | null;
  dnsMs: number;
  connectMs: number;
  tlsMs: number | null;
  responseMs: number;
  requestsPerConnection: RequestsPerConnection;
  /** The server's `Keep-Alive: timeout=` in ms, if any. */
  keepAliveTimeoutMs?: number | null;
}

/** The smallest `loadBalancerIdleTimeout` core accepts, ms. */
const MIN_LB_IDLE = 100;

/**
 * Recommend options. Idle: the true timeout lies between `aliveUpToMs` (a request worked) and
 * `closedByMs` (it did not), so `loadBalancerIdleTimeout: aliveUpToMs` makes core keep sockets idle
 * for at most min(30 s, 0.8 × it) — always below the path's timeout. A server `Keep-Alive: timeout=`
 * hint that falls inside that interval is used instead (the server keeps sockets at least that long). When every rung was alive but
 * the longest is under core's 30 s default, the idle timeout is capped at that rung instead.
 */
export function recommendOptions(input: RecommendInput): RecommendedOptions {
  const D = DEFAULT_TRANSPORT_OPTIONS;
  const recommended: RecommendedOptions = { origin: input.origin };
  const pool: NonNullable<UpstreamOptions['pool']> = {};
  const { idle } = input;

  if (idle.closedByMs !== null) {
    // A server hint inside the measured interval is a tighter lower bound than the last alive rung.
    const hint = input.keepAliveTimeoutMs ?? null;
    const hinted = hint !== null && hint >= (idle.aliveUpToMs ?? 0) && hint < idle.closedByMs ? hint : null;
    const known = hinted ?? idle.aliveUpToMs ?? idle.closedByMs / 2;
    if (known >= MIN_LB_IDLE) recommended.loadBalancerIdleTimeout = Math.floor(known);
    else pool.idleTimeout = Math.max(1, Math.floor(known * D.loadBalancerMargin));
  } else if (idle.aliveUpToMs !== null && idle.aliveUpToMs < D.idleTimeout) {
    pool.idleTimeout = Math.floor(idle.aliveUpToMs);
  }

  if (input.alpn === 'h2') pool.http2 = true;

  const handshake = input.dnsMs + input.connectMs + (input.tlsMs ?? 0);
  pool.connectTimeout = Math.min(10_000, Math.max(1_000, Math.ceil((handshake * 10) / 100) * 100));

  const perConnection = input.requestsPerConnection;
  if (perConnection.endedBy !== null && perConnection.served >= 1) pool.maxRequestsPerConnection = perConnection.served;

  recommended.pool = pool;
  const headers = Math.ceil((input.responseMs * 10) / 1000) * 1000;
  if (headers > D.headers) {
    const capped = Math.min(60_000, headers);
    recommended.timeouts = { headers: capped, total: Math.max(D.total, capped * 2) };
  }
  return recommended;
}
