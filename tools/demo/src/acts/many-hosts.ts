/**
 * Act 6: one axios instance, three hosts, one of them failing. `createAxios()` without an
 * origin runs every absolute URL through an agent: each host gets its own pool, retry budget
 * and breaker, so the failing host is cut off while the other two are served untouched. The
 * numbers on screen come from `@steady/otel` (OpenTelemetry metrics read from an in-memory
 * reader), as a dashboard would show them.
 */
import type { SpawnedFaultServer } from '@steady/fault-server';
import { createAxios, getAgent } from '@steady/axios';
import { instrumentSteady } from '@steady/otel';
import { runCall, record, newTally } from '../outcome.ts';
import type { Tally } from '../outcome.ts';
import { createDemoMetrics } from '../metrics.ts';
import type { DemoMetrics, HostFigures } from '../metrics.ts';
import { clamp, seconds, sleep, topErrors } from './act.ts';
import type { ActContext } from './act.ts';

/** The three hosts of this act, by label; `search` answers 503 to everything. */
export const HOSTS = ['payments', 'catalog', 'search'] as const;
export type HostLabel = (typeof HOSTS)[number];
export const FAILING_HOST: HostLabel = 'search';

/**
 * What the metrics said about one host at the end of the act: breaker state, `steady.client.events`
 * by `steady.event` (retry, breaker_opened, rejected, …), retry budget available, calls measured.
 */
export type HostMetrics = HostFigures;

/** Summary of act 6 (Steady only: the act shows one instance across several hosts). */
export interface ManyHostsSummary {
  act: number;
  title: string;
  durationMs: number;
  /** Per host: what the one axios instance's callers got. */
  hosts: Record<HostLabel, Tally>;
  /** Per host: the OpenTelemetry metrics at the end of the act. */
  metrics: Record<HostLabel, HostMetrics>;
  /** Requests sent to the failing host: its calls that were not refused at once, plus retries. */
  failingHostRequests: number;
  steadyHeld: boolean;
  verdict: string;
}

/** Run act 6 against three fault servers (child processes). */
export async function manyHostsAct(
  ctx: Pick<ActContext, 'options' | 'live' | 'paint'>,
  servers: Record<HostLabel, SpawnedFaultServer>,
): Promise<ManyHostsSummary> {
  const { options, live, paint } = ctx;
  const started = Date.now();
  const metrics: DemoMetrics = createDemoMetrics();
  const otel = instrumentSteady({ meterProvider: metrics.meterProvider });
  const api = createAxios(); // no origin: any absolute URL, each host on its own upstream
  const agent = getAgent(api);
  const portOf = (h: HostLabel): number => Number(new URL(servers[h].url).port);
  const hosts = Object.fromEntries(HOSTS.map((h) => [h, newTally()])) as Record<HostLabel, Tally>;
  let snapshot = metrics.empty();
  const rounds = clamp(options.actMs / 60, 20, 200);
  const gapMs = clamp(options.actMs / rounds, 10, 100);
  let round = 0;

  const hostRow = (h: HostLabel): string => {
    const t = hosts[h];
    const m = snapshot.host(portOf(h));
    const state = m.breakerState;
    const colour = state === 'closed' ? paint.green : state === 'open' ? paint.red : paint.yellow;
    const failed = t.failed - t.refused;
    return (
      `  ${h.padEnd(9)} served ${String(t.ok).padStart(4)}  refused at once ${String(t.refused).padStart(4)}` +
      `  failed ${String(failed).padStart(3)}  breaker ${colour(state.padEnd(9))}` +
      `  retries ${String(m.events.retry ?? 0).padStart(3)}  budget left ${String(m.budgetAvailable).padStart(3)}` +
      (failed > 0 ? `  ${paint.dim(topErrors(t, 1))}` : '')
    );
  };
  live.beginAct(
    paint.bold(`Act 6/6 · one axios instance, three hosts, "${FAILING_HOST}" failing (createAxios(), no origin)`),
    () => [
      ...HOSTS.map(hostRow),
      paint.dim(
        `  round ${round}/${rounds} · one GET per host every ${gapMs} ms · figures from @steady/otel metrics ` +
          `(steady.client.events, breaker state, retry budget)`,
      ),
    ],
  );
  try {
    for (round = 1; round <= rounds; round++) {
      await Promise.all(
        HOSTS.map(async (h) => {
          const outcome = await runCall((signal) => api.get(`${servers[h].url}/api`, { signal }), {
            watchdogMs: 10_000,
          });
          record(hosts[h], outcome);
        }),
      );
      if (round % 5 === 0 || round === rounds) snapshot = await metrics.read();
      if (round < rounds) await sleep(gapMs);
    }
  } finally {
    round = rounds;
    snapshot = await metrics.read();
    live.endAct();
    otel.shutdown();
    await agent.close();
    await metrics.shutdown();
  }

  const perHost = Object.fromEntries(HOSTS.map((h) => [h, snapshot.host(portOf(h))])) as Record<HostLabel, HostMetrics>;
  const failingHostRequests =
    hosts[FAILING_HOST].calls - hosts[FAILING_HOST].refused + (perHost[FAILING_HOST].events.retry ?? 0);
  const healthy = HOSTS.filter((h) => h !== FAILING_HOST);
  const healthyServed = healthy.every((h) => hosts[h].ok === hosts[h].calls && hosts[h].calls > 0);
  const healthyClosed = healthy.every((h) => (perHost[h].events.breaker_opened ?? 0) === 0);
  const failing = hosts[FAILING_HOST];
  const failingCut = (perHost[FAILING_HOST].events.breaker_opened ?? 0) > 0 && failing.refused > 0;
  return {
    act: 6,
    title: 'one axios instance, three hosts, one failing',
    durationMs: Date.now() - started,
    hosts,
    metrics: perHost,
    failingHostRequests,
    steadyHeld: healthyServed && healthyClosed && failingCut,
    verdict:
      `one createAxios() instance: ${healthy.join(' and ')} served ${healthy.map((h) => hosts[h].ok).join(' and ')} of ` +
      `${healthy.map((h) => hosts[h].calls).join(' and ')} calls with their breakers closed, while "${FAILING_HOST}"'s ` +
      `own breaker opened and refused ${failing.refused} of its ${failing.calls} calls at once, so it was sent only ` +
      `${failingHostRequests} requests (${perHost[FAILING_HOST].events.retry ?? 0} of them retries, within its budget) ` +
      `in ${seconds(Date.now() - started)}`,
  };
}
