import axios, { type AxiosInstance, type CreateAxiosDefaults } from 'axios';
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
import { agentOfAdapter, steadyAdapter, upstreamOfAdapter } from './adapter.ts';

/** Options of {@link createAxios} that create (and own) a new upstream. */
export interface CreateAxiosOwnOptions extends UpstreamOptions {
  /** axios instance defaults (`headers`, `timeout`, `validateStatus`, …). `baseURL` defaults to the origin. */
  axios?: CreateAxiosDefaults;
  upstream?: never;
}

/** Options of {@link createAxios} that share an existing upstream (e.g. one provided by Nest). */
export interface CreateAxiosSharedOptions {
  /** The upstream every request of the instance goes through. Its owner closes it. */
  upstream: Upstream;
  /** axios instance defaults (`headers`, `timeout`, `validateStatus`, …). `baseURL` defaults to the origin. */
  axios?: CreateAxiosDefaults;
  origin?: never;
}

/**
 * Options of {@link createAxios} with no origin: absolute URLs to any host, each origin on its own
 * upstream of an agent — yours (`agent`, closed by you), or one the instance creates from the agent
 * options (`defaults`, `origins`, `allowOrigins`, `maxOrigins`, `originIdleTimeout`) and owns.
 */
export interface CreateAxiosAgentOptions extends AgentOptions {
  /** Share this agent (e.g. the one Nest provides); its owner closes it. Not combinable with agent options. */
  agent?: Agent;
  /** axios instance defaults; `baseURL` is optional (without one, give absolute URLs). */
  axios?: CreateAxiosDefaults;
  origin?: never;
  upstream?: never;
}

/** Options of {@link createAxios}. */
export type CreateAxiosOptions = CreateAxiosOwnOptions | CreateAxiosSharedOptions | CreateAxiosAgentOptions;

/**
 * Create an axios instance whose requests run through a Steady upstream: pooled keep-alive
 * sockets, stale-socket replay, deadlines, retry, circuit breaker and bulkhead.
 *
 * `{ origin, ...upstreamOptions }` creates an upstream that the instance owns: close it with
 * `await getUpstream(api).close()`. `{ upstream }` shares one. `baseURL` is the origin unless
 * `axios.baseURL` gives a path on that same origin (e.g. `'/v1'`).
 *
 * With no origin — `createAxios()`, `createAxios({ defaults, origins, allowOrigins, … })` — the
 * instance creates and owns an agent: absolute URLs to any host, each origin pooled, retried and
 * circuit-broken on its own; close it with `await getAgent(api).close()`. `createAxios({ agent })`
 * shares yours.
 *
 * @throws `STEADY_INVALID_OPTION` for bad upstream/agent options or a `baseURL` on another origin.
 */
export function createAxios(options: CreateAxiosOptions = {}): AxiosInstance {
  const timeout: unknown = options.axios?.timeout;
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout >= 0 && timeout <= MAX_TIMER_DELAY))) {
    // A longer timer fires after 1 ms in Node; axios' 0 means "no timeout of its own".
    throw new InvalidOptionError('axios.timeout', `a number of milliseconds in 0…${MAX_TIMER_DELAY}`, timeout);
  }
  if (!('origin' in options) && !('upstream' in options)) return createOnAgent(options as CreateAxiosAgentOptions);
  const {
    axios: defaults,
    upstream: shared,
    ...upstreamOptions
  } = options as Omit<CreateAxiosOwnOptions, 'upstream'> & { upstream?: Upstream };
  const origin: unknown = upstreamOptions.origin;
  if (shared !== undefined && origin !== undefined) {
    throw new InvalidOptionError('origin', 'absent when `upstream` is given (the upstream has its origin)', origin);
  }
  const baseURL = resolveBaseURL(defaults?.baseURL, shared?.origin ?? safeOrigin(upstreamOptions.origin));
  const upstream = shared ?? createUpstream(upstreamOptions);
  return axios.create({ ...defaults, baseURL: baseURL ?? upstream.origin, adapter: steadyAdapter(upstream) });
}

/**
 * The upstream behind an axios instance made by {@link createAxios} (or whose
 * `defaults.adapter` is a {@link steadyAdapter}): for `stats()`, `on()`, `close()`.
 *
 * @throws TypeError when the instance does not use a Steady adapter.
 */
export function getUpstream(instance: Pick<AxiosInstance, 'defaults'>): Upstream {
  const upstream = upstreamOfAdapter(instance.defaults.adapter);
  if (upstream === undefined) throw new TypeError('this axios instance does not use a Steady adapter');
  return upstream;
}

function createOnAgent(options: CreateAxiosAgentOptions): AxiosInstance {
  const { axios: defaults, agent: shared, ...agentOptions } = options;
  const extra = Object.keys(agentOptions);
  if (shared !== undefined && extra.length > 0) {
    const key = extra[0]!;
    throw new InvalidOptionError(
      key,
      'absent when `agent` is given (the agent has its own options)',
      (agentOptions as Record<string, unknown>)[key],
    );
  }
  const agent = shared ?? createAgent(agentOptions);
  return axios.create({ ...defaults, adapter: steadyAdapter(agent) });
}

/**
 * The agent behind an axios instance made by `createAxios()` without an origin (or whose
 * `defaults.adapter` is `steadyAdapter(agent)`): for `stats()`, `on()`, `close()`.
 *
 * @throws TypeError when the instance does not run on a Steady agent.
 */
export function getAgent(instance: Pick<AxiosInstance, 'defaults'>): Agent {
  const agent = agentOfAdapter(instance.defaults.adapter);
  if (agent === undefined) throw new TypeError('this axios instance does not run on a Steady agent');
  return agent;
}

function safeOrigin(origin: unknown): string | undefined {
  try {
    return typeof origin === 'string' ? new URL(origin).origin : undefined;
  } catch {
    return undefined; // createUpstream reports the bad origin
  }
}

/** A `baseURL` default may add a path, never another origin. */
function resolveBaseURL(baseURL: string | undefined, origin: string | undefined): string | undefined {
  if (baseURL === undefined || origin === undefined) return undefined;
  let resolved: URL;
  try {
    resolved = new URL(baseURL, origin);
  } catch {
    throw new InvalidOptionError('axios.baseURL', `a URL or a path on ${origin}`, baseURL);
  }
  if (resolved.origin !== origin) {
    throw new InvalidOptionError('axios.baseURL', `a URL or a path on the upstream's origin ${origin}`, baseURL);
  }
  return resolved.href;
}
