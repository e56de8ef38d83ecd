import { createUpstream, InvalidOptionError, MAX_TIMER_DELAY, type Upstream, type UpstreamOptions } from '@steady/core';
import type { KyInstance, Options } from 'ky';
import { steadyInitHook } from './call-options.ts';
import { steadyFetch } from './fetch-bridge.ts';
import { registerUpstream } from './upstream-registry.ts';

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
 * A ky instance whose requests run on a Steady upstream: pooled keep-alive sockets, stale-socket
 * replay, one retry decision (Steady's), deadlines, circuit breaker and bulkhead. With `{ origin, … }`
 * it creates — and owns — the upstream: reach it with `getUpstream(api)` to read stats and to
 * `close()` it on shutdown. With `{ upstream }` it uses yours.
 *
 * @example
 * const api = withSteady(ky, { origin: 'https://api.example.com', retry: { retries: 2 }, ky: { headers: { 'x-app': 'shop' } } });
 * const user = await api.get('users/42').json();
 * await getUpstream(api)?.close();
 */
export function withSteady(ky: KyInstance, options: WithSteadyOptions | WithSharedUpstreamOptions): KyInstance {
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
  const upstream = 'upstream' in rest ? rest.upstream : createUpstream(rest as UpstreamOptions);
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
