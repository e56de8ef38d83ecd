/**
 * Act 5: a deploy. The Nest app shuts down (`app.close()`) while calls are in flight:
 * Steady stops admitting, drains what is in flight, then closes its sockets; later calls
 * fail at once with STEADY_CLOSED. Plain clients have no drain: the process exits and
 * their in-flight calls are cut off (emulated by aborting them).
 */
import type { DemoOptions } from '../args.ts';
import { isSteady } from '../clients.ts';
import type { ClientName } from '../clients.ts';
import { newTally, runCall, record } from '../outcome.ts';
import type { Tally } from '../outcome.ts';
import { clamp, clientRow, clientsFor, newTallies, sleep, steadyGauges } from './act.ts';
import type { ActContext, ActSummaryBase } from './act.ts';

/** The upstream name of this act in the Nest app. */
export const DEPLOY_UPSTREAM = 'deploy';

/** The slow route of this act. */
export const SLOW_PATH = '/slow';

/** Latency of the slow route: calls are still in flight when the deploy starts. */
export function slowLatencyFor(options: DemoOptions): number {
  return clamp(options.actMs / 6, 200, 1500);
}

/** Summary of act 5. */
export interface DeploySummary extends ActSummaryBase {
  /** Calls in flight per client when the shutdown started. */
  inFlightPerClient: number;
  /** In-flight calls that did not complete, per client. */
  lost: Record<ClientName, number>;
  /** How long `app.close()` took (the drain), ms. */
  closeMs: number;
  /** Calls made after the close, per Steady client. */
  afterClose: Record<string, Tally>;
}

/** Run act 5. It closes the Nest app: it must be the last act. */
export async function deployAct(ctx: ActContext): Promise<DeploySummary> {
  const { options, live, paint, app } = ctx;
  const started = Date.now();
  const path = SLOW_PATH;
  const perClient = 10;
  const latency = slowLatencyFor(options);
  const tallies = newTallies();
  const afterClose: Record<string, Tally> = { 'steady-axios': newTally(), 'steady-ky': newTally() };
  const upstream = app.upstream(DEPLOY_UPSTREAM);
  const clients = clientsFor(ctx, DEPLOY_UPSTREAM);
  const exitSignal = new AbortController();
  let phase = 'calls in flight';
  let closeMs: number;

  live.beginAct(
    paint.bold(`Act 5/5 · a deploy: the app shuts down with ${perClient} calls per client in flight`),
    () => [
      ...clients.map((c) => {
        const after = afterClose[c.name];
        return clientRow(
          paint,
          c.name,
          tallies[c.name],
          after ? `after close: ${after.errors.STEADY_CLOSED ?? 0} STEADY_CLOSED  ` : '',
        );
      }),
      paint.dim(
        `  ${phase} · ${latency} ms per request · plain clients: the process exits · ${steadyGauges(upstream)}`,
      ),
    ],
  );
  try {
    const inFlight = clients.flatMap((client) =>
      Array.from({ length: perClient }, async () => {
        const steady = isSteady(client.name);
        const outcome = await runCall((signal) => client.get(path, signal), {
          watchdogMs: 15_000,
          ...(steady ? {} : { signal: exitSignal.signal }),
        });
        // A plain call cut off by the "process exit" is lost, whatever error its client shows.
        if (!steady && !outcome.ok && exitSignal.signal.aborted) outcome.code = 'CUT_OFF_BY_EXIT';
        record(tallies[client.name], outcome);
      }),
    );
    await sleep(latency / 3);
    phase = 'app.close(): draining';
    live.note(`  ${paint.yellow('deploy:')} app.close() with calls in flight`);
    exitSignal.abort(new Error('process exit'));
    const t0 = performance.now();
    await app.close();
    closeMs = Math.round(performance.now() - t0);
    phase = `closed after ${closeMs} ms`;
    await Promise.all(inFlight);
    for (const client of clients.filter((c) => isSteady(c.name))) {
      for (let i = 0; i < 3; i++) {
        record(afterClose[client.name]!, await runCall((signal) => client.get(path, signal), { watchdogMs: 5000 }));
      }
    }
  } finally {
    live.endAct();
  }

  const lost = Object.fromEntries(clients.map((c) => [c.name, tallies[c.name].failed])) as Record<ClientName, number>;
  const steadyLost = lost['steady-axios'] + lost['steady-ky'];
  const closedAfter = Object.values(afterClose).every((t) => t.calls > 0 && (t.errors.STEADY_CLOSED ?? 0) === t.calls);
  const plainLost = lost.axios + lost.ky + lost.fetch;
  return {
    act: 5,
    title: 'deploy (graceful shutdown)',
    durationMs: Date.now() - started,
    clients: tallies,
    steadyHeld: steadyLost === 0 && closedAfter,
    verdict:
      `app.close() drained in ${closeMs} ms: Steady lost ${steadyLost} of ${perClient * 2} in-flight calls, ` +
      `later calls got STEADY_CLOSED; plain clients lost ${plainLost} of ${perClient * 3}`,
    inFlightPerClient: perClient,
    lost,
    closeMs,
    afterClose,
  };
}
