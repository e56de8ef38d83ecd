import type { Upstream } from '@steady/core';

const upstreams = new WeakMap<object, Upstream>();

/** Remember which upstream a ky instance (or a Steady fetch) runs on. */
export function registerUpstream(owner: object, upstream: Upstream): void {
  upstreams.set(owner, upstream);
}

/**
 * The upstream behind a ky instance made by `withSteady()`, or behind a `steadyFetch()` function:
 * read its `stats()`, listen to its events, and `close()` it on shutdown (the instance made by
 * `withSteady(ky, { origin })` owns its upstream: nobody else closes it). Instances derived later
 * with `api.extend()` are not tracked: keep the one `withSteady()` returned. Undefined otherwise.
 */
export function getUpstream(owner: object): Upstream | undefined {
  return upstreams.get(owner);
}
