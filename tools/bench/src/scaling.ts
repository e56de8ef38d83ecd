/**
 * Section 2: scaling. Raw undici and Steady core on a pool of 64 at 1…1,024 in flight
 * (interleaved rounds, medians), then 10,000 calls issued at once against that pool:
 * heap growth, sockets, and how the overflow is rejected.
 */
import { performance } from 'node:perf_hooks';
import type { ClientId } from './clients.ts';
import { expectOk, sleep } from './context.ts';
import type { BenchContext } from './context.ts';
import { errorCode } from './stats.ts';
import { measureRun, medianFigures } from './throughput.ts';
import type { RunFigures } from './throughput.ts';
import type { UpstreamProcess } from './upstream.ts';

/** Pool size for the scaling and queue runs. */
export const SCALING_POOL = 64;
/** In-flight levels of the scaling runs. */
export const SCALING_LEVELS = [1, 16, 64, 256, 1024] as const;

/** One client at one level. */
export interface ScalingRow {
  id: ClientId;
  label: string;
  concurrency: number;
  median: RunFigures;
}

/** The 10k-queued-calls measurement of one client configuration. */
export interface QueueRow {
  label: string;
  calls: number;
  ok: number;
  /** Failures by code (e.g. STEADY_BULKHEAD_FULL). */
  errors: Record<string, number>;
  /** Heap growth right after issuing every call (after a GC when available), MB. */
  heapGrowthMb: number;
  /** Peak server-side concurrent sockets. */
  peakSockets: number;
  socketsOpened: number;
  /** When the last overflow rejection settled, ms after the first call was issued. */
  rejectedWithinMs: number | undefined;
  durationMs: number;
  gc: boolean;
}

/** Run the scaling levels for raw undici and Steady core. */
export async function runScaling(ctx: BenchContext, upstream: UpstreamProcess): Promise<ScalingRow[]> {
  const specs = ctx.clients.filter((c) => c.id === 'undici' || c.id === 'steady');
  const requests = ctx.settings.quick ? 600 : 5_000;
  const rounds = ctx.settings.quick ? 2 : ctx.settings.rounds;
  const steady = { pool: { connections: SCALING_POOL } };
  const runs = new Map<string, RunFigures[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const level of SCALING_LEVELS) {
      for (const spec of specs) {
        const figures = await measureRun(spec, upstream, {
          connections: SCALING_POOL,
          requests: Math.max(requests, level * 2),
          concurrency: level,
          timeLimitMs: ctx.settings.quick ? 5_000 : 30_000,
          steady,
        });
        const key = `${spec.id}@${level}`;
        runs.set(key, [...(runs.get(key) ?? []), figures]);
      }
    }
    ctx.log(`scaling: round ${round}/${rounds} done`);
  }
  return SCALING_LEVELS.flatMap((level) =>
    specs.map((spec) => ({
      id: spec.id,
      label: spec.label,
      concurrency: level,
      median: medianFigures(runs.get(`${spec.id}@${level}`)!),
    })),
  );
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** Issue `calls` GETs at once against a pool of 64, for raw undici and Steady (default and a 10k queue). */
export async function runQueue(ctx: BenchContext, upstream: UpstreamProcess, calls = 10_000): Promise<QueueRow[]> {
  const variants: { label: string; id: ClientId; steady?: object }[] = [
    { label: 'undici Pool(64): undici queue', id: 'undici' },
    { label: 'Steady pool 64, default bulkhead', id: 'steady', steady: { pool: { connections: SCALING_POOL } } },
    {
      label: 'Steady pool 64, bulkhead maxQueued 10k',
      id: 'steady',
      steady: { pool: { connections: SCALING_POOL }, bulkhead: { maxQueued: calls } },
    },
  ];
  const rows: QueueRow[] = [];
  for (const variant of variants) {
    const spec = ctx.clients.find((c) => c.id === variant.id);
    if (spec === undefined) continue;
    await upstream.closeIdleSockets();
    await sleep(50);
    await upstream.resetCounters();
    const client = await spec.create({ origin: upstream.url, connections: SCALING_POOL, steady: variant.steady ?? {} });
    const controller = new AbortController();
    const killer = setTimeout(() => controller.abort(new Error('bench deadline')), 30_000);
    const errors: Record<string, number> = {};
    let ok = 0;
    let lastRejection: number | undefined;
    const before = heapUsed();
    const t0 = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < calls; i++) {
      pending.push(
        client.get('/data', controller.signal).then(
          (status) => {
            expectOk(status);
            ok++;
          },
          (error: unknown) => {
            const code = errorCode(error);
            errors[code] = (errors[code] ?? 0) + 1;
            if (code === 'STEADY_BULKHEAD_FULL') lastRejection = performance.now() - t0;
          },
        ),
      );
    }
    // Let admission settle (bulkhead rejections, pool queueing) before weighing the heap.
    await new Promise((resolve) => setImmediate(resolve));
    const growth = heapUsed() - before;
    await Promise.all(pending);
    const durationMs = performance.now() - t0;
    clearTimeout(killer);
    const counters = await upstream.counters();
    await client.close();
    const row: QueueRow = {
      label: variant.label,
      calls,
      ok,
      errors,
      heapGrowthMb: growth / 1024 / 1024,
      peakSockets: counters.server.maxConcurrentSockets,
      socketsOpened: counters.server.connections,
      rejectedWithinMs: lastRejection,
      durationMs,
      gc: typeof (globalThis as { gc?: unknown }).gc === 'function',
    };
    rows.push(row);
    ctx.log(`queue: ${row.label}: heap +${row.heapGrowthMb.toFixed(1)} MB, ok ${ok}, errors ${JSON.stringify(errors)}`);
  }
  return rows;
}
