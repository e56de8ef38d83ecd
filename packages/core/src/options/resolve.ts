import {
  resolveBulkheadOptions,
  resolveCircuitBreakerOptions,
  resolveFallbackOptions,
  resolveRetryOptions,
  type BulkheadOptions,
  type CircuitBreakerOptions,
  type FallbackHandler,
  type HedgeOptions,
  type ResolvedHedgeOptions,
  resolveHedgeOptions,
  type ResolvedBulkheadOptions,
  type ResolvedCircuitBreakerOptions,
  type ResolvedRetryOptions,
  type RetryOptions,
} from '../policies/index.ts';
import { resolveTransportOptions, type ResolvedTransportOptions, type TransportOptions } from './upstream-options.ts';

/** Every option of `createUpstream()`. */
export interface UpstreamOptions extends TransportOptions {
  /** Retry with jittered backoff, Retry-After and a retry budget; `false` turns it off. */
  retry?: false | RetryOptions;
  /** The upstream's circuit breaker; `false` turns it off. */
  breaker?: false | CircuitBreakerOptions;
  /** Bounds calls in flight and waiting; `false` turns it off. @default derived from `pool.connections` */
  bulkhead?: false | BulkheadOptions;
  /** Answers instead of failing when the pipeline fails (per call: `fallback` in the call options). */
  fallback?: FallbackHandler;
  /** Hedged requests for slow idempotent calls (per call: `hedge` in the call options). @default false */
  hedge?: false | HedgeOptions;
}

/** Options after validation and defaults; frozen. */
export interface ResolvedUpstreamOptions extends ResolvedTransportOptions {
  retry: ResolvedRetryOptions | false;
  breaker: ResolvedCircuitBreakerOptions | false;
  bulkhead: ResolvedBulkheadOptions | false;
  fallback: FallbackHandler | false;
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
    fallback: resolveFallbackOptions(options.fallback, 'fallback'),
    hedge: resolveHedgeOptions(options.hedge, 'hedge', transport.timeouts.total),
  });
}
