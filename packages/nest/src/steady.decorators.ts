import { Inject } from '@nestjs/common';
import { getAgentToken, getAxiosToken, getKyToken, getUpstreamToken } from './steady.tokens.ts';

/**
 * Inject the {@link Upstream} registered under `name` (constructor parameter or property).
 *
 * @example
 * ```ts
 * constructor(@InjectUpstream('payments') private readonly payments: Upstream) {}
 * ```
 */
export function InjectUpstream(name: string): PropertyDecorator & ParameterDecorator {
  return Inject(getUpstreamToken(name));
}

/**
 * Inject the axios instance that runs on the upstream `name` (same pool, same breaker).
 * Needs `@steady/axios` and `axios`; without them the application fails to bootstrap
 * with an error naming the packages to install.
 *
 * @example
 * ```ts
 * constructor(@InjectAxios('payments') private readonly http: AxiosInstance) {}
 * ```
 */
export function InjectAxios(name: string): PropertyDecorator & ParameterDecorator {
  return Inject(getAxiosToken(name));
}

/**
 * Inject the ky instance that runs on the upstream `name` (same pool, same breaker).
 * Needs `@steady/ky` and `ky`; without them the application fails to bootstrap
 * with an error naming the packages to install.
 *
 * @example
 * ```ts
 * constructor(@InjectKy('payments') private readonly api: KyInstance) {}
 * ```
 */
export function InjectKy(name: string): PropertyDecorator & ParameterDecorator {
  return Inject(getKyToken(name));
}

/**
 * Inject the module's {@link Agent}: absolute URLs to any origin, each on its own upstream
 * (options from `SteadyModule.forRoot({ agent: {...} })`), drained on shutdown.
 *
 * @example
 * ```ts
 * constructor(@InjectAgent() private readonly agent: Agent) {}
 * const res = await this.agent.fetch('https://api.partner.example/v1/rates');
 * ```
 */
export function InjectAgent(): PropertyDecorator & ParameterDecorator {
  return Inject(getAgentToken());
}
