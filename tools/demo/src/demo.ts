/**
 * The demo: start the fault servers as child processes and the Nest app, run the five
 * acts, stop everything, and return the summary.
 */
import { spawnFaultServer } from '@steady/fault-server';
import type { SpawnedFaultServer } from '@steady/fault-server';
import type { DemoOptions } from './args.ts';
import type { Children } from './children.ts';
import { CLIENT_NAMES } from './clients.ts';
import { startCountingServer } from './counting-server-handle.ts';
import type { CountingServer } from './counting-server-handle.ts';
import type { Live, Paint } from './live.ts';
import { startSteadyApp } from './nest-app.ts';
import type { SteadyApp } from './nest-app.ts';
import type { ActContext } from './acts/act.ts';
import { BURST_UPSTREAM, WORK_LATENCY_MS, WORK_PATH, burstAct, burstUpstreamOptions } from './acts/burst.ts';
import type { BurstSummary } from './acts/burst.ts';
import { DEPLOY_UPSTREAM, SLOW_PATH, deployAct, slowLatencyFor } from './acts/deploy.ts';
import type { DeploySummary } from './acts/deploy.ts';
import { HANG_PATH, HUNG_UPSTREAM, hungUpstreamAct, hungUpstreamOptions } from './acts/hung-upstream.ts';
import type { HungUpstreamSummary } from './acts/hung-upstream.ts';
import { OUTAGE_UPSTREAM, outageAct, outageUpstreamOptions } from './acts/outage.ts';
import type { OutageSummary } from './acts/outage.ts';
import { STALE_UPSTREAM, staleSocketsAct } from './acts/stale-sockets.ts';
import type { StaleSocketsSummary } from './acts/stale-sockets.ts';
import { FAILING_HOST, HOSTS, manyHostsAct } from './acts/many-hosts.ts';
import type { HostLabel, ManyHostsSummary } from './acts/many-hosts.ts';

/** The JSON summary (`--json`). */
export interface DemoSummary {
  /** Every act's `steadyHeld`. */
  ok: boolean;
  options: Omit<DemoOptions, 'tty' | 'json'>;
  clients: readonly string[];
  durationMs: number;
  acts: {
    staleSockets: StaleSocketsSummary;
    outage: OutageSummary;
    hungUpstream: HungUpstreamSummary;
    burst: BurstSummary;
    deploy: DeploySummary;
    manyHosts: ManyHostsSummary;
  };
  /** Every child process the demo started; all are gone when it exits. */
  children: { pids: number[] };
}

interface Servers {
  lb: SpawnedFaultServer;
  flaky: SpawnedFaultServer;
  hung: SpawnedFaultServer;
  counting: CountingServer;
  /** Act 6: three hosts, one of them answering 503 to everything. */
  hosts: Record<HostLabel, SpawnedFaultServer>;
}

/** Start every server as a child process, registering each as soon as it runs. */
async function startServers(options: DemoOptions, children: Children): Promise<Servers> {
  const [lb, flaky, hung, counting] = await Promise.allSettled([
    spawnFaultServer(['--lb-idle-timeout', String(options.lbIdleMs)]).then((h) => children.add(h)),
    spawnFaultServer([]).then((h) => children.add(h)),
    spawnFaultServer(['--routes', JSON.stringify({ [HANG_PATH]: { hang: true } })]).then((h) => children.add(h)),
    startCountingServer({
      [WORK_PATH]: { latency: WORK_LATENCY_MS },
      [SLOW_PATH]: { latency: slowLatencyFor(options) },
    }).then((h) => children.add(h)),
  ]);
  const hosts = await Promise.allSettled(
    HOSTS.map((h) =>
      spawnFaultServer(
        h === FAILING_HOST
          ? ['--routes', JSON.stringify({ '/api': { status: 503, body: { json: { text: 'down' } } } })]
          : [],
      ).then((handle) => children.add(handle)),
    ),
  );
  for (const result of [lb, flaky, hung, counting, ...hosts]) if (result.status === 'rejected') throw result.reason;
  const value = <T>(r: PromiseSettledResult<T>): T => (r as PromiseFulfilledResult<T>).value;
  const servers = {
    lb: value(lb),
    flaky: value(flaky),
    hung: value(hung),
    counting: value(counting),
    hosts: Object.fromEntries(HOSTS.map((h, i) => [h, value(hosts[i]!)])) as Record<HostLabel, SpawnedFaultServer>,
  };
  if (servers.lb.lbUrl === undefined) throw new Error('the fault server started no load balancer');
  return servers;
}

/** Run the whole demo. Children are stopped (and the app closed) even when an act throws. */
export async function runDemo(
  options: DemoOptions,
  live: Live,
  paint: Paint,
  children: Children,
): Promise<DemoSummary> {
  const started = Date.now();
  let app: SteadyApp | undefined;
  try {
    live.print([
      paint.dim('starting 7 fault servers (child processes) and a NestJS app with SteadyModule…'),
      paint.dim("Steady runs with its defaults; an act's title names any setting it changes."),
    ]);
    const servers = await startServers(options, children);
    app = await startSteadyApp({
      upstreams: {
        [STALE_UPSTREAM]: { origin: servers.lb.lbUrl! },
        [OUTAGE_UPSTREAM]: outageUpstreamOptions(servers.flaky.url),
        [HUNG_UPSTREAM]: hungUpstreamOptions(servers.hung.url),
        [BURST_UPSTREAM]: burstUpstreamOptions(options, servers.counting.url),
        [DEPLOY_UPSTREAM]: { origin: servers.counting.url },
      },
    });
    const ctx: ActContext = { options, live, paint, app };
    const staleSockets = await staleSocketsAct(ctx);
    const outage = await outageAct(ctx, servers.flaky, children);
    const hungUpstream = await hungUpstreamAct(ctx);
    const burst = await burstAct(ctx, servers.counting);
    const deploy = await deployAct(ctx);
    app = undefined; // closed by act 5
    const manyHosts = await manyHostsAct(ctx, servers.hosts);
    const acts = { staleSockets, outage, hungUpstream, burst, deploy, manyHosts };
    await children.stopAll();
    return {
      ok: Object.values(acts).every((act) => act.steadyHeld),
      options: { actMs: options.actMs, lbIdleMs: options.lbIdleMs, burst: options.burst, poolSize: options.poolSize },
      clients: CLIENT_NAMES,
      durationMs: Date.now() - started,
      acts,
      children: { pids: children.pids() },
    };
  } finally {
    if (app) await app.close().catch(() => {});
    await children.stopAll();
  }
}
