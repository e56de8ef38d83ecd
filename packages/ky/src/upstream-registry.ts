import type { Agent, Upstream } from '@steady/core';

const upstreams = new WeakMap<object, Upstream>();
const agents = new WeakMap<object, Agent>();

/** Remember which upstream a ky instance (or a Steady fetch) runs on. */
export function registerUpstream(owner: object, upstream: Upstream): void {
  upstreams.set(owner, upstream);
}

/** Remember which agent a ky instance (or a Steady fetch) runs on. */
export function registerAgent(owner: object, agent: Agent): void {
  agents.set(owner, agent);
}

/**
 * The upstream behind a ky instance made by `withSteady(ky, { origin | upstream })`, or behind
 * a `steadyFetch()` function: read its `stats()`, listen to its events, and `close()` it on
 * shutdown (the instance made by `withSteady(ky, { origin })` owns its upstream: nobody else
 * closes it). Instances derived later with `api.extend()` are not tracked: keep the one
 * `withSteady()` returned. Undefined otherwise (an instance on an agent: see {@link getAgent}).
 */
export function getUpstream(owner: object): Upstream | undefined {
  return upstreams.get(owner);
}

/**
 * The agent behind a ky instance made by `withSteady(ky)`, `withSteady(ky, { agent })` or
 * `withSteady(ky, { defaults, … })`: `stats()`, `on()`, and `close()` on shutdown when the
 * instance owns it (made without `{ agent }`). Undefined for an instance on one upstream.
 */
export function getAgent(owner: object): Agent | undefined {
  return agents.get(owner);
}
