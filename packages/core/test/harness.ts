import { startFaultServer, startLoadBalancer, type FaultServer, type LoadBalancer } from '@steady/fault-server';
import { afterEach } from 'vitest';
import {
  createAgent,
  createUpstream,
  type Agent,
  type AgentOptions,
  type Upstream,
  type UpstreamOptions,
} from '../src/index.ts';

/**
 * Real servers, load balancers and upstreams for one spec file, each closed after every
 * test (upstreams first), so nothing outlives the test that made it.
 */
export function useHarness() {
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  return {
    /** Run `close` after the test. */
    defer(close: () => Promise<unknown>): void {
      closers.push(close);
    },
    async server(options?: Parameters<typeof startFaultServer>[0]): Promise<FaultServer> {
      const s = await startFaultServer(options);
      closers.push(() => s.close());
      return s;
    },
    async lb(target: string, idleTimeout: number): Promise<LoadBalancer> {
      const l = await startLoadBalancer({ target, idleTimeout });
      closers.push(() => l.close());
      return l;
    },
    upstream(options: UpstreamOptions): Upstream {
      const u = createUpstream(options);
      closers.push(() => u.destroy());
      return u;
    },
    /** An agent destroyed after the test. */
    agent(options?: AgentOptions): Agent {
      const a = createAgent(options);
      closers.push(() => a.destroy());
      return a;
    },
  };
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The rejection of `promise` (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Poll `check` every 10 ms until it holds (fails after `ms`). */
export async function waitFor(check: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await pause(10);
  }
}
