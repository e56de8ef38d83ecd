/**
 * Section 1: throughput. 20k GETs of the 1 KiB JSON body at 64 in flight per client,
 * a warm-up, then interleaved rounds (A B C …, A B C …); medians per client.
 */
import type { ClientId, ClientSpec } from './clients.ts';
import { expectOk, sleep } from './context.ts';
import type { BenchContext } from './context.ts';
import { runLoad } from './load.ts';
import type { LoadResult } from './load.ts';
import { median, percentile, ratio } from './stats.ts';
import type { UpstreamProcess } from './upstream.ts';

/** One measured run. */
export interface RunFigures {
  reqPerSec: number;
  p50: number;
  p99: number;
  /** Sockets the server accepted during the run. */
  sockets: number;
  /** Most sockets open at the server at once during the run. */
  peakSockets: number;
  cpuMicrosPerCall: number;
  peakRssMb: number;
  failed: number;
  errors: Record<string, number>;
}

/** One client's row: every round and the medians. */
export interface ThroughputRow {
  id: ClientId;
  label: string;
  steady: boolean;
  rounds: RunFigures[];
  median: RunFigures;
  vsUndici: number;
  vsPlain: number | undefined;
}

/** Turn a load result plus server counters into the figures of one run. */
export function figuresOf(result: LoadResult, sockets: number, peakSockets: number): RunFigures {
  return {
    reqPerSec: result.ok / (result.durationMs / 1000),
    p50: percentile(result.latencies, 50),
    p99: percentile(result.latencies, 99),
    sockets,
    peakSockets,
    cpuMicrosPerCall: result.cpuMicrosPerCall,
    peakRssMb: result.peakRss / 1024 / 1024,
    failed: result.failed,
    errors: result.errors,
  };
}

/** The per-field median of several runs (errors summed). */
export function medianFigures(runs: readonly RunFigures[]): RunFigures {
  const pick = (key: keyof Omit<RunFigures, 'errors'>): number => median(runs.map((r) => r[key]));
  const errors: Record<string, number> = {};
  for (const run of runs) for (const [code, n] of Object.entries(run.errors)) errors[code] = (errors[code] ?? 0) + n;
  return {
    reqPerSec: pick('reqPerSec'),
    p50: pick('p50'),
    p99: pick('p99'),
    sockets: Math.max(...runs.map((r) => r.sockets)),
    peakSockets: Math.max(...runs.map((r) => r.peakSockets)),
    cpuMicrosPerCall: pick('cpuMicrosPerCall'),
    peakRssMb: pick('peakRssMb'),
    failed: runs.reduce((sum, r) => sum + r.failed, 0),
    errors,
  };
}

/** Run one client once on a cold start (server-side idle sockets dropped first). */
export async function measureRun(
  spec: ClientSpec,
  upstream: UpstreamProcess,
  options: { connections: number; requests: number; concurrency: number; timeLimitMs: number; steady?: object },
): Promise<RunFigures> {
  await upstream.closeIdleSockets();
  await sleep(50);
  await upstream.resetCounters();
  const client = await spec.create({
    origin: upstream.url,
    connections: options.connections,
    steady: options.steady ?? {},
  });
  try {
    const result = await runLoad(async (_i, signal) => expectOk(await client.get('/data', signal)), {
      total: options.requests,
      concurrency: options.concurrency,
      timeLimitMs: options.timeLimitMs,
    });
    const counters = await upstream.counters();
    return figuresOf(result, counters.server.connections, counters.server.maxConcurrentSockets);
  } finally {
    await client.close();
  }
}

/** Run section 1 against `upstream`; `connections` is Steady's default pool size, given to raw undici too. */
export async function runThroughput(
  ctx: BenchContext,
  upstream: UpstreamProcess,
  connections: number,
): Promise<ThroughputRow[]> {
  const { settings } = ctx;
  const base = { connections, concurrency: settings.concurrency, timeLimitMs: settings.quick ? 8_000 : 60_000 };
  ctx.log(`throughput: warm-up (${settings.warmup} GETs per client)`);
  for (const spec of ctx.clients) await measureRun(spec, upstream, { ...base, requests: settings.warmup });
  const runs = new Map<ClientId, RunFigures[]>(ctx.clients.map((c) => [c.id, []]));
  for (let round = 1; round <= settings.rounds; round++) {
    for (const spec of ctx.clients) {
      const figures = await measureRun(spec, upstream, { ...base, requests: settings.requests });
      runs.get(spec.id)!.push(figures);
      ctx.log(
        `throughput: round ${round}/${settings.rounds} ${spec.label.padEnd(32)} ${figures.reqPerSec.toFixed(0).padStart(7)} req/s` +
          (figures.failed ? `  failed ${figures.failed} ${JSON.stringify(figures.errors)}` : ''),
      );
    }
  }
  const medians = new Map(ctx.clients.map((c) => [c.id, medianFigures(runs.get(c.id)!)]));
  const undici = medians.get('undici')?.reqPerSec;
  return ctx.clients.map((spec) => {
    const m = medians.get(spec.id)!;
    return {
      id: spec.id,
      label: spec.label,
      steady: spec.steady,
      rounds: runs.get(spec.id)!,
      median: m,
      vsUndici: ratio(m.reqPerSec, undici),
      vsPlain: spec.plain === undefined ? undefined : ratio(m.reqPerSec, medians.get(spec.plain)?.reqPerSec),
    };
  });
}
