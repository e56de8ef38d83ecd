// Public API of @steady/ky. Explicit named exports only.
export {
  withSteady,
  type WithAgentOptions,
  type WithSteadyOptions,
  type WithSharedUpstreamOptions,
} from './with-steady.ts';
export { steadyHooks } from './steady-hooks.ts';
export { agentFetch, steadyFetch, type SteadyFetch, type SteadyRequestInit } from './fetch-bridge.ts';
export { getAgent, getUpstream } from './upstream-registry.ts';
export { retryFromKy, deadlineFromKy, type SteadyCallOptions } from './call-options.ts';
