/**
 * Section 3: faults, the headline table. Every client, plain and with Steady, against
 * (a) a load balancer that forgets idle connections, (b) an upstream restart, (c) a hung
 * upstream, (d) a burst of 2,000 calls, (e) a POST dropped after its body was read.
 */
import { performance } from 'node:perf_hooks';
import type { BenchClient, ClientId, ClientSpec } from './clients.ts';
import { expectOk, sleep } from './context.ts';
import type { BenchContext } from './context.ts';
import { runLoad } from './load.ts';
import { errorCode, median, percentile } from './stats.ts';
import { spawnUpstream } from './upstream.ts';

/** Outcome of one client under one fault. */
export interface FaultCell {
  calls: number;
  failed: number;
  errors: Record<string, number>;
  p50Ms: number;
  maxMs: number;
  /** Mean latency of the fault calls minus the client's healthy median, ms. */
  addedMs?: number;
  /** Calls still unsettled when the bench gave up (hang). */
  unsettled?: number;
  /** Sockets the server accepted (burst). */
  sockets?: number;
  /** Most sockets open at the server at once (burst). */
  peakSockets?: number;
  durationMs?: number;
  /** Request bodies the server received minus calls made (drop). */
  duplicates?: number;
}

/** One client's row of the fault table. */
export interface FaultRow {
  id: ClientId;
  label: string;
  steady: boolean;
  plain?: ClientId;
  lb?: FaultCell;
  restart?: FaultCell;
  hang?: FaultCell;
  burst?: FaultCell;
  drop?: FaultCell;
}

/** The knobs of the fault section. */
export interface FaultPlan {
  lbIdleTimeout: number;
  lbCalls: number;
  restartWindowMs: number;
  hangCalls: number;
  hangCapMs: number;
  burst: number;
  dropCalls: number;
  connections: number;
}

/** Plan for quick or full mode. */
export function faultPlan(quick: boolean, connections: number): FaultPlan {
  return quick
    ? {
        lbIdleTimeout: 300,
        lbCalls: 6,
        restartWindowMs: 700,
        hangCalls: 2,
        hangCapMs: 6_000,
        burst: 2_000,
        dropCalls: 3,
        connections,
      }
    : {
        lbIdleTimeout: 300,
        lbCalls: 60,
        restartWindowMs: 1_500,
        hangCalls: 5,
        hangCapMs: 8_000,
        burst: 2_000,
        dropCalls: 10,
        connections,
      };
}

class Recorder {
  readonly latencies: number[] = [];
  readonly errors: Record<string, number> = {};
  calls = 0;
  failed = 0;
  async time(fn: () => Promise<unknown>): Promise<void> {
    this.calls++;
    const t0 = performance.now();
    try {
      await fn();
    } catch (error) {
      this.failed++;
      const code = errorCode(error);
      this.errors[code] = (this.errors[code] ?? 0) + 1;
    }
    this.latencies.push(performance.now() - t0);
  }
  cell(baseline?: number): FaultCell {
    const mean = this.latencies.reduce((a, b) => a + b, 0) / Math.max(1, this.latencies.length);
    const cell: FaultCell = {
      calls: this.calls,
      failed: this.failed,
      errors: this.errors,
      p50Ms: percentile(this.latencies, 50),
      maxMs: this.latencies.length ? Math.max(...this.latencies) : Number.NaN,
    };
    if (baseline !== undefined) cell.addedMs = mean - baseline;
    return cell;
  }
}

async function healthyMedian(client: BenchClient, calls = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await client.get('/data', AbortSignal.timeout(5_000)).catch(() => undefined);
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function withClients<T>(
  specs: readonly ClientSpec[],
  origin: string,
  plan: FaultPlan,
  run: (client: BenchClient, spec: ClientSpec) => Promise<T>,
): Promise<Map<ClientId, T>> {
  const out = new Map<ClientId, T>();
  await Promise.all(
    specs.map(async (spec) => {
      const client = await spec.create({ origin, connections: plan.connections });
      try {
        out.set(spec.id, await run(client, spec));
      } finally {
        await client.close();
      }
    }),
  );
  return out;
}

/** (a) GETs spaced wider than the LB's idle timeout; all clients at once, each on its own sockets. */
async function lbFault(ctx: BenchContext, plan: FaultPlan): Promise<Map<ClientId, FaultCell>> {
  const upstream = await spawnUpstream({ lbIdleTimeout: plan.lbIdleTimeout, cpu: ctx.settings.serverCpu });
  try {
    const gap = plan.lbIdleTimeout + 150;
    ctx.log(`faults (a): ${plan.lbCalls} GETs per client, ${gap} ms apart, LB idle timeout ${plan.lbIdleTimeout} ms`);
    return await withClients(ctx.clients, upstream.lbUrl!, plan, async (client) => {
      const baseline = await healthyMedian(client);
      const recorder = new Recorder();
      for (let i = 0; i < plan.lbCalls; i++) {
        await sleep(gap);
        await recorder.time(async () => expectOk(await client.get('/data', AbortSignal.timeout(10_000))));
      }
      return recorder.cell(baseline);
    });
  } finally {
    await upstream.kill();
  }
}

/** (b) Paced GETs from every client while the upstream process is killed and respawned on the same port. */
async function restartFault(ctx: BenchContext, plan: FaultPlan): Promise<Map<ClientId, FaultCell>> {
  const upstream = await spawnUpstream({ cpu: ctx.settings.serverCpu });
  let stop = false;
  let restartMs: number;
  try {
    const results = withClients(ctx.clients, upstream.url, plan, async (client) => {
      const baseline = await healthyMedian(client);
      const recorder = new Recorder();
      const worker = async (): Promise<void> => {
        for (let i = 0; i < 2_000 && !stop; i++) {
          await recorder.time(async () => expectOk(await client.get('/data', AbortSignal.timeout(10_000))));
          await sleep(20);
        }
      };
      await Promise.all([worker(), worker()]);
      return recorder.cell(baseline);
    });
    await sleep(plan.restartWindowMs / 2);
    const t0 = performance.now();
    await upstream.restart();
    restartMs = performance.now() - t0;
    await sleep(plan.restartWindowMs);
    stop = true;
    const out = await results;
    ctx.log(`faults (b): upstream down for ${restartMs.toFixed(0)} ms (SIGKILL + respawn on the same port)`);
    return out;
  } finally {
    stop = true;
    await upstream.kill();
  }
}

/** (c) Calls to a route that never answers; the bench gives up at `hangCapMs`. */
async function hangFault(ctx: BenchContext, plan: FaultPlan): Promise<Map<ClientId, FaultCell>> {
  const upstream = await spawnUpstream({ cpu: ctx.settings.serverCpu });
  const cap = new AbortController();
  const timer = setTimeout(() => cap.abort(new Error('bench cap')), plan.hangCapMs);
  try {
    ctx.log(`faults (c): ${plan.hangCalls} GETs per client to a hung route, cap ${plan.hangCapMs} ms`);
    return await withClients(ctx.clients, upstream.url, plan, async (client) => {
      const recorder = new Recorder();
      let unsettled = 0;
      await Promise.all(
        Array.from({ length: plan.hangCalls }, () =>
          recorder.time(async () => {
            try {
              expectOk(await client.get('/hang', cap.signal));
            } catch (error) {
              if (cap.signal.aborted) unsettled++;
              throw error;
            }
          }),
        ),
      );
      return { ...recorder.cell(), unsettled };
    });
  } finally {
    clearTimeout(timer);
    await upstream.kill();
  }
}

/** (d) 2,000 GETs issued at once, one client at a time, sockets counted at the server. */
async function burstFault(ctx: BenchContext, plan: FaultPlan): Promise<Map<ClientId, FaultCell>> {
  const upstream = await spawnUpstream({ cpu: ctx.settings.serverCpu });
  const out = new Map<ClientId, FaultCell>();
  try {
    for (const spec of ctx.clients) {
      await upstream.closeIdleSockets();
      await sleep(50);
      await upstream.resetCounters();
      const client = await spec.create({ origin: upstream.url, connections: plan.connections });
      try {
        const result = await runLoad(async (_i, signal) => expectOk(await client.get('/data', signal)), {
          total: plan.burst,
          concurrency: plan.burst,
          timeLimitMs: 20_000,
        });
        const counters = await upstream.counters();
        out.set(spec.id, {
          calls: result.started,
          failed: result.failed,
          errors: result.errors,
          p50Ms: percentile(result.latencies, 50),
          maxMs: Math.max(...result.latencies),
          sockets: counters.server.connections,
          peakSockets: counters.server.maxConcurrentSockets,
          durationMs: result.durationMs,
        });
      } finally {
        await client.close();
      }
    }
    ctx.log(`faults (d): burst of ${plan.burst} done`);
    return out;
  } finally {
    await upstream.kill();
  }
}

/** (e) POSTs that the server reads fully and then RSTs; duplicates = bodies received − calls. */
async function dropFault(ctx: BenchContext, plan: FaultPlan): Promise<Map<ClientId, FaultCell>> {
  const upstream = await spawnUpstream({ cpu: ctx.settings.serverCpu });
  const out = new Map<ClientId, FaultCell>();
  try {
    for (const spec of ctx.clients) {
      await upstream.resetCounters();
      const client = await spec.create({ origin: upstream.url, connections: plan.connections });
      const recorder = new Recorder();
      try {
        for (let i = 0; i < plan.dropCalls; i++) {
          await recorder.time(async () =>
            expectOk(await client.post('/drop', JSON.stringify({ order: i }), AbortSignal.timeout(10_000))),
          );
        }
      } finally {
        await client.close();
      }
      const counters = await upstream.counters();
      out.set(spec.id, { ...recorder.cell(), duplicates: counters.server.bodiesReceived - plan.dropCalls });
    }
    ctx.log(`faults (e): ${plan.dropCalls} dropped POSTs per client done`);
    return out;
  } finally {
    await upstream.kill();
  }
}

/** Run every fault and gather one row per client. */
export async function runFaults(ctx: BenchContext, plan: FaultPlan): Promise<FaultRow[]> {
  const lb = await lbFault(ctx, plan);
  const restart = await restartFault(ctx, plan);
  const hang = await hangFault(ctx, plan);
  const burst = await burstFault(ctx, plan);
  const drop = await dropFault(ctx, plan);
  return ctx.clients.map((spec) => {
    const row: FaultRow = { id: spec.id, label: spec.label, steady: spec.steady };
    if (spec.plain !== undefined) row.plain = spec.plain;
    for (const [key, map] of [
      ['lb', lb],
      ['restart', restart],
      ['hang', hang],
      ['burst', burst],
      ['drop', drop],
    ] as const) {
      const cell = map.get(spec.id);
      if (cell !== undefined) row[key] = cell;
    }
    return row;
  });
}
