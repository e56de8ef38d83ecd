// Public API of @steady/axios. Explicit named exports only.
export { createAxios, getAgent, getUpstream } from './create-axios.ts';
export type {
  CreateAxiosAgentOptions,
  CreateAxiosOptions,
  CreateAxiosOwnOptions,
  CreateAxiosSharedOptions,
} from './create-axios.ts';
export { steadyAdapter } from './adapter.ts';
export type { SteadyRequestOptions } from './augment.ts';
export type { SteadyRequestInfo } from './request-info.ts';
