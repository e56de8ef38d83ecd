import {
  resolveBulkheadOptions,
  resolveCircuitBreakerOptions,
  resolveFallbackOptions,
  resolveRetryOptions,
  type BulkheadOptions,
  type CircuitBreakerOptions,
  type HedgeOptions,
  type ResolvedHedgeOptions,
  resolveHedgeOptions,
  type ResolvedBulkheadOptions,
  type ResolvedCircuitBreakerOptions,
  type ResolvedRetryOptions,
  type RetryOptions,
} from '../policies/index.ts';
import type { RequestFallback } from '../http/fallback-response.ts';
import { resolveFleet, type Fleet } from '../policies/fleet.ts';
import { resolveTransportOptions, type ResolvedTransportOptions, type TransportOptions } from './upstream-options.ts';

/** Every option of `createUpstream()`. */
export interface UpstreamOptions extends TransportOptions {
  /** Retry with jittered backoff, Retry-After and a retry budget; `false` turns it off. */
  retry?: false | RetryOptions;
  /** The upstream's circuit breaker; `false` turns it off. */
  breaker?: false | CircuitBreakerOptions;
  /** Bounds calls in flight and waiting; `false` turns it off. @default derived from `pool.connections` */
  bulkhead?: false | BulkheadOptions;
  /**
   * Answers `request()` calls (and the axios/ky adapters' calls) instead of failing. Its value
   * becomes the response: a `Response` or undici response data as is; a string, bytes or a JSON
   * value as the body of a `200` (see `RequestFallbackValue`). `execute()` calls take their own
   * per-call `fallback`. Per call: `fallback` in the call options replaces this one.
   * @default undefined (no fallback)
   */
  fallback?: RequestFallback;
  /**
   * Share the breaker's openings and the retry budget with the other instances of the service
   * (e.g. `redisFleet({ redis })` from `@steady/redis`). Nothing on a call's path waits for it.
   * @default none: breaker and budget are per process
   */
  fleet?: Fleet;
  /** Hedged requests for slow idempotent calls (per call: `hedge` in the call options). @default false */
  hedge?: false | HedgeOptions;
}

/** Options after validation and defaults; frozen. */
export interface ResolvedUpstreamOptions extends ResolvedTransportOptions {
  retry: ResolvedRetryOptions | false;
  breaker: ResolvedCircuitBreakerOptions | false;
  bulkhead: ResolvedBulkheadOptions | false;
  fallback: RequestFallback | false;
  fleet: Fleet | false;
  hedge: ResolvedHedgeOptions | false;
}

/** Validate every option once, at construction; a bad one throws `STEADY_INVALID_OPTION` naming its path. */
export function resolveUpstreamOptions(options: UpstreamOptions): ResolvedUpstreamOptions {
  const transport = resolveTransportOptions(options);
  return Object.freeze({
    ...transport,
    retry: resolveRetryOptions(options.retry, 'retry'),
    breaker: resolveCircuitBreakerOptions(options.breaker, 'breaker'),
    bulkhead: resolveBulkheadOptions(
      options.bulkhead,
      'bulkhead',
      // "Slots" of the pool: one per HTTP/1.1 socket and pipelined request; with HTTP/2 one per
      // 8 streams, so that the bulkhead admits about as many calls as the connections have streams.
      transport.pool.connections *
        (transport.pool.http2 === false
          ? transport.pool.pipelining
          : Math.ceil(transport.pool.http2.maxConcurrentStreams / 8)),
    ),
    fallback: resolveFallbackOptions(options.fallback, 'fallback') as RequestFallback | false,
    fleet: resolveFleet('fleet', options.fleet),
    hedge: resolveHedgeOptions(options.hedge, 'hedge', transport.timeouts.total),
  });
}
