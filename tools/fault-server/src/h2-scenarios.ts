/**
 * The HTTP/2 scenarios every Steady client is tested with (core, createAxios, withSteady(ky)):
 * each drives a client through a small {@link H2Caller} and returns what happened; the
 * test asserts. Bounded in count and time.
 */
import type { H2Counters, H2Server } from './h2-server.ts';
import type { SpawnedH2Server } from './h2-spawn.ts';

/** One client under test: each call reads the whole body and resolves with the status. */
export interface H2Caller {
  get(path: string): Promise<number>;
  post(path: string, body: string, requestId: string): Promise<number>;
}

/** The pool figures a scenario reads (from `upstream.stats().pool`). */
export interface H2PoolFigures {
  socketsOpened: number;
  socketsOpen: number;
  pingTimeouts: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(read: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await read()) return true;
    await pause(20);
  }
  return false;
}

/** `n` concurrent GETs (each held 50 ms by the server): their statuses and the server's counters. */
export async function multiplexScenario(
  caller: H2Caller,
  server: H2Server,
  n = 100,
): Promise<{ statuses: number[]; counters: H2Counters }> {
  const statuses = await Promise.all(Array.from({ length: n }, () => caller.get('/m?latency=50')));
  return { statuses, counters: server.counters() };
}

/**
 * `total` calls, half POSTs (each with its own `x-request-id`), `concurrency` in flight, and
 * two graceful restarts of the server (GOAWAY) during the load. Returns the outcome of each
 * GET and of each POST by request id (`ok`, or the error's code), and how often the server
 * processed each request id.
 */
export async function goawayScenario(
  caller: H2Caller,
  server: H2Server,
  total = 300,
  concurrency = 30,
): Promise<{ gets: string[]; posts: Record<string, string>; counters: H2Counters }> {
  const gets: string[] = [];
  const posts: Record<string, string> = {};
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const id = `r${i}`;
      const post = i % 2 === 0;
      let outcome: string;
      try {
        const status = post ? await caller.post('/g?latency=10', `{"i":${i}}`, id) : await caller.get('/g?latency=10');
        outcome = status === 200 ? 'ok' : `status ${status}`;
      } catch (error) {
        outcome = String((error as { code?: unknown }).code ?? error);
      }
      if (post) posts[id] = outcome;
      else gets.push(outcome);
    }
  };
  const load = Promise.all(Array.from({ length: concurrency }, worker));
  await until(() => next >= total / 4, 10_000);
  await server.restart();
  await until(() => next >= (total * 3) / 5, 10_000);
  await server.restart();
  await load;
  return { gets, posts, counters: server.counters() };
}

/**
 * The ghost connection: warm the client, SIGSTOP the server process (no FIN, no RST), send
 * `stalled` calls (they must end by their deadline), wait for the PING watchdog to drop the
 * connection, SIGCONT, and call until one succeeds; then 20 more calls.
 */
export async function ghostScenario(
  caller: H2Caller,
  child: SpawnedH2Server,
  pool: () => H2PoolFigures,
  stalled = 10,
): Promise<{
  warmSockets: number;
  errors: unknown[];
  elapsed: number;
  detected: boolean;
  recovered: boolean;
  after: number[];
  opened: number;
}> {
  for (let i = 0; i < 3; i++) await caller.get('/warm');
  const warmSockets = pool().socketsOpen;
  child.pause();
  let resumed = false;
  try {
    const started = Date.now();
    const settled = await Promise.allSettled(Array.from({ length: stalled }, () => caller.get('/x')));
    const elapsed = Date.now() - started;
    const errors = settled.map((r) => (r.status === 'rejected' ? r.reason : r.value));
    const detected = await until(() => pool().pingTimeouts >= 1 && pool().socketsOpen === 0, 5_000);
    child.resume();
    resumed = true;
    const recovered = await until(
      () =>
        caller.get('/after').then(
          (status) => status === 200,
          () => false,
        ),
      10_000,
    );
    const after = await Promise.all(Array.from({ length: 20 }, () => caller.get('/x')));
    return { warmSockets, errors, elapsed, detected, recovered, after, opened: pool().socketsOpened };
  } finally {
    if (!resumed) child.resume();
  }
}
