/**
 * The upstream process is SIGKILLed and started again on the same port (a deploy, a crash and
 * its supervisor's restart): a real fault-server child process on 127.0.0.1, an upstream with
 * every default. Time is fake (timers and Date), so the retry backoffs and the breaker's window
 * and open periods are moved on by the test, exactly; the sockets are real. The backoff's jitter
 * is pinned at mid-range (`Math.random` → 0.5): the n-th retry waits 50 · 2ⁿ⁻¹ ms, at most 1 s.
 */
import { spawnFaultServer, type SpawnedFaultServer } from '@steady/fault-server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Upstream } from '../src/index.ts';
import { useHarness } from './harness.ts';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
});
// Registered before the harness's hook, so it runs after it: upstreams close on fake time.
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
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

/**
 * Concurrent GETs on fake time over real sockets. Call i is `GET /data/i`, started at `starts[i]`
 * ms (fake) after the drive begins; `actions` run at their fake time (e.g. the restart). The
 * clock moves from one wake-up (a retry backoff's end, known from the `retry` event), start or
 * action to the next, and only once every attempt in flight has settled on the real sockets.
 */
async function drive(
  up: Upstream,
  starts: number[],
  actions: Array<{ at: number; run: () => Promise<void> }> = [],
): Promise<Outcome[]> {
  const t0 = Date.now();
  type Call = { path: string; retries: number; wakeAt: number | undefined; busy: Promise<void>; done: boolean };
  const calls: Call[] = [];
  const outcomes: Array<Promise<Outcome>> = [];
  let signal: (call: Call) => void = () => {};
  const byPath = new Map<string, Call>();
  const off = up.on('retry', (event) => {
    const call = byPath.get(new URL(event.url!).pathname)!;
    call.retries++;
    call.wakeAt = Date.now() + event.delay;
    signal(call);
  });
  const waiters = new Map<Call, () => void>();
  signal = (call) => {
    waiters.get(call)?.();
    waiters.delete(call);
  };
  const attempt = (call: Call) => {
    call.wakeAt = undefined;
    call.busy = new Promise<void>((resolve) => waiters.set(call, resolve));
  };
  const start = (i: number) => {
    const call: Call = { path: `/data/${i}`, retries: 0, wakeAt: undefined, busy: Promise.resolve(), done: false };
    calls.push(call);
    byPath.set(call.path, call);
    attempt(call);
    outcomes[i] = up.request(call.path).then(
      async (res): Promise<Outcome> => {
        await res.body.dump();
        return { status: res.statusCode, retries: call.retries };
      },
      (error: { code: string }): Outcome => ({ code: error.code, retries: call.retries }),
    );
    void outcomes[i].finally(() => {
      call.done = true;
      signal(call);
    });
  };
  const pending = starts.map((at, i) => ({ at, run: async () => start(i) }));
  const todo = [...pending, ...actions].sort((a, b) => a.at - b.at);
  try {
    for (let step = 0; step < 10_000; step++) {
      await Promise.all(calls.map((c) => c.busy));
      const sleeping = calls.filter((c) => !c.done && c.wakeAt !== undefined);
      const next = Math.min(...sleeping.map((c) => c.wakeAt!), ...todo.map((a) => t0 + a.at));
      if (next === Infinity) break;
      for (const c of sleeping) if (c.wakeAt! <= next) attempt(c);
      await vi.advanceTimersByTimeAsync(next - Date.now());
      while (todo.length > 0 && t0 + todo[0]!.at <= next) await todo.shift()!.run();
    }
    return await Promise.all(outcomes);
  } finally {
    off();
  }
}

const ok = (retries = 0) => ({ status: 200, retries });
const connect = (retries: number) => ({ code: 'STEADY_CONNECT', retries });
const circuitOpen = (retries: number) => ({ code: 'STEADY_CIRCUIT_OPEN', retries });

describe('upstream process killed and restarted on the same port (default options)', () => {
  it('calls started while it is down retry the refused connection until the port is back 1.5 s later: none is lost, the breaker stays closed', async () => {
    const server = await spawnServer();
    const up = upstream({ origin: server.url });
    const transitions: string[] = [];
    up.on('breakerStateChange', (e) => transitions.push(`${e.from}>${e.to}`));

    expect(await run(up, 30)).toEqual(Array.from({ length: 30 }, () => ok()));
    await killServer(server, up);

    // Four calls start while nothing listens (0, 0.25, 0.5 and 1 s after the kill); the process
    // is back at 1.5 s. Each refused attempt is retried (backoffs 50, 100, 200, 400, 800 ms) and
    // the first attempt after 1.5 s is served. When a refusal counted against `retries: 2`, each
    // of them failed STEADY_CONNECT after its third refusal, 150 ms after it started.
    const outcomes = await drive(up, [0, 250, 500, 1_000], [{ at: 1_500, run: () => server.restart() }]);
    expect(outcomes).toEqual([ok(5), ok(5), ok(5), ok(4)]);

    expect(await run(up, 10)).toEqual(Array.from({ length: 10 }, () => ok()));
    expect(transitions).toEqual([]);
    // 19 refused attempts against the window's 44 successes: not an outage.
    expect(up.stats().breaker).toMatchObject({ state: 'closed', calls: 63, failures: 19 });
    expect(up.stats().retry).toMatchObject({ retries: 19, connectRetries: 19, givenUp: 0, budgetExhausted: 0 });
    expect(up.stats().calls).toMatchObject({ requests: 44, succeeded: 44, failed: 0 });
  });

  it('an upstream that stays down: the call ends STEADY_CONNECT when its deadline allows no further backoff; the breaker opens (no I/O while open) and recovers on the first probe after the restart', async () => {
    const server = await spawnServer();
    const up = upstream({ origin: server.url });
    const transitions: string[] = [];
    up.on('breakerStateChange', (e) => transitions.push(`${e.from}>${e.to}: ${e.reason}`));

    expect(await run(up, 10)).toEqual(Array.from({ length: 10 }, () => ok()));
    await killServer(server, up);

    // The first call is refused 9 times, at 0, 0.05, 0.15, 0.35, 0.75, 1.55, 2.55, 3.55 and
    // 4.55 s: the next backoff (1 s) would pass its 5 s deadline, so it ends with STEADY_CONNECT,
    // not a timeout. 10 successes in the window: the second call's refusal (the 10th failed
    // attempt) makes the rate 50 % over 20 attempts; its retry meets the open breaker.
    const started = Date.now();
    expect(await run(up, 1)).toEqual([connect(8)]);
    expect(Date.now() - started).toBe(4_550);
    expect(await run(up, 1)).toEqual([circuitOpen(1)]);
    expect(transitions).toEqual(['closed>open: failure rate 50% over 20 calls']);
    const opened = up.stats();
    // Open: calls fail at once, no attempt, no retry, no socket.
    expect(await run(up, 5)).toEqual(Array.from({ length: 5 }, () => circuitOpen(0)));
    expect(up.stats().pool.socketsOpened).toBe(opened.pool.socketsOpened);
    expect(up.stats().retry?.retries).toBe(opened.retry?.retries);

    // Still down when it half-opens: the probe is refused at connect, the breaker re-opens for
    // 500 ms again and the probe's retry meets it.
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

  it('an upstream that stays down under 10 concurrent calls: the retry budget bounds the refused retries, then calls fail at their first refusal', async () => {
    const server = await spawnServer();
    const up = upstream({ origin: server.url });
    const exhausted: number[] = [];
    up.on('retryBudgetExhausted', (e) => exhausted.push(e.attempt));

    // 100 successes: the breaker's window holds enough of them that it stays closed throughout.
    expect(await run(up, 100)).toEqual(Array.from({ length: 100 }, () => ok()));
    await killServer(server, up);

    // 110 calls in the budget's window: 0.2 × 110 + 50 (the reserve, 5/s over 10 s) = 72 retries.
    // Ten calls that would each retry 8 times (80) get 72 between them: the budget refuses the
    // eighth retry of eight of them; the other two end at their deadline, as above.
    const outcomes = await drive(
      up,
      Array.from({ length: 10 }, () => 0),
    );
    expect(outcomes.map((o) => o.retries).sort((a, b) => b - a)).toEqual([8, 8, 7, 7, 7, 7, 7, 7, 7, 7]);
    expect(outcomes.every((o) => 'code' in o && o.code === 'STEADY_CONNECT')).toBe(true);
    expect(exhausted).toEqual(Array.from({ length: 8 }, () => 8));
    expect(up.stats().retry).toMatchObject({
      retries: 72,
      connectRetries: 72,
      budgetExhausted: 8,
      givenUp: 2,
      budget: { calls: 110, retries: 72, available: 0 },
    });
    // 82 failed attempts against 100 successes: the breaker stays closed; the budget held the load.
    expect(up.stats().breaker).toMatchObject({ state: 'closed', calls: 182, failures: 82 });

    // With the budget spent, calls fail at their first refusal; each call earns it 0.2 of a
    // retry, so one in five gets one.
    expect(await run(up, 5)).toEqual([connect(1), connect(0), connect(0), connect(0), connect(0)]);
    expect(up.stats().retry).toMatchObject({ retries: 73, budgetExhausted: 13, budget: { calls: 115, available: 0 } });
  });
});
