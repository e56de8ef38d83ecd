/**
 * Act 2: the upstream dies and comes back. Plain clients send their calls into the closed port
 * and fail; Steady (its defaults) retries each refused connection until the port is back, so its
 * callers wait out the restart instead of failing. Its breaker weighs the refused attempts against
 * the act's healthy start: should they reach half of its window, it opens, refuses calls at once
 * without I/O, probes half-open and closes again once the upstream answers.
 */
import type { SpawnedFaultServer } from '@steady/fault-server';
import type { SteadyUpstreamOptions } from '@steady/nest';
import type { Children } from '../children.ts';
import { runCall, record } from '../outcome.ts';
import { clamp, clientRow, clientsFor, newTallies, seconds, sleep, steadyGauges } from './act.ts';
import type { ActContext, ActSummaryBase } from './act.ts';

/** The upstream name of this act in the Nest app. */
export const OUTAGE_UPSTREAM = 'flaky';

/** One `breakerStateChange` event, timed from the start of the act. */
export interface BreakerTransition {
  atMs: number;
  from: string;
  to: string;
  reason: string;
}

/** Summary of act 2. */
export interface OutageSummary extends ActSummaryBase {
  /** When the upstream was killed and when it was back, ms from the start of the act. */
  outage: { fromMs: number; toMs: number };
  breaker: {
    transitions: BreakerTransition[];
    opened: boolean;
    halfOpened: boolean;
    /** Closed again after having opened, and still closed at the end. */
    recovered: boolean;
    /** Closed at the end of the act (never opened, or recovered). */
    closedAtEnd: boolean;
    /** Steady calls rejected by the open breaker without touching the network. */
    failedFast: number;
    /** From the upstream's restart to the breaker closing, ms (null when it did not close). */
    recoveryMs: number | null;
  };
}

/** Steady options of this act's upstream: the defaults (the breaker, retries and deadline users get). */
export function outageUpstreamOptions(origin: string): SteadyUpstreamOptions {
  return { origin };
}

/** Run act 2: kill the upstream's process, then restart it on the same port. */
export async function outageAct(
  ctx: ActContext,
  server: SpawnedFaultServer,
  children: Children,
): Promise<OutageSummary> {
  const { options, live, paint, app } = ctx;
  const started = Date.now();
  const at = (): number => Date.now() - started;
  const upstream = app.upstream(OUTAGE_UPSTREAM);
  const path = '/api';
  const tallies = newTallies();
  /** Steady clients served after the upstream was back (the act ends once both were). */
  const servedAfterBack = new Set<string>();
  const transitions: BreakerTransition[] = [];
  let state = 'closed';
  let phase = 'healthy';
  const healthyMs = clamp(options.actMs * 0.2, 200, 5000);
  // A restart of 2 s or more (a deploy's), even in --quick.
  const downMs = clamp(options.actMs * 0.45, 2000, 20_000);
  // Ends early once the breaker is closed and every Steady client was served again; the bound
  // covers a call still in its retry backoff when the port is back (up to ~2 s) and the default
  // open period across a few refused probes, with room for a slow, loaded machine.
  const recoverMs = Math.max(clamp(options.actMs * 0.35, 500, 20_000), 6000);
  const intervalMs = clamp(options.actMs / 40, 20, 150);
  const outage = { fromMs: 0, toMs: 0 };

  const dispose = upstream.on('breakerStateChange', (event) => {
    state = event.to;
    transitions.push({ atMs: at(), from: event.from, to: event.to, reason: event.reason });
    const color = event.to === 'closed' ? paint.green : event.to === 'open' ? paint.red : paint.yellow;
    live.note(`  ${seconds(at()).padStart(7)}  breaker ${event.from} → ${color(event.to)}  ${paint.dim(event.reason)}`);
  });
  const clients = clientsFor(ctx, OUTAGE_UPSTREAM);
  live.beginAct(paint.bold('Act 2/6 · the upstream dies and comes back (a restart; Steady defaults)'), () => [
    ...clients.map((c) => clientRow(paint, c.name, tallies[c.name])),
    paint.dim(`  upstream ${phase} · ${steadyGauges(upstream)} · failed fast ${fastCount()}`),
  ]);
  function fastCount(): number {
    return (
      (tallies['steady-axios'].errors.STEADY_CIRCUIT_OPEN ?? 0) + (tallies['steady-ky'].errors.STEADY_CIRCUIT_OPEN ?? 0)
    );
  }

  let running = true;
  const loops = clients.map(async (client) => {
    for (let i = 0; i < 2000 && running; i++) {
      const outcome = await runCall((signal) => client.get(path, signal), { watchdogMs: 5000 });
      record(tallies[client.name], outcome);
      if (outcome.ok && outage.toMs > 0) servedAfterBack.add(client.name);
      await sleep(intervalMs);
    }
  });
  try {
    await sleep(healthyMs);
    outage.fromMs = at();
    phase = 'DOWN';
    await server.kill('SIGKILL');
    live.note(`  ${seconds(at()).padStart(7)}  ${paint.red('upstream killed')} (pid ${server.pid})`);
    await sleep(downMs);
    await server.restart();
    children.refresh(server);
    outage.toMs = at();
    phase = 'back';
    live.note(`  ${seconds(at()).padStart(7)}  ${paint.green('upstream restarted')} (pid ${server.pid})`);
    // Wait for the breaker to be closed (a half-open probe closes it if it opened) and for every
    // Steady client to be served again, then show a few healthy calls.
    const until = Date.now() + recoverMs;
    const steadyBack = (): boolean => clients.every((c) => !c.name.startsWith('steady') || servedAfterBack.has(c.name));
    while (Date.now() < until && !(state === 'closed' && steadyBack())) await sleep(25);
    await sleep(Math.min(300, until - Date.now()));
  } finally {
    running = false;
    await Promise.all(loops);
    dispose();
    live.endAct();
  }

  const opened = transitions.some((t) => t.to === 'open');
  const halfOpened = transitions.some((t) => t.to === 'half-open');
  const recovered = opened && state === 'closed' && transitions.at(-1)?.to === 'closed';
  const closedAtEnd = state === 'closed';
  const failedFast = fastCount();
  const closedAt = recovered ? transitions.at(-1)!.atMs : undefined;
  const recoveryMs = closedAt === undefined ? null : Math.max(0, closedAt - outage.toMs);
  const steady = [tallies['steady-axios'], tallies['steady-ky']];
  // A Steady call is lost when it failed otherwise than refused at once by the open breaker.
  const lost = steady.reduce((n, t) => n + t.failed - t.refused, 0);
  const served = steady.reduce((n, t) => n + t.ok, 0);
  const slowestMs = Math.max(...steady.map((t) => t.okMaxMs));
  const plain = [tallies.axios, tallies.ky, tallies.fetch];
  const plainFailed = plain.reduce((n, t) => n + t.failed, 0);
  const plainCalls = plain.reduce((n, t) => n + t.calls, 0);
  return {
    act: 2,
    title: 'upstream restart',
    durationMs: Date.now() - started,
    clients: tallies,
    steadyHeld: lost === 0 && closedAtEnd && (!opened || recovered),
    verdict:
      `upstream down ${seconds(outage.toMs - outage.fromMs)}: Steady ` +
      (lost === 0 ? 'lost no call' : `lost ${lost} calls`) +
      ` (${served} served, the slowest after ${slowestMs} ms, retrying the refused connection until the port was back` +
      (failedFast > 0 ? `; ${failedFast} refused at once without I/O` : '') +
      '); its breaker ' +
      (opened
        ? recoveryMs === null
          ? 'opened and did NOT close again'
          : `opened and closed ${recoveryMs} ms after the upstream was back`
        : 'stayed closed') +
      `; plain clients failed ${plainFailed} of ${plainCalls} calls`,
    outage,
    breaker: { transitions, opened, halfOpened, recovered, closedAtEnd, failedFast, recoveryMs },
  };
}
