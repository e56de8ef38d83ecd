import { resolveTransportOptions, type ResolvedTransportOptions, type TransportOptions } from './upstream-options.ts';

/** Every option of `createUpstream()`. */
export interface UpstreamOptions extends TransportOptions {
  retry?: unknown;
  breaker?: unknown;
  bulkhead?: unknown;
  fallback?: (error: unknown) => unknown;
}

/** Options after validation and defaults. */
export interface ResolvedUpstreamOptions extends ResolvedTransportOptions {
  retry: unknown;
  breaker: unknown;
  bulkhead: unknown;
  fallback: ((error: unknown) => unknown) | undefined;
}

/** Validate every option once, at construction. */
export function resolveUpstreamOptions(options: UpstreamOptions): ResolvedUpstreamOptions {
  const transport = resolveTransportOptions(options);
  return Object.freeze({
    ...transport,
    retry: options.retry,
    breaker: options.breaker,
    bulkhead: options.bulkhead,
    fallback: options.fallback,
  });
}
