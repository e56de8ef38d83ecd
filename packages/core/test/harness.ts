import { startFaultServer, startLoadBalancer, type FaultServer, type LoadBalancer } from '@steady/fault-server';
import { afterEach } from 'vitest';
import { createUpstream, type Upstream, type UpstreamOptions } from '../src/index.ts';

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
  };
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
