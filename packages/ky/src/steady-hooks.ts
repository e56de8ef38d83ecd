import type { Upstream } from '@steady/core';
import type { Options } from 'ky';
import { steadyInitHook } from './call-options.ts';
import { steadyFetch } from './fetch-bridge.ts';

/**
 * ky options that run an instance on `upstream`: `ky.extend(steadyHooks(upstream))` or
 * `ky.create(steadyHooks(upstream))`. They set ky's `fetch` to {@link steadyFetch} and add an
 * `init` hook that makes Steady the one owner of retries and deadlines (ky's `retry` and
 * `timeout`/`totalTimeout` are mapped onto Steady's per-call options; ky's own are turned off).
 * The upstream stays the caller's: close it yourself. Set `prefix` (the upstream's origin, or a
 * path under it) yourself too, or pass absolute URLs on the upstream's origin.
 */
export function steadyHooks(upstream: Upstream): Options {
  return {
    fetch: steadyFetch(upstream),
    hooks: { init: [steadyInitHook] },
  };
}
