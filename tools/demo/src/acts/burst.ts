/**
 * Act 4: a burst of calls at once, client after client. Plain clients open a socket per
 * concurrent call (the server counts them); Steady keeps to its pool, queues a bounded
 * number of calls and fails the overflow at once with STEADY_BULKHEAD_FULL.
 */
import type { SteadyUpstreamOptions } from '@steady/nest';
import type { DemoOptions } from '../args.ts';
import { isSteady } from '../clients.ts';
import type { ClientName } from '../clients.ts';
import type { CountingServer } from '../counting-server-handle.ts';
import { runCall, record } from '../outcome.ts';
import { clientRow, clientsFor, newTallies, steadyGauges } from './act.ts';
import type { ActContext, ActSummaryBase } from './act.ts';

/** The upstream name of this act in the Nest app. */
export const BURST_UPSTREAM = 'burst';

/** The route of this act and its latency. */
export const WORK_PATH = '/work';
export const WORK_LATENCY_MS = 20;

/** Per-client figures measured at the server and at the client. */
export interface BurstClientFigures {
  /** Most sockets open at once at the server during this client's burst. */
  maxSockets: number;
  /** Sockets the server accepted during this client's burst. */
  connections: number;
  /** Wall time of the whole burst, ms. */
  durationMs: number;
  /** Slowest STEADY_BULKHEAD_FULL rejection, ms (how fast the overflow fails). */
  rejectMaxMs: number;
}

/** Summary of act 4. */
export interface BurstSummary extends ActSummaryBase {
  callsPerClient: number;
  poolSize: number;
  maxQueued: number;
  figures: Record<ClientName, BurstClientFigures>;
}

/**
 * Steady options of this act's upstream: a pool of `poolSize` sockets (shown on screen), so that
 * the bound is easy to see; the bulkhead keeps its defaults, derived from the pool size.
 */
export function burstUpstreamOptions(options: DemoOptions, origin: string): SteadyUpstreamOptions {
  return { origin, pool: { connections: options.poolSize } };
}

/** Run act 4 against the counting server. */
export async function burstAct(ctx: ActContext, server: CountingServer): Promise<BurstSummary> {
  const { options, live, paint, app } = ctx;
  const started = Date.now();
  const path = WORK_PATH;
  const tallies = newTallies();
  const figures = {} as Record<ClientName, BurstClientFigures>;
  const upstream = app.upstream(BURST_UPSTREAM);
  const clients = clientsFor(ctx, BURST_UPSTREAM);
  let current: ClientName | undefined;

  live.beginAct(
    paint.bold(
      `Act 4/5 · a burst of ${options.burst} calls at once, per client (Steady: pool.connections ${options.poolSize}, other settings default)`,
    ),
    () => [
      ...clients.map((c) => {
        const f = figures[c.name];
        const sockets = f
          ? `sockets ${String(f.maxSockets).padStart(5)}  `
          : c.name === current
            ? 'running…       '
            : '               ';
        return clientRow(paint, c.name, tallies[c.name], sockets);
      }),
      paint.dim(
        `  sockets: most open at once, counted at the server · ${WORK_LATENCY_MS} ms per request · ${steadyGauges(upstream)}`,
      ),
    ],
  );
  try {
    for (const client of clients) {
      current = client.name;
      await server.reset();
      const t0 = performance.now();
      let rejectMaxMs = 0;
      await Promise.all(
        Array.from({ length: options.burst }, async () => {
          const outcome = await runCall((signal) => client.get(path, signal), { watchdogMs: 30_000 });
          if (outcome.code === 'STEADY_BULKHEAD_FULL') rejectMaxMs = Math.max(rejectMaxMs, outcome.ms);
          record(tallies[client.name], outcome);
        }),
      );
      const durationMs = Math.round(performance.now() - t0);
      const counters = await server.counters();
      figures[client.name] = {
        maxSockets: counters.maxConcurrentSockets,
        connections: counters.connections,
        durationMs,
        rejectMaxMs: Math.round(rejectMaxMs),
      };
    }
  } finally {
    current = undefined;
    live.endAct();
  }

  const bulkhead = upstream.options.bulkhead;
  const maxQueued = bulkhead === false ? 0 : bulkhead.maxQueued;
  const steady = clients.filter((c) => isSteady(c.name));
  const steadyBounded = steady.every((c) => (figures[c.name]?.maxSockets ?? Infinity) <= options.poolSize);
  const steadyOnlyOverflow = steady.every((c) => {
    const t = tallies[c.name];
    return t.ok + (t.errors.STEADY_BULKHEAD_FULL ?? 0) === t.calls && t.ok > 0;
  });
  const plainMax = Math.max(...clients.filter((c) => !isSteady(c.name)).map((c) => figures[c.name]?.maxSockets ?? 0));
  const steadyMax = Math.max(...steady.map((c) => figures[c.name]?.maxSockets ?? 0));
  return {
    act: 4,
    title: `burst of ${options.burst} calls`,
    durationMs: Date.now() - started,
    clients: tallies,
    steadyHeld: steadyBounded && steadyOnlyOverflow,
    verdict:
      `Steady used at most ${steadyMax} sockets (pool ${options.poolSize}) and failed the overflow fast with ` +
      `STEADY_BULKHEAD_FULL; plain clients opened up to ${plainMax} sockets at once`,
    callsPerClient: options.burst,
    poolSize: options.poolSize,
    maxQueued,
    figures,
  };
}
