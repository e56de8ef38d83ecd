// Public API of @steady/nest. Explicit named exports only.
export { SteadyModule } from './steady.module.ts';
export { InjectAgent, InjectAxios, InjectKy, InjectUpstream } from './steady.decorators.ts';
export { getAgentToken, getAxiosToken, getKyToken, getUpstreamToken, STEADY_MODULE_OPTIONS } from './steady.tokens.ts';
export { SteadyUpstreams } from './steady-upstreams.ts';
export {
  SteadyHealthIndicator,
  type SteadyHealthResult,
  type SteadyUpstreamHealth,
} from './steady-health.indicator.ts';
export { MissingPeerError } from './optional-peer.ts';
export { SteadyTelemetry } from './steady-telemetry.ts';
export type {
  SteadyModuleAsyncOptions,
  SteadyModuleExtras,
  SteadyModuleOptions,
  SteadyOptionsFactory,
  SteadyUpstreamOptions,
} from './steady-options.ts';
