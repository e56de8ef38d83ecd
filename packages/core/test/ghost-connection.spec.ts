import { spawnFaultServer } from '@steady/fault-server';
import { describe, expect, it } from 'vitest';
import { isTimeoutError } from '../src/index.ts';
import { pause, useHarness } from './harness.ts';

const { defer, upstream } = useHarness();

describe('HTTP/1.1 peer that stops answering (SIGSTOP: no FIN, no RST), then resumes (SIGCONT)', () => {
  it('calls end by their deadline, no call hangs, and the pool recovers after SIGCONT', async () => {
    const child = await spawnFaultServer();
    let paused = false;
    defer(async () => {
      if (paused) process.kill(child.pid, 'SIGCONT'); // a stopped process must run to die cleanly
      await child.kill('SIGKILL');
    });
    const up = upstream({ origin: child.url, pool: { connections: 4 }, timeouts: { total: 700 }, breaker: false });
    await Promise.all(Array.from({ length: 4 }, () => up.request('/warm').then((r) => r.body.dump())));
    expect(up.stats().pool.socketsOpen).toBe(4);

    process.kill(child.pid, 'SIGSTOP');
    paused = true;
    // Reused sockets (the kernel still holds them open) and fresh ones (the kernel still
    // accepts into the backlog) alike: every call ends at its deadline, typed.
    const started = Date.now();
    const settled = await Promise.allSettled(Array.from({ length: 12 }, () => up.request('/x')));
    const elapsed = Date.now() - started;
    expect(
      settled.every((r) => r.status === 'rejected' && isTimeoutError(r.reason) && r.reason.phase === 'total'),
    ).toBe(true);
    // 12 calls on 4 sockets, each ended at its own 700 ms deadline (the queue wait counts in it).
    expect(elapsed).toBeLessThan(2_000);
    expect(up.stats().inFlight).toBe(0);

    process.kill(child.pid, 'SIGCONT');
    paused = false;
    const end = Date.now() + 10_000;
    let recovered = false;
    while (!recovered && Date.now() < end) {
      try {
        await (await up.request('/after')).body.dump();
        recovered = true;
      } catch {
        await pause(50);
      }
    }
    expect(recovered).toBe(true);
    const after = await Promise.all(Array.from({ length: 20 }, () => up.request('/x').then((r) => r.statusCode)));
    expect(after.every((status) => status === 200)).toBe(true);
    expect(up.stats().pool.socketsOpen).toBeLessThanOrEqual(4);
    expect(up.stats().inFlight).toBe(0);
  });
});
