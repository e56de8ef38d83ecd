/**
 * Act 3: the upstream accepts requests and never answers. Every Steady call settles by
 * its deadline (then the breaker fails the rest fast); plain clients have no deadline
 * and would wait forever: the demo's own watchdog gives up on them and counts them hung.
 */
import type { SteadyUpstreamOptions } from '@steady/nest';
import { isSteady } from '../clients.ts';
import type { ClientName } from '../clients.ts';
import { runCall, record } from '../outcome.ts';
import { clamp, clientRow, clientsFor, newTallies, seconds, steadyGauges } from './act.ts';
import type { ActContext, ActSummaryBase } from './act.ts';

/** The upstream name of this act in the Nest app. */
export const HUNG_UPSTREAM = 'hung';

/** The route that never answers. */
export const HANG_PATH = '/hang';

/** Summary of act 3. */
export interface HungUpstreamSummary extends ActSummaryBase {
  /** Steady's total deadline per call. */
  deadlineMs: number;
  /** When the demo gives up on a call that has not settled. */
  watchdogMs: number;
  /** Calls per client that settled by `deadlineMs` (+ a small scheduling slack). */
  settledByDeadline: Record<ClientName, number>;
  slackMs: number;
}

/** Steady options of this act's upstream: the defaults (a 5 s total deadline covering every attempt). */
export function hungUpstreamOptions(origin: string): SteadyUpstreamOptions {
  return { origin };
}

/** Run act 3: a wave of concurrent GETs to a route that hangs. */
export async function hungUpstreamAct(ctx: ActContext): Promise<HungUpstreamSummary> {
  const { options, live, paint, app } = ctx;
  const started = Date.now();
  const upstream = app.upstream(HUNG_UPSTREAM);
  // Steady's default total deadline; the demo gives up on plain clients a second after it.
  const deadlineMs = upstream.options.timeouts.total;
  const slackMs = clamp(options.actMs / 6, 250, 1000);
  const watchdogMs = deadlineMs + slackMs + 500;
  const perWave = 8;
  const waves = 1;
  const path = HANG_PATH;
  const tallies = newTallies();
  const settled = Object.fromEntries(Object.keys(tallies).map((name) => [name, 0])) as Record<ClientName, number>;
  const pending = Object.fromEntries(Object.keys(tallies).map((name) => [name, 0])) as Record<ClientName, number>;
  let wave = 0;

  const clients = clientsFor(ctx, HUNG_UPSTREAM);
  live.beginAct(
    paint.bold(
      `Act 3/5 · the upstream hangs (Steady's default deadline ${seconds(deadlineMs)}; plain clients have none)`,
    ),
    () => [
      ...clients.map((c) =>
        clientRow(
          paint,
          c.name,
          tallies[c.name],
          `waiting ${String(pending[c.name]).padStart(2)}  by deadline ${String(settled[c.name]).padStart(2)}  `,
        ),
      ),
      paint.dim(
        `  wave ${wave}/${waves} · ${perWave} GETs per client · watchdog ${seconds(watchdogMs)} · ${steadyGauges(upstream)}`,
      ),
    ],
  );
  try {
    for (wave = 1; wave <= waves; wave++) {
      await Promise.all(
        clients.flatMap((client) =>
          Array.from({ length: perWave }, async () => {
            pending[client.name]++;
            const outcome = await runCall((signal) => client.get(path, signal), { watchdogMs });
            pending[client.name]--;
            if (!outcome.hung && outcome.ms <= deadlineMs + slackMs) settled[client.name]++;
            record(tallies[client.name], outcome);
          }),
        ),
      );
    }
  } finally {
    wave = waves;
    live.endAct();
  }

  const steady = clients.filter((c) => isSteady(c.name));
  const steadyCalls = steady.reduce((n, c) => n + tallies[c.name].calls, 0);
  const steadySettled = steady.reduce((n, c) => n + settled[c.name], 0);
  const plainHung = clients.filter((c) => !isSteady(c.name)).reduce((n, c) => n + tallies[c.name].hung, 0);
  return {
    act: 3,
    title: 'hung upstream',
    durationMs: Date.now() - started,
    clients: tallies,
    steadyHeld: steadyCalls > 0 && steadySettled === steadyCalls,
    verdict:
      `Steady settled ${steadySettled}/${steadyCalls} calls by their ${deadlineMs} ms deadline; ` +
      `${plainHung} plain calls were still hanging after ${seconds(watchdogMs)}`,
    deadlineMs,
    watchdogMs,
    settledByDeadline: settled,
    slackMs,
  };
}
