/**
 * Four instances of a service as four worker processes, each with its own upstreams and its
 * own redisFleet on one real redis-server started here, against one fault-server upstream.
 * The scenarios run in order on the same processes (starting Node processes is the slow part).
 */
import { startFaultServer, type FaultServer } from '@steady/fault-server';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from './redis-server.ts';
import { startWorkers, until, type Tally, type Worker } from './workers.ts';

const FLUSH = 250;
const INSTANCES = 4;
const BUDGET = { ratio: 0.05, minPerSecond: 5, window: 10_000 } as const;
const RESERVE = (BUDGET.minPerSecond * BUDGET.window) / 1000;
const RETRY = { retries: 5, baseDelay: 1, maxDelay: 2, budget: BUDGET } as const;
const BREAKER = {
  consecutiveFailures: 5,
  minimumCalls: 100_000,
  openFor: 2_000,
  maxOpenFor: 4_000,
  halfOpenProbes: 1,
} as const;

let redis: TestRedis;
let server: FaultServer;
let workers: Worker[];

beforeAll(async () => {
  [redis, server] = await Promise.all([startRedis(), startFaultServer()]);
  workers = await startWorkers(INSTANCES, () => ({
    origin: server.origin,
    redisPort: redis.port,
    fleet: { flushInterval: FLUSH, quorum: 2, name: 'spec' },
    upstreams: {
      'budget-fleet': { withFleet: true, breaker: false, retry: RETRY },
      'budget-alone': { withFleet: false, breaker: false, retry: RETRY },
      breaker: { withFleet: true, retry: false, breaker: BREAKER },
      steady: { withFleet: true, timeouts: { total: 2_000 } },
    },
  }));
  await Promise.all(
    workers.flatMap((w) =>
      ['budget-fleet', 'breaker', 'steady'].map((name) =>
        until(
          () => w.stats(name),
          (s) => s.fleet?.connected === true && s.fleet.instances === INSTANCES,
        ),
      ),
    ),
  );
}, 90_000);

afterAll(async () => {
  await Promise.all((workers ?? []).map((w) => w.close()));
  await Promise.all([redis?.stop(), server?.close()]);
}, 30_000);

const all = <T>(f: (w: Worker, i: number) => Promise<T>): Promise<T[]> => Promise.all(workers.map(f));
const requestsTo = (paths: string[]): number => paths.reduce((sum, p) => sum + (server.counters().byPath[p] ?? 0), 0);
const PATHS = ['/w0', '/w1', '/w2', '/w3'];

/** Wait until every worker's fleet link of `upstream` has synced `n` more times. */
async function flushPeriods(upstream: string, n: number): Promise<void> {
  const before = await all(async (w) => Number((await w.stats(upstream)).fleet?.syncs));
  await all((w, i) =>
    until(
      () => w.stats(upstream),
      (s) => Number(s.fleet?.syncs) >= before[i]! + n,
    ),
  );
}

describe('retry budget', () => {
  it('bounds the fleet’s retries by ratio × fleet calls + one reserve; alone, each instance spends its own (~4×)', async () => {
    const CALLS = 40;
    const PACE = 25; // a run spans ~4 flush periods
    server.resetCounters();
    const shared = await all((w) => w.burst('budget-fleet', '/status/503', CALLS, PACE));
    const sharedAttempts = server.counters().requests;
    server.resetCounters();
    const alone = await all((w) => w.burst('budget-alone', '/status/503', CALLS, PACE));
    const aloneAttempts = server.counters().requests;

    const calls = INSTANCES * CALLS;
    for (const t of [...shared, ...alone]) expect(t.calls).toBe(CALLS);
    const sharedRetries = sharedAttempts - calls;
    const aloneRetries = aloneAttempts - calls;
    // One flush period's slack: ratio × the calls of one period, plus one per instance for rounding.
    const slack = INSTANCES * (Math.ceil(BUDGET.ratio * (FLUSH / PACE)) + 1);
    console.info(
      `budget: fleet ${sharedRetries} retries, alone ${aloneRetries} (${(aloneRetries / sharedRetries).toFixed(2)}×); ` +
        `bound ${(BUDGET.ratio * calls + RESERVE).toFixed(0)} + slack ${slack}`,
    );
    expect(sharedAttempts).toBeLessThanOrEqual((1 + BUDGET.ratio) * calls + RESERVE + slack);
    expect(sharedRetries).toBeGreaterThanOrEqual(RESERVE * 0.8);
    // Alone, every instance spends its own reserve: ~4× the fleet's retries.
    expect(aloneRetries).toBeGreaterThanOrEqual(INSTANCES * RESERVE);
    expect(aloneRetries).toBeGreaterThanOrEqual(3 * sharedRetries);
  });
});

describe('circuit breaker', () => {
  it('one instance cannot open the fleet; a quorum can, and every instance stops sending within one flush period; half-open probes are fleet-wide; recovery closes all', async () => {
    await all((w, i) => w.loop('breaker', PATHS[i]!, 20));

    // One bad instance: it opens alone.
    server.route('/w0', { status: 503 });
    await until(
      () => workers[0]!.stats('breaker'),
      (s) => s.breaker?.state === 'open',
    );
    await until(
      () => workers[3]!.stats('breaker'),
      (s) => s.fleet?.openVotes === 1,
    );
    await flushPeriods('breaker', 1);
    for (const w of workers.slice(1)) expect((await w.stats('breaker')).breaker?.state).toBe('closed');

    // A second one: quorum. The others open within one flush period of it.
    server.route('/w1', { status: 503 });
    await all((w) =>
      until(
        () => w.stats('breaker'),
        (s) => s.breaker?.state === 'open',
      ),
    );
    const opened = await all(async (w) => (await w.transitions('breaker')).find((t) => t.to === 'open')!);
    const quorumAt = opened[1]!.at;
    for (const i of [2, 3]) {
      expect(opened[i]!.reason).toMatch(/^fleet: 2 instances open/);
      expect(opened[i]!.at - quorumAt).toBeLessThanOrEqual(FLUSH);
    }
    // Everything fails from now on; while the fleet is open, nobody sends.
    for (const p of PATHS) server.route(p, { status: 503 });
    const whileOpen = requestsTo(['/w2', '/w3']);
    await flushPeriods('breaker', 2);
    const sent = requestsTo(['/w2', '/w3']);
    const states = await all(async (w) => (await w.stats('breaker')).breaker?.state);
    expect([states[2], states[3]]).toEqual(['open', 'open']);
    expect(sent).toBe(whileOpen);

    // Half-open: the open periods end; across the fleet at most halfOpenProbes (1) probe goes out.
    const beforeProbe = requestsTo(PATHS);
    const sinceOpen = Date.now();
    await all((w) =>
      until(
        () => w.transitions('breaker'),
        (log) => log.some((t) => t.to === 'half-open' && t.at >= sinceOpen - FLUSH),
      ),
    );
    await until(
      () => all((w) => w.transitions('breaker')),
      (logs) => logs.some((log) => log.some((t) => t.reason === 'half-open probe failed')),
    );
    await flushPeriods('breaker', 2);
    const probes = requestsTo(PATHS) - beforeProbe;
    console.info(`breaker: ${probes} fleet-wide half-open probe(s)`);
    expect(probes).toBe(BREAKER.halfOpenProbes);

    // Recovery: the next probe succeeds and closes every instance.
    for (const p of PATHS) server.route(p, { status: 200 });
    await all((w) =>
      until(
        () => w.stats('breaker'),
        (s) => s.breaker?.state === 'closed',
        15_000,
      ),
    );
    const closers = (await all((w) => w.transitions('breaker'))).map((log) => log.at(-1)!.reason);
    expect(closers.filter((r) => r === 'half-open probes succeeded')).toHaveLength(1);
    expect(closers.filter((r) => r === 'fleet: closed by another instance')).toHaveLength(INSTANCES - 1);
    const flowing = requestsTo(PATHS);
    await flushPeriods('breaker', 1);
    expect(requestsTo(PATHS)).toBeGreaterThan(flowing);
    const tallies = await all((w) => w.stopLoop());
    expect(tallies.every((t) => t.calls > 0)).toBe(true);
  }, 60_000);

  it('isolate() and reset() act fleet-wide', async () => {
    expect(await workers[0]!.isolate('steady')).toBe('isolated');
    await all((w) =>
      until(
        () => w.stats('steady'),
        (s) => s.breaker?.state === 'isolated',
      ),
    );
    expect(await workers[2]!.reset('steady')).toBe('closed');
    await all((w) =>
      until(
        () => w.stats('steady'),
        (s) => s.breaker?.state === 'closed',
      ),
    );
  });
});

describe('cost in Redis', () => {
  it('a few commands per second per instance whatever the call rate; every key namespaced and expiring', async () => {
    const client = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true });
    await client.connect();
    try {
      const scripts = async (): Promise<number> => {
        const info = await client.info('commandstats');
        return [...info.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
      };
      /** Scripts per second per instance over 4 flush periods. */
      const rate = async (): Promise<number> => {
        const started = Date.now();
        const before = await scripts();
        await flushPeriods('steady', 4);
        return ((await scripts()) - before) / INSTANCES / ((Date.now() - started) / 1000);
      };
      const idle = await rate();
      await all((w) => w.loop('steady', '/', 2)); // as many calls as the machine allows
      await flushPeriods('steady', 1);
      const busy = await rate();
      const tallies = await all((w) => w.stopLoop());
      const calls = tallies.reduce((n, t) => n + t.calls, 0);
      console.info(
        `cost: ${idle.toFixed(1)} scripts/s per instance idle, ${busy.toFixed(1)} while making ${calls} calls (3 upstreams, flush ${FLUSH} ms)`,
      );
      // One script per upstream per flush period (3 × 4/s here; 2/s per upstream at the default
      // 500 ms), and no more when calls flow. A 4-period window can catch one more flush per
      // upstream than it spans (a flush just inside each end), hence the 5/4.
      for (const r of [idle, busy]) expect(r).toBeLessThanOrEqual(3 * (1000 / FLUSH) * (5 / 4) + 1);
      expect(busy).toBeLessThanOrEqual(idle * 1.25 + 1);
      expect(calls).toBeGreaterThan(40);

      const keys = await client.keys('*');
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key.startsWith('steady:{spec:')).toBe(true);
        expect(await client.pttl(key)).toBeGreaterThan(0);
      }
    } finally {
      client.disconnect();
    }
  }, 30_000);
});

/** Healthy upstream, calls every 10 ms: the baseline tally, then the tally while `during` runs. */
async function underTrouble(during: () => Promise<void>): Promise<{ before: Tally[]; trouble: Tally[] }> {
  await all((w) => w.loop('steady', '/', 10));
  await flushPeriods('steady', 1);
  await all((w) => w.loopTally()); // warm-up, dropped
  // As long as the trouble lasts, under the same stats() polling.
  await flushPeriods('steady', 4);
  const before = await all((w) => w.loopTally());
  await during();
  const trouble = await all((w) => w.loopTally());
  await all((w) => w.stopLoop());
  return { before, trouble };
}

function expectUnharmed(before: Tally[], trouble: Tally[]): void {
  console.info(
    'latency ms (p50/p99/max) before → during:',
    trouble.map((t, i) => `${fmt(before[i]!)} → ${fmt(t)}`).join('; '),
  );
  for (const [i, t] of trouble.entries()) {
    expect(t.calls).toBeGreaterThan(10);
    expect(t.errors).toEqual({});
    expect(t.ok).toBe(t.calls);
    // No call waited for Redis, and the median stays where it was (generous: the machine is shared).
    // Redis stays unreachable for more than 4 flush periods: a call that waited on it would show.
    expect(t.max).toBeLessThan(FLUSH * 3);
    expect(t.p50).toBeLessThanOrEqual(before[i]!.p50 * 3 + 50);
  }
}

const fmt = (t: Tally): string => [t.p50, t.p99, t.max].map((n) => n.toFixed(1)).join('/');

describe('Redis in trouble', () => {
  it('a Redis that answers nothing (SIGSTOP): calls unchanged, local within a flush period, back on SIGCONT', async () => {
    const { before, trouble } = await underTrouble(async () => {
      redis.pause();
      try {
        await all((w) =>
          until(
            () => w.stats('steady'),
            (s) => s.fleet?.connected === false,
          ),
        );
        // Local at most one flush period after the sync that got no answer was sent (itself at
        // most one flush period after the last answer), read in one stats() of each worker.
        for (const { fleet } of await all((w) => w.stats('steady'))) {
          expect(Number(fleet!.lastSyncAgeMs) - Number(fleet!.localForMs)).toBeLessThanOrEqual(2 * FLUSH + 100);
        }
        await all((w) =>
          until(
            () => w.stats('steady'),
            (s) => (s.fleet?.lastSyncAgeMs ?? 0) >= 4 * FLUSH,
          ),
        );
      } finally {
        redis.resume();
      }
    });
    expectUnharmed(before, trouble);
    await all((w) =>
      until(
        () => w.stats('steady'),
        (s) => s.fleet?.connected === true && s.fleet.instances === INSTANCES,
      ),
    );
  }, 30_000);

  it('Redis killed mid-run: no call fails or slows; restarted, sharing resumes by itself', async () => {
    const { before, trouble } = await underTrouble(async () => {
      await redis.kill();
      await all((w) =>
        until(
          () => w.stats('steady'),
          (s) => s.fleet?.connected === false,
        ),
      );
      await all((w) =>
        until(
          () => w.stats('steady'),
          (s) => (s.fleet?.lastSyncAgeMs ?? 0) >= 4 * FLUSH,
        ),
      );
    });
    expectUnharmed(before, trouble);
    // While Redis was down each instance decided alone: a local isolate stayed local.
    await redis.restart();
    await all((w) =>
      until(
        () => w.stats('steady'),
        (s) => s.fleet?.connected === true && s.fleet.instances === INSTANCES,
        15_000,
      ),
    );
    // Sharing resumed on the empty, restarted Redis: an isolation reaches every instance.
    await workers[1]!.isolate('steady');
    await all((w) =>
      until(
        () => w.stats('steady'),
        (s) => s.breaker?.state === 'isolated',
      ),
    );
    await workers[3]!.reset('steady');
    await all((w) =>
      until(
        () => w.stats('steady'),
        (s) => s.breaker?.state === 'closed',
      ),
    );
  }, 40_000);
});
