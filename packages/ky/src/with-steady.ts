import {
  createAgent,
  createUpstream,
  InvalidOptionError,
  MAX_TIMER_DELAY,
  type Agent,
  type AgentOptions,
  type Upstream,
  type UpstreamOptions,
} from '@steady/core';
import type { KyInstance, Options } from 'ky';
import { steadyInitHook } from './call-options.ts';
import { agentFetch, steadyFetch } from './fetch-bridge.ts';
import { registerAgent, registerUpstream } from './upstream-registry.ts';

/** Options of {@link withSteady}: an upstream to create (`origin` and every `createUpstream()` option) plus ky's. */
export interface WithSteadyOptions extends UpstreamOptions {
  /**
   * ky options for the instance (headers, hooks, `json` helpers, `throwHttpErrors`, …). `baseUrl`
   * defaults to the upstream's origin, so relative inputs (`'users'`, `'/users'`, with a `prefix`
   * when given) resolve under it and an absolute URL is used as is (another origin is refused).
   * `fetch` is replaced by Steady's; `retry`, `timeout` and `totalTimeout` are mapped onto Steady's
   * per-call options (see the README).
   */
  ky?: Options;
}

/** Options of {@link withSteady} for an upstream you already own (shared, closed by you). */
export interface WithSharedUpstreamOptions {
  /** The upstream to run on; the instance does not own it. */
  upstream: Upstream;
  /** ky options for the instance, as in {@link WithSteadyOptions.ky}. */
  ky?: Options;
}

/**
 * Options of {@link withSteady} with no origin: absolute URLs to any host, each origin on its own
 * upstream of an agent — yours (`agent`, closed by you) or one the instance creates from the
 * agent options (`defaults`, `origins`, `allowOrigins`, `maxOrigins`, `originIdleTimeout`) and owns.
 */
export interface WithAgentOptions extends AgentOptions {
  /** Share this agent; the instance does not own it. Not combinable with agent options. */
  agent?: Agent;
  /** ky options for the instance (`prefix`/`baseUrl` optional: without one, give absolute URLs). */
  ky?: Options;
  origin?: never;
  upstream?: never;
}

/**
 * A ky instance whose requests run through Steady: pooled keep-alive sockets, stale-socket
 * replay, one retry decision (Steady's), deadlines, circuit breaker and bulkhead.
 * - `withSteady(ky, { origin, … })` creates — and owns — one upstream: reach it with
 *   `getUpstream(api)` to read stats and `close()` it on shutdown. `{ upstream }` uses yours.
 * - `withSteady(ky)` / `withSteady(ky, { defaults, origins, allowOrigins, … })` creates — and owns —
 *   an agent: absolute URLs to any host, each origin on its own upstream (`getAgent(api)`).
 *   `{ agent }` shares yours.
 *
 * @example
 * const api = withSteady(ky, { origin: 'https://api.example.com', retry: { retries: 2 }, ky: { headers: { 'x-app': 'shop' } } });
 * const user = await api.get('users/42').json();
 * await getUpstream(api)?.close();
 *
 * const any = withSteady(ky); // every host
 * await any.get('https://api.github.com/repos/nodejs/undici').json();
 * await getAgent(any)?.close();
 */
export function withSteady(
  ky: KyInstance,
  options: WithSteadyOptions | WithSharedUpstreamOptions | WithAgentOptions = {},
): KyInstance {
  const { ky: kyOptions = {}, ...rest } = options;
  for (const name of ['timeout', 'totalTimeout'] as const) {
    const value: unknown = kyOptions[name];
    if (
      value !== undefined &&
      value !== false &&
      !(typeof value === 'number' && value >= 1 && value <= MAX_TIMER_DELAY)
    ) {
      // A longer timer fires after 1 ms in Node: refused here rather than per request.
      throw new InvalidOptionError(`ky.${name}`, `false or a number of milliseconds in 1…${MAX_TIMER_DELAY}`, value);
    }
  }
  if (!('origin' in rest) && !('upstream' in rest)) return onAgent(ky, kyOptions, rest as WithAgentOptions);
  const upstream = 'upstream' in rest ? rest.upstream! : createUpstream(rest as UpstreamOptions);
  const api = ky.extend({
    ...kyOptions,
    // Standard URL resolution: relative inputs ('users', '/users') land on the upstream's
    // origin (under `prefix` when one is given); an absolute input bypasses it.
    baseUrl: kyOptions.baseUrl ?? `${upstream.origin}/`,
    fetch: steadyFetch(upstream),
    hooks: { ...kyOptions.hooks, init: [...(kyOptions.hooks?.init ?? []), steadyInitHook] },
  });
  registerUpstream(api, upstream);
  return api;
}

function onAgent(ky: KyInstance, kyOptions: Options, options: WithAgentOptions): KyInstance {
  const { agent: shared, ...agentOptions } = options;
  const agent = shared ?? createAgent(agentOptions);
  const extra = Object.keys(agentOptions)[0];
  if (shared !== undefined && extra !== undefined) {
    throw new InvalidOptionError(
      extra,
      'absent when `agent` is given (the agent has its own options)',
      (agentOptions as Record<string, unknown>)[extra],
    );
  }
  const api = ky.extend({
    ...kyOptions,
    fetch: agentFetch(agent),
    hooks: { ...kyOptions.hooks, init: [...(kyOptions.hooks?.init ?? []), steadyInitHook] },
  });
  registerAgent(api, agent);
  return api;
}
