// Public API of @steady/core. Explicit named exports only.
// First: refuse an unsupported Node.js with a clear error before undici loads.
import './runtime/node-check.ts';
export { createUpstream, Upstream } from './upstream/upstream.ts';
export type {
  AttemptContext,
  CallOptions,
  ExecuteOptions,
  RequestBody,
  UpstreamRequestOptions,
  UpstreamResponse,
} from './upstream/types.ts';
export type { UpstreamStats } from './upstream/stats.ts';
export { Agent, createAgent, createFetch, type AgentEvents, type AgentStats } from './agent/agent.ts';
export {
  DEFAULT_AGENT_OPTIONS,
  type AgentOptions,
  type AllowOrigins,
  type OriginOptions,
  type UpstreamDefaults,
} from './agent/agent-options.ts';
export type { OriginRegistryCounters } from './agent/origin-registry.ts';
export type { FetchCallOptions, SteadyFetch, SteadyRequestInit } from './agent/fetch.ts';
export { isStreamBody } from './agent/fetch-request.ts';
export { createUpstreamFetch } from './agent/upstream-fetch.ts';
export { OriginRefusedError, isOriginRefusedError, type OriginRefusal } from './errors/origin-refused.ts';
export type { CallCounters } from './upstream/call-tracker.ts';
export type { UpstreamOptions, ResolvedUpstreamOptions } from './options/resolve.ts';
export type {
  Fleet,
  FleetBreakerControl,
  FleetBudgetControl,
  FleetBudgetView,
  FleetMember,
  FleetMembership,
  FleetStats,
} from './policies/fleet.ts';
export { MAX_TIMER_DELAY } from './options/validate.ts';
export {
  DEFAULT_TRANSPORT_OPTIONS,
  type PoolOptions,
  type ResolvedProxy,
  type TimeoutOptions,
  type TransportOptions,
} from './options/upstream-options.ts';
export type { TlsOptions } from './options/tls-options.ts';
export { knownKeys } from './options/validate.ts';
export {
  SteadyError,
  ErrorCode,
  isSteadyError,
  printable,
  redactUrl,
  type ErrorContext,
} from './errors/steady-error.ts';
export {
  AbortedError,
  BulkheadFullError,
  CircuitOpenError,
  ClosedError,
  InvalidOptionError,
  InvalidRequestError,
  NetworkError,
  ProtocolError,
  ResponseTooLargeError,
  TimeoutError,
  TlsError,
  isAbortedError,
  isBulkheadFullError,
  isCircuitOpenError,
  isClosedError,
  isInvalidOptionError,
  isInvalidRequestError,
  isNetworkError,
  isProtocolError,
  isResponseTooLargeError,
  isTimeoutError,
  isTlsError,
  type Delivery,
  type TimeoutPhase,
} from './errors/errors.ts';
export type { BreakerState, Disposer, UpstreamEventName, UpstreamEvents } from './events/events.ts';
export {
  STEADY_CHANNELS,
  liveUpstreams,
  type AttemptTraceMessage,
  type CallTraceMessage,
  type UpstreamLifecycleMessage,
  type UpstreamSocketMessage,
} from './events/diagnostics.ts';
export { IDEMPOTENT_METHODS, headerValue, isIdempotentRequest, isReplayableBody } from './http/request-facts.ts';
export {
  compose,
  type CallContext,
  type Next,
  type Policy,
  type PolicyOverrides,
  type ResultInfo,
} from './policies/policy.ts';
export {
  DEFAULT_BULKHEAD_OPTIONS,
  DEFAULT_CIRCUIT_BREAKER_OPTIONS,
  DEFAULT_HEDGE_OPTIONS,
  DEFAULT_IDEMPOTENT_METHODS,
  DEFAULT_RETRY_BUDGET_OPTIONS,
  DEFAULT_RETRY_OPTIONS,
  DEFAULT_SLOW_CALL_OPTIONS,
  parseRetryAfter,
  type BreakerFailurePredicate,
  type BulkheadOptions,
  type BulkheadStats,
  type CircuitBreakerOptions,
  type CircuitBreakerPolicy,
  type CircuitBreakerStats,
  type FallbackHandler,
  type HedgeDelay,
  type HedgeOptions,
  type HedgeStats,
  type RetryBudgetOptions,
  type RetryCallOptions,
  type RetryBudgetStats,
  type RetryContext,
  type RetryOptions,
  type RetryStats,
  type SlowCallOptions,
} from './policies/index.ts';
/**
 * HTTP behaviours the adapters share: transparent response decompression (`createDecoders`,
 * `decodeBody`) and redirect following (`redirectLocation`, `nextRedirect`, `hopTimeout`),
 * each with fetch's rules or those of Node's classic clients (axios, follow-redirects).
 */
export {
  createDecoders,
  decodeBody,
  type ContentEncoding,
  type DecodeOptions,
  type DecodeRules,
} from './http/decompress.ts';
export {
  followRedirects,
  type FollowRequest,
  type FollowResult,
  type HopCallOptions,
} from './http/follow-redirects.ts';
export { isWholeResponse, WholeBody, WholeResponse } from './http/whole-body.ts';
export {
  fallbackAnswer,
  type FallbackAnswer,
  type RequestFallback,
  type RequestFallbackValue,
} from './http/fallback-response.ts';
export {
  DEFAULT_MAX_REDIRECTS,
  hopTimeout,
  nextRedirect,
  redirectLocation,
  type RedirectHeaders,
  type RedirectHop,
  type RedirectInput,
  type RedirectOutcome,
  type RedirectRefusal,
  type RedirectRules,
} from './http/redirect.ts';
