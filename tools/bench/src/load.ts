/**
 * The load loop: run `total` calls with at most `concurrency` in flight, bounded in count
 * and in time, and measure latency, errors, client CPU and peak RSS.
 */
import { performance } from 'node:perf_hooks';
import type { LoadSummary } from './client-protocol.ts';
import { errorCode, percentile } from './stats.ts';

/** One call; it resolves when the response body has been read. A `false` result counts as a failure. */
export type Call = (index: number, signal: AbortSignal) => Promise<unknown>;

/** How much load to generate. */
export interface LoadOptions {
  total: number;
  concurrency: number;
  /** Stop starting calls after this many ms, and abort whatever is left at this deadline (plus `graceMs`). */
  timeLimitMs: number;
  /** Extra ms after `timeLimitMs` before in-flight calls are aborted. @default 2_000 */
  graceMs?: number;
}

/** What one load run measured. */
export interface LoadResult {
  started: number;
  ok: number;
  failed: number;
  /** Failures by error code (or `HTTP_<status>`). */
  errors: Record<string, number>;
  /** Calls still unsettled at the deadline (they were aborted by the bench). */
  unsettled: number;
  durationMs: number;
  /** Latency of every settled call (ok or failed), ms. */
  latencies: number[];
  /** Client CPU (user + system) per started call, µs. */
  cpuMicrosPerCall: number;
  /** Highest RSS sampled during the run, bytes. */
  peakRss: number;
}

/** Run the load; never throws because of a call. */
export async function runLoad(call: Call, options: LoadOptions): Promise<LoadResult> {
  const { total, concurrency, timeLimitMs } = options;
  const controller = new AbortController();
  const errors: Record<string, number> = {};
  const latencies: number[] = [];
  let started = 0;
  let ok = 0;
  let failed = 0;
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 25);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const stopAt = t0 + timeLimitMs;
  const killer = setTimeout(
    () => controller.abort(new Error('bench deadline')),
    timeLimitMs + (options.graceMs ?? 2_000),
  );

  const worker = async (): Promise<void> => {
    while (started < total && performance.now() < stopAt && !controller.signal.aborted) {
      const index = started++;
      const begin = performance.now();
      try {
        const result = await call(index, controller.signal);
        if (result === false) {
          failed++;
          errors.FALSE = (errors.FALSE ?? 0) + 1;
        } else ok++;
      } catch (error) {
        failed++;
        const code = errorCode(error);
        errors[code] = (errors[code] ?? 0) + 1;
      }
      latencies.push(performance.now() - begin);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, worker));
  const durationMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearTimeout(killer);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  return {
    started,
    ok,
    failed,
    errors,
    unsettled: started - ok - failed,
    durationMs,
    latencies,
    cpuMicrosPerCall: started === 0 ? 0 : (cpu.user + cpu.system) / started,
    peakRss,
  };
}

/** The result without the latency list: p50/p99 instead (small enough to send over IPC). */
export function summarize(result: LoadResult): LoadSummary {
  return {
    started: result.started,
    ok: result.ok,
    failed: result.failed,
    errors: result.errors,
    durationMs: result.durationMs,
    p50: percentile(result.latencies, 50),
    p99: percentile(result.latencies, 99),
    cpuMicrosPerCall: result.cpuMicrosPerCall,
    peakRss: result.peakRss,
  };
}
