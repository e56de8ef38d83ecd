import { describe, expect, it } from 'vitest';
import { pause, useHarness } from './harness.ts';

const { server, lb, upstream } = useHarness();

describe('keep-alive idle timeouts', () => {
  it("honours the server's Keep-Alive hint: the client closes an idle socket before the server does", async () => {
    // The server advertises `Keep-Alive: timeout=2` and would close at 2 s; undici closes 1 s early.
    const s = await server({ keepAliveTimeout: 2_000 });
    const up = upstream({ origin: s.url, retry: false });
    const res = await up.request('/x');
    expect(res.headers['keep-alive']).toBe('timeout=2');
    await res.body.dump();
    expect(up.stats().pool.socketsOpen).toBe(1);
    await pause(1_300);
    expect(up.stats().pool.socketsOpen).toBe(0); // closed by the client, at ~1 s
    const again = await up.request('/x');
    expect(again.statusCode).toBe(200);
    await again.body.dump();
    expect(up.stats().calls).toMatchObject({ failed: 0, replays: 0 });
  });

  it('derives an idle timeout below loadBalancerIdleTimeout, so the LB never gets to forget a socket', async () => {
    const s = await server();
    const balancer = await lb(s.url, 500);
    const up = upstream({ origin: balancer.url, loadBalancerIdleTimeout: 500, retry: false });
    expect(up.options.pool.idleTimeout).toBe(400);
    for (let i = 0; i < 4; i++) {
      const res = await up.request('/x');
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      await pause(600);
    }
    // Each idle socket was closed by the client at 400 ms, before the LB forgets it at 500 ms: nothing to replay.
    expect(up.stats().calls).toMatchObject({ failed: 0, replays: 0 });
    expect(balancer.counters().resets).toBe(0);
  });
});
