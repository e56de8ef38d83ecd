/**
 * The bench itself (started by `main.ts` with `--conditions=steady-source --expose-gc`):
 * runs the sections, prints the tables, writes tmp/bench/results.json and tmp/bench/chart.svg
 * (and docs/bench.svg with --update-docs). Exit code 0 even when a target is missed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createUpstream } from '@steady/core';
import { parseArgs, USAGE } from './args.ts';
import { availableClients } from './clients.ts';
import type { BenchContext, BenchSettings } from './context.ts';
import { faultPlan, runFaults } from './faults.ts';
import { renderSvg } from './render-svg.ts';
import { renderReport } from './render-table.ts';
import { evaluateTargets } from './results.ts';
import type { BenchResults } from './results.ts';
import { runQueue, runScaling } from './scaling.ts';
import { runHedge } from './hedge-bench.ts';
import { renderTailTables, runH2 } from './tail-latency.ts';
import { runThroughput } from './throughput.ts';
import { measureFloors } from './floors.ts';
import { startThroughputUpstream } from './throughput-upstream.ts';
import { spawnUpstream } from './upstream.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(1);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const started = Date.now();
  const settings: BenchSettings = {
    quick: args.quick,
    requests: args.requests ?? (args.quick ? 2_000 : 20_000),
    rounds: args.rounds ?? (args.quick ? 1 : 3),
    // The minimum: each client process then warms up until its cost per call settles (warmup.ts).
    warmup: args.quick ? 300 : 10_000,
    concurrency: 64,
    serverCpu: process.env.STEADY_BENCH_SERVER_CPU,
    clientCpu: process.env.STEADY_BENCH_CLIENT_CPU,
    upstream: args.upstream,
    sections: args.sections,
  };
  const available = await availableClients();
  const missing = available.missing;
  const clients = available.clients.filter((c) => args.clients === undefined || args.clients.has(c.id));
  const ctx: BenchContext = {
    settings,
    clients,
    log: (line) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}\n`),
  };
  const probe = createUpstream({ origin: 'http://127.0.0.1:1' });
  const connections = probe.stats().pool.connections;
  await probe.destroy();

  const partial: Omit<BenchResults, 'targets'> = {
    date: new Date().toISOString(),
    node: process.version,
    mode: args.quick ? 'quick' : 'full',
    environment: {
      cpus: cpus().length,
      loadAverage: [loadavg()[0]!],
      clientCpu: process.env.STEADY_BENCH_CLIENT_CPU,
      serverCpu: settings.serverCpu,
      upstream: 'node:http @steady/fault-server in a separate process',
      gc: typeof (globalThis as { gc?: unknown }).gc === 'function',
    },
    connections,
    missingClients: missing,
    throughput: [],
    scaling: [],
    queue: [],
    faults: [],
  };

  if (settings.sections.has('throughput')) {
    const upstream = await startThroughputUpstream(settings.upstream, settings.serverCpu);
    partial.environment.throughputUpstream = upstream.description;
    process.stdout.write(`throughput upstream: ${upstream.description}\n`);
    try {
      partial.throughput = await runThroughput(ctx, upstream, connections);
    } finally {
      await upstream.stop();
    }
    if (partial.throughput.some((row) => row.id === 'axios' || row.id === 'ky')) {
      // The frameworks alone, same run, same core: the ceiling of the adapter targets.
      partial.floors = await measureFloors(settings.clientCpu, settings.quick ? 5_000 : 20_000);
      ctx.log(
        `floors: axios ${partial.floors.axios.toFixed(1)} µs, ky ${partial.floors.ky.toFixed(1)} µs CPU/call with no network`,
      );
    }
  }
  if (settings.sections.has('scaling') || settings.sections.has('queue')) {
    const upstream = await spawnUpstream({ cpu: settings.serverCpu });
    try {
      if (settings.sections.has('scaling')) partial.scaling = await runScaling(ctx, upstream);
      if (settings.sections.has('queue')) partial.queue = await runQueue(ctx, upstream);
    } finally {
      await upstream.kill();
    }
  }
  if (settings.sections.has('faults')) {
    const faultCtx = { ...ctx, clients: ctx.clients.filter((c) => !c.throughputOnly) };
    partial.faults = await runFaults(faultCtx, faultPlan(settings.quick, connections));
  }
  if (settings.sections.has('hedge')) partial.hedge = await runHedge(ctx);
  if (settings.sections.has('h2')) partial.h2 = await runH2(ctx);

  partial.environment.loadAverage.push(loadavg()[0]!);
  const results: BenchResults = { ...partial, targets: evaluateTargets(partial) };
  const dir = `${ROOT}tmp/bench`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/results.json`, `${JSON.stringify(results, null, 2)}\n`);
  const svg = renderSvg(results);
  writeFileSync(`${dir}/chart.svg`, svg);
  if (args.updateDocs) {
    mkdirSync(`${ROOT}docs`, { recursive: true });
    writeFileSync(`${ROOT}docs/bench.svg`, svg);
  }
  process.stdout.write(`${renderReport(results)}\n${renderTailTables(results.hedge, results.h2 ?? [])}\n`);
  ctx.log(`wrote tmp/bench/results.json and tmp/bench/chart.svg${args.updateDocs ? ' and docs/bench.svg' : ''}`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
