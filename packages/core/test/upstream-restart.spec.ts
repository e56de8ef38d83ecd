/**
 * The upstream process is SIGKILLed and started again on the same port (a deploy, a crash and
 * its supervisor's restart): a real fault-server child process on 127.0.0.1, an upstream with
 * every default. Time is fake (timers and Date), so the retry backoffs and the breaker's window
 * and open periods are moved on by the test, exactly; the sockets are real.
 */
import { spawnFaultServer, type SpawnedFaultServer } from '@steady/fault-server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Upstream } from '../src/index.ts';
import { useHarness } from './harness.ts';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
// Registered before the harness's hook, so it runs after it: upstreams close on fake time.
afterEach(() => {
  vi.useRealTimers();
});
const { defer, upstream } = useHarness();

/** One turn of the real event loop (I/O), which fake timers leave alone. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

async function spawnServer(): Promise<SpawnedFaultServer> {
  const server = await spawnFaultServer();
  defer(() => server.kill('SIGKILL'));
  return server;
}

type Outcome = { status: number; retries: number } | { code: string; retries: number };

/**
 * Start one GET. `settle()` runs it to its end, moving the fake clock through each retry
 * backoff as the call enters it (by the delay the `retry` event announced) and through nothing
 * else; `inBackoff()` resolves once the call sleeps in its first backoff (before `settle()`).
 */
function get(up: Upstream, path = '/data') {
  let retries = 0;
  let delay = 0;
  let wake: () => void = () => {};
  const off = up.on('retry', (event) => {
    retries++;
    delay = event.delay;
    wake();
  });
  const outcome = up.request(path).then(
    async (res): Promise<Outcome> => {
      await res.body.dump();
      return { status: res.statusCode, retries };
    },
    (error: { code: string }): Outcome => ({ code: error.code, retries }),
  );
  void outcome.finally(() => off());
  const nextRetry = () => new Promise<void>((resolve) => (wake = resolve));
  let pending = nextRetry();
  return {
    async inBackoff(): Promise<void> {
      await pending;
    },
    async settle(): Promise<Outcome> {
      for (;;) {
        const done = await Promise.race([outcome, pending.then(() => undefined)]);
        if (done !== undefined) return done;
        pending = nextRetry();
        await vi.advanceTimersByTimeAsync(delay);
      }
    },
  };
}

async function run(up: Upstream, calls: number): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (let i = 0; i < calls; i++) out.push(await get(up).settle());
  return out;
}

/** SIGKILL the server, then wait (real I/O turns) until the pool has seen its sockets close. */
async function killServer(server: SpawnedFaultServer, up: Upstream): Promise<void> {
  await server.kill('SIGKILL');
  for (let i = 0; i < 10_000 && up.stats().pool.socketsOpen > 0; i++) await turn();
  expect(up.stats().pool.socketsOpen).toBe(0);
}

const ok = (retries = 0) => ({ status: 200, retries });
const refused = { code: 'STEADY_CONNECT', retries: 2 };
const circuitOpen = (retries: number) => ({ code: 'STEADY_CIRCUIT_OPEN', retries });

describe('upstream process killed and restarted on the same port (default options)', () => {
  it('calls while it is down fail STEADY_CONNECT; one in its backoff when the port is back succeeds; the breaker stays closed', async () => {
    const server = await spawnServer();
    const up = upstream({ origin: server.url });
    const transitions: string[] = [];
    up.on('breakerStateChange', (e) => transitions.push(`${e.from}>${e.to}`));

    expect(await run(up, 30)).toEqual(Array.from({ length: 30 }, () => ok()));
    await killServer(server, up);

    // Six calls while nothing listens: each is refused three times (2 retries), then fails with
    // the clear STEADY_CONNECT. 18 failed attempts in a row: the breaker (before the fix, it
    // opened at the 10th, and the 4th call on failed with STEADY_CIRCUIT_OPEN) weighs them
    // against the 30 successes of its window, 18 of 48 — not an outage.
    expect(await run(up, 6)).toEqual(Array.from({ length: 6 }, () => refused));
    expect(up.stats().breaker).toMatchObject({ state: 'closed', calls: 48, failures: 18 });

    // A call refused while the process restarts, sleeping in its backoff when the port is back:
    // its retry is served.
    const during = get(up);
    await during.inBackoff();
    await server.restart();
    expect(await during.settle()).toEqual(ok(1));

    expect(await run(up, 10)).toEqual(Array.from({ length: 10 }, () => ok()));
    expect(transitions).toEqual([]);
    expect(up.stats().breaker).toMatchObject({ state: 'closed', calls: 60, failures: 19 });
    expect(up.stats().calls).toMatchObject({ requests: 47, succeeded: 41, failed: 6 });
  });

  it('an upstream that stays down opens the breaker (no I/O while open); it recovers on the first probe after the restart', async () => {
    const server = await spawnServer();
    const up = upstream({ origin: server.url });
    const transitions: string[] = [];
    up.on('breakerStateChange', (e) => transitions.push(`${e.from}>${e.to}: ${e.reason}`));

    expect(await run(up, 10)).toEqual(Array.from({ length: 10 }, () => ok()));
    await killServer(server, up);

    // 10 successes in the window: the 10th failed attempt makes the rate 50 % over 20 attempts.
    // It is the 4th call's first; its retry meets the open breaker.
    expect(await run(up, 4)).toEqual([refused, refused, refused, circuitOpen(1)]);
    expect(transitions).toEqual(['closed>open: failure rate 50% over 20 calls']);
    const opened = up.stats();
    // Open: calls fail at once, no attempt, no retry, no socket.
    expect(await run(up, 5)).toEqual(Array.from({ length: 5 }, () => circuitOpen(0)));
    expect(up.stats().pool.socketsOpened).toBe(opened.pool.socketsOpened);
    expect(up.stats().retry?.retries).toBe(opened.retry?.retries);

    // Still down when it half-opens: the probe is refused at connect, the breaker re-opens for
    // 500 ms again ('open for 500 ms' below; before the fix, 1000 ms: a refused connection cost
    // the upstream nothing) and the probe's retry meets it.
    vi.advanceTimersByTime(up.stats().breaker!.retryAfter!);
    expect(await run(up, 1)).toEqual([circuitOpen(1)]);
    expect(up.stats().breaker?.state).toBe('open');

    await server.restart();
    vi.advanceTimersByTime(up.stats().breaker!.retryAfter!);
    expect(await run(up, 1)).toEqual([ok()]); // the probe
    expect(await run(up, 10)).toEqual(Array.from({ length: 10 }, () => ok()));
    expect(transitions).toEqual([
      'closed>open: failure rate 50% over 20 calls',
      'open>half-open: open for 500 ms',
      'half-open>open: half-open probe refused (connection refused)',
      'open>half-open: open for 500 ms',
      'half-open>closed: half-open probes succeeded',
    ]);
    expect(up.stats().breaker).toMatchObject({ state: 'closed', calls: 10, failures: 0 });
  });
});
