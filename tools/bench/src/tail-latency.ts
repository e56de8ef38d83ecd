/**
 * Two sections on one upstream process (`tail-upstream-process.ts`, a TLS `node:http2` server
 * that also speaks HTTP/1.1):
 *
 * - `hedge`: an upstream where 1 % of responses take 1 s; Steady without and with hedging
 *   (`hedge: { delay: 'p99' }`), 16 calls in flight on a pool of 32, same run: p50/p99/p99.9
 *   and the extra requests the server saw.
 * - `h2`: Steady over HTTP/1.1 and over HTTP/2 (`pool.http2: true`) against the same server,
 *   interleaved rounds: req/s, p50/p99 and connections opened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createUpstream, type Upstream, type UpstreamOptions } from '@steady/core';
import { TEST_TLS } from '@steady/fault-server';
import { trackChild } from './children.ts';
import type { BenchContext } from './context.ts';
import { median, percentile } from './stats.ts';

const SCRIPT = fileURLToPath(new URL('./tail-upstream-process.ts', import.meta.url));

/** One client of the `hedge` section. */
export interface HedgeRow {
  client: string;
  calls: number;
  errors: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** Requests the server received per call, minus 1 (0.03 = 3 % extra load). */
  extraRequests: number;
  hedgesSent: number;
  hedgesWon: number;
  /** The adaptive delay at the end of the run, ms. */
  delay: number | null;
}

/** One client of the `h2` section (median round, latencies of every round). */
export interface H2Row {
  client: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  /** Connections the client opened per round, warm-up included (median). */
  connections: number;
}

interface Counters {
  requests: number;
  connections: number;
  slow: number;
}

/** The upstream process: one TLS port for h1 and h2. */
class TailUpstream {
  readonly #child: ChildProcess;
  readonly origin: string;

  private constructor(child: ChildProcess, port: number) {
    this.#child = child;
    this.origin = `https://127.0.0.1:${port}`;
  }

  static async start(cpu: string | undefined): Promise<TailUpstream> {
    const nodeArgs = [...process.execArgv.filter((a) => a.startsWith('--conditions')), SCRIPT];
    const [command, argv] =
      cpu === undefined ? [process.execPath, nodeArgs] : ['taskset', ['-c', cpu, process.execPath, ...nodeArgs]];
    const child = spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    trackChild(child);
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`tail upstream exited before ready (code ${code})`)));
      child.once('message', (m: { port: number }) => resolve(m.port));
    });
    return new TailUpstream(child, port);
  }

  #ask(cmd: 'counters' | 'reset'): Promise<Counters> {
    return new Promise((resolve) => {
      this.#child.once('message', (m: { counters: Counters }) => resolve(m.counters));
      this.#child.send({ cmd });
    });
  }

  counters(): Promise<Counters> {
    return this.#ask('counters');
  }

  reset(): Promise<Counters> {
    return this.#ask('reset');
  }

  kill(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.#child.once('exit', () => resolve());
      this.#child.kill('SIGKILL');
    });
  }
}

/** `calls` calls of `path`, `concurrency` at a time, each read to the end; latencies in ms. */
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

function steady(origin: string, options: Partial<UpstreamOptions> = {}): Upstream {
  return createUpstream({ origin, ...options, pool: { ...options.pool, tls: { ca: TEST_TLS.cert } } });
}

/**
 * The `hedge` section: no hedging vs `hedge: { delay: 'p99' }`, same upstream, same run, in
 * interleaved chunks (A B A B …) so that background load hits both clients alike.
 */
export async function runHedge(ctx: BenchContext): Promise<HedgeRow[]> {
  const calls = ctx.settings.quick ? 3_000 : 20_000;
  const chunks = ctx.settings.quick ? 3 : 10;
  const concurrency = 16;
  const upstream = await TailUpstream.start(ctx.settings.serverCpu);
  const clients: Array<[string, Partial<UpstreamOptions>]> = [
    ['Steady, no hedging', { pool: { connections: 32 } }],
    ["Steady, hedge: { delay: 'p99' }", { pool: { connections: 32 }, hedge: { delay: 'p99' } }],
  ];
  const ups = clients.map(([, options]) => steady(upstream.origin, options));
  const acc = clients.map(() => ({ latencies: [] as number[], errors: 0, requests: 0, slow: 0 }));
  try {
    // Warm: sockets, JIT, and the hedge's latency window.
    for (const up of ups) await drive(up, '/tail', 500, concurrency);
    const before = ups.map((up) => up.stats().hedge);
    for (let chunk = 0; chunk < chunks; chunk++) {
      for (let c = 0; c < ups.length; c++) {
        await upstream.reset();
        const run = await drive(ups[c]!, '/tail', Math.floor(calls / chunks), concurrency);
        const server = await upstream.counters();
        const a = acc[c]!;
        for (const l of run.latencies) a.latencies.push(l);
        a.errors += run.errors;
        a.requests += server.requests;
        a.slow += server.slow;
      }
    }
    ctx.log(`hedge: done (${acc.map((a) => a.slow).join(' / ')} slow responses at the server)`);
    return clients.map(([client], c) => {
      const a = acc[c]!;
      const after = ups[c]!.stats().hedge;
      const n = a.latencies.length;
      return {
        client,
        calls: n,
        errors: a.errors,
        p50: percentile(a.latencies, 50),
        p99: percentile(a.latencies, 99),
        p999: percentile(a.latencies, 99.9),
        max: percentile(a.latencies, 100),
        extraRequests: a.requests / n - 1,
        hedgesSent: after.sent - before[c]!.sent,
        hedgesWon: after.won - before[c]!.won,
        delay: after.delay,
      };
    });
  } finally {
    for (const up of ups) await up.destroy();
    await upstream.kill();
  }
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
  }));
  try {
    for (let round = 0; round < rounds; round++) {
      for (let c = 0; c < clients.length; c++) {
        const up = steady(upstream.origin, clients[c]![1]);
        try {
          await drive(up, '/x', ctx.settings.quick ? 300 : 2_000, concurrency);
          await upstream.reset();
          const run = await drive(up, '/x', calls, concurrency);
          const acc = per[c]!;
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
    };
  });
}

const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

/** Markdown tables of both sections (empty sections are left out). */
export function renderTailTables(hedge: HedgeRow[], h2: H2Row[]): string {
  const out: string[] = [];
  if (hedge.length > 0) {
    out.push(
      '### Tail latency: 1 % of responses take 1 s (same run)',
      '',
      '| client | calls | p50 ms | p99 ms | p99.9 ms | max ms | extra requests | hedges sent / won | hedge delay at end | errors |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...hedge.map(
        (r) =>
          `| ${r.client} | ${r.calls} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.p999)} | ${ms(r.max)} | ${(r.extraRequests * 100).toFixed(2)} % | ${r.hedgesSent} / ${r.hedgesWon} | ${r.delay === null ? '—' : `${ms(r.delay)} ms`} | ${r.errors} |`,
      ),
    );
    const [plain, hedged] = hedge;
    if (plain !== undefined && hedged !== undefined) {
      out.push(
        '',
        `p99 ${(plain.p99 / hedged.p99).toFixed(1)}× lower with hedging (target ≥ 5× at ≤ 5 % extra requests).`,
      );
    }
    out.push('');
  }
  if (h2.length > 0) {
    out.push(
      '### HTTP/2 vs HTTP/1.1, same TLS server (median round)',
      '',
      '| client | req/s | p50 ms | p99 ms | connections | errors |',
      '| --- | --- | --- | --- | --- | --- |',
      ...h2.map(
        (r) =>
          `| ${r.client} | ${r.requestsPerSecond.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.connections} | ${r.errors} |`,
      ),
      '',
    );
  }
  return out.join('\n');
}
