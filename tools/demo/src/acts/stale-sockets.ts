/**
 * Act 1: a load balancer silently forgets idle keep-alive connections. GETs spaced just
 * above its idle timeout land on sockets the LB already dropped: plain clients see
 * ECONNRESET / "socket hang up"; Steady replays the request once on a fresh socket.
 */
import { runCall, record } from '../outcome.ts';
import { clamp, clientRow, clientsFor, newTallies, sleep, steadyGauges } from './act.ts';
import type { ActContext, ActSummaryBase } from './act.ts';

/** The upstream name of this act in the Nest app. */
export const STALE_UPSTREAM = 'lb';

/** Summary of act 1. */
export interface StaleSocketsSummary extends ActSummaryBase {
  lbIdleTimeoutMs: number;
  gapMs: number;
  rounds: number;
  /** Requests Steady replayed on a fresh socket after the LB reset a reused one. */
  replays: number;
}

/** Pause between rounds: just above the LB's idle timeout. */
export function gapFor(lbIdleMs: number): number {
  return lbIdleMs + Math.max(100, Math.round(lbIdleMs * 0.25));
}

/** Run act 1 against the Steady upstream `lb` (which points at the LB). */
export async function staleSocketsAct(ctx: ActContext): Promise<StaleSocketsSummary> {
  const { options, live, paint, app } = ctx;
  const started = Date.now();
  const gapMs = gapFor(options.lbIdleMs);
  const rounds = clamp(options.actMs / gapMs, 4, 40);
  const upstream = app.upstream(STALE_UPSTREAM);
  const path = '/api';
  const tallies = newTallies();
  let replays = 0;
  let round = 0;
  const dispose = upstream.on('replay', () => {
    replays++;
  });

  const clients = clientsFor(ctx, STALE_UPSTREAM);
  live.beginAct(
    paint.bold(
      `Act 1/5 · a load balancer silently drops idle keep-alive sockets (idle timeout ${options.lbIdleMs} ms)`,
    ),
    () => [
      ...clients.map((c) => clientRow(paint, c.name, tallies[c.name])),
      paint.dim(
        `  round ${round}/${rounds} · a GET per client every ${gapMs} ms · ${steadyGauges(upstream)} · replays ${replays}`,
      ),
    ],
  );
  try {
    for (round = 1; round <= rounds; round++) {
      await Promise.all(
        clients.map(async (client) => {
          record(tallies[client.name], await runCall((signal) => client.get(path, signal), { watchdogMs: 5000 }));
        }),
      );
      if (round < rounds) await sleep(gapMs);
    }
  } finally {
    dispose();
    round = rounds;
    live.endAct();
  }

  const steadyFailed = tallies['steady-axios'].failed + tallies['steady-ky'].failed;
  const plainFailed = tallies.axios.failed + tallies.ky.failed + tallies.fetch.failed;
  return {
    act: 1,
    title: 'stale keep-alive sockets behind a load balancer',
    durationMs: Date.now() - started,
    clients: tallies,
    steadyHeld: steadyFailed === 0,
    verdict:
      `${rounds} GETs per client, ${gapMs} ms apart (LB idle timeout ${options.lbIdleMs} ms): ` +
      `Steady failed ${steadyFailed} (${replays} replays), plain clients failed ${plainFailed}`,
    lbIdleTimeoutMs: options.lbIdleMs,
    gapMs,
    rounds,
    replays,
  };
}
