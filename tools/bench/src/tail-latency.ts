/**
 * The `h2` section, on the upstream process of the `hedge` section (`tail-upstream.ts`): Steady
 * over HTTP/1.1 and over HTTP/2 (`pool.http2: true`) against the same TLS server, interleaved
 * rounds: req/s, p50/p99 and connections opened. And the markdown tables of both sections.
 */
import type { Upstream, UpstreamOptions } from '@steady/core';
import type { BenchContext } from './context.ts';
import { renderHedgeTables, type HedgeSection } from './hedge-bench.ts';
import { median, percentile } from './stats.ts';
import { tailClient, TailUpstream } from './tail-upstream.ts';

/** One client of the `h2` section (median round, latencies of every round). */
export interface H2Row {
  client: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  /** Connections the client opened per round, warm-up included (median). */
  connections: number;
  /** CPU per call of the bench process (the client), µs (median round): steadier than req/s on a busy machine. */
  clientCpuMicros: number;
  /** CPU per request of the upstream process, µs (median round). */
  serverCpuMicros: number;
}

/** `calls` calls of `path`, `concurrency` at a time (closed loop), each read to the end; latencies in ms. */
async function drive(
  up: Upstream,
  path: string,
  calls: number,
  concurrency: number,
): Promise<{ latencies: Float64Array; errors: number; seconds: number }> {
  const latencies = new Float64Array(calls);
  let next = 0;
  let errors = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < calls) {
      const i = next++;
      const t0 = performance.now();
      try {
        const res = await up.request(path);
        await res.body.dump();
        if (res.statusCode !== 200) errors++;
      } catch {
        errors++;
      }
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, errors, seconds: (performance.now() - started) / 1_000 };
}

/** The `h2` section: Steady over HTTP/1.1 vs HTTP/2 on the same server, interleaved rounds. */
export async function runH2(ctx: BenchContext): Promise<H2Row[]> {
  const calls = ctx.settings.quick ? 4_000 : 20_000;
  const concurrency = 64;
  const rounds = ctx.settings.rounds;
  const upstream = await TailUpstream.start(ctx.settings.serverCpu);
  const clients: Array<[string, Partial<UpstreamOptions>]> = [
    ['Steady over HTTP/1.1 (TLS, default pool)', {}],
    ['Steady over HTTP/2 (TLS, pool.http2: true)', { pool: { http2: true } }],
  ];
  const per = clients.map(() => ({
    rps: [] as number[],
    latencies: [] as number[],
    errors: 0,
    connections: [] as number[],
    clientCpu: [] as number[],
    serverCpu: [] as number[],
  }));
  try {
    for (let round = 0; round < rounds; round++) {
      for (let c = 0; c < clients.length; c++) {
        const up = tailClient(upstream.origin, clients[c]![1]);
        try {
          await drive(up, '/x', ctx.settings.quick ? 300 : 2_000, concurrency);
          await upstream.reset();
          const cpu0 = process.cpuUsage();
          const run = await drive(up, '/x', calls, concurrency);
          const cpu = process.cpuUsage(cpu0);
          const server = await upstream.counters();
          const acc = per[c]!;
          acc.clientCpu.push((cpu.user + cpu.system) / calls);
          acc.serverCpu.push(server.cpuMicros / calls);
          acc.rps.push(calls / run.seconds);
          for (const l of run.latencies) acc.latencies.push(l);
          acc.errors += run.errors;
          acc.connections.push(up.stats().pool.socketsOpened);
        } finally {
          await up.destroy();
        }
      }
      ctx.log(`h2: round ${round + 1}/${rounds} done`);
    }
  } finally {
    await upstream.kill();
  }
  return clients.map(([client], c) => {
    const acc = per[c]!;
    return {
      client,
      requestsPerSecond: median(acc.rps),
      p50: percentile(acc.latencies, 50),
      p99: percentile(acc.latencies, 99),
      errors: acc.errors,
      connections: median(acc.connections),
      clientCpuMicros: median(acc.clientCpu),
      serverCpuMicros: median(acc.serverCpu),
    };
  });
}

const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

/** Markdown tables of both sections (empty sections are left out). */
export function renderTailTables(hedge: HedgeSection | undefined, h2: readonly H2Row[]): string {
  const out: string[] = renderHedgeTables(hedge);
  if (h2.length > 0) {
    out.push(
      '### HTTP/2 vs HTTP/1.1, same TLS server (median round)',
      '',
      '| client | req/s | p50 ms | p99 ms | client CPU µs/call | upstream CPU µs/request | connections | errors |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...h2.map(
        (r) =>
          `| ${r.client} | ${r.requestsPerSecond.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.clientCpuMicros.toFixed(1)} | ${r.serverCpuMicros.toFixed(1)} | ${r.connections} | ${r.errors} |`,
      ),
      '',
    );
  }
  return out.join('\n');
}
