import axios, { type AxiosInstance, type CreateAxiosDefaults } from 'axios';
import { createUpstream, InvalidOptionError, MAX_TIMER_DELAY, type Upstream, type UpstreamOptions } from '@steady/core';
import { steadyAdapter, upstreamOfAdapter } from './adapter.ts';

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

/** Options of {@link createAxios}. */
export type CreateAxiosOptions = CreateAxiosOwnOptions | CreateAxiosSharedOptions;

/**
 * Create an axios instance whose requests run through a Steady upstream: pooled keep-alive
 * sockets, stale-socket replay, deadlines, retry, circuit breaker and bulkhead.
 *
 * `{ origin, ...upstreamOptions }` creates an upstream that the instance owns: close it with
 * `await getUpstream(api).close()`. `{ upstream }` shares one. `baseURL` is the origin unless
 * `axios.baseURL` gives a path on that same origin (e.g. `'/v1'`).
 *
 * @throws `STEADY_INVALID_OPTION` for bad upstream options or a `baseURL` on another origin.
 */
export function createAxios(options: CreateAxiosOptions): AxiosInstance {
  const {
    axios: defaults,
    upstream: shared,
    ...upstreamOptions
  } = options as Omit<CreateAxiosOwnOptions, 'upstream'> & { upstream?: Upstream };
  const origin: unknown = upstreamOptions.origin;
  if (shared !== undefined && origin !== undefined) {
    throw new InvalidOptionError('origin', 'absent when `upstream` is given (the upstream has its origin)', origin);
  }
  const timeout: unknown = defaults?.timeout;
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout >= 0 && timeout <= MAX_TIMER_DELAY))) {
    // A longer timer fires after 1 ms in Node; axios' 0 means "no timeout of its own".
    throw new InvalidOptionError('axios.timeout', `a number of milliseconds in 0…${MAX_TIMER_DELAY}`, timeout);
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
