/**
 * The `hedge` section: an upstream where 1 % of responses take 1 s (`tail-upstream-process.ts`,
 * slow responses chosen at random per request), Steady without and with
 * `hedge: { delay: 'p99' }`, over HTTP/1.1 and over HTTP/2: four clients running at the same time.
 *
 * The load is paced (open loop: calls start on a fixed schedule whatever the others do) at a
 * rate far below what the client or the upstream can serve, so that a fast response is fast and
 * the tail is the upstream's slow responses, not queueing in either process. Two phases:
 *
 * - **per call**: single calls, `rate` per second: p50/p99/p99.9/max per call;
 * - **fan-out**: groups of {@link FAN_OUT} parallel calls (the issue's "a fan-out of 20 calls
 *   waits on that second in one request of five"), `rate / 20` groups per second: the latency
 *   of a group is that of its slowest call.
 *
 * Both report the extra requests the server received per call (hedged copies, cancelled losers
 * included) and the realized slow fraction at the server: with exactly 1 % slow, whether a
 * per-call p99 lands on a fast or a 1 s response is a coin flip of the run.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Upstream, UpstreamOptions } from '@steady/core';
import type { BenchContext } from './context.ts';
import { percentile } from './stats.ts';
import { tailClient, TailUpstream, type TailCounters } from './tail-upstream.ts';

/** Calls per fan-out group. */
export const FAN_OUT = 20;

/** One phase (per call or fan-out) of one client. */
export interface HedgePhase {
  /** Calls made (per call) or groups made (fan-out). */
  count: number;
  errors: number;
  p50: number;
  p99: number;
  /** NaN when fewer than 10,000 were measured (too few to read it). */
  p999: number;
  max: number;
  /** Requests the server received per call, minus 1 (0.03 = 3 % extra load). */
  extraRequests: number;
  /** Slow responses at the server. */
  slow: number;
  /** Slow responses over requests, at the server (the realized slow fraction). */
  slowFraction: number;
  hedgesSent: number;
  hedgesWon: number;
  /** Copies not sent (retry budget spent or no free bulkhead slot). */
  hedgesRefused: number;
  /** Connections the client opened during the phase (on HTTP/1.1 an aborted loser costs one). */
  connectionsOpened: number;
}

/** One client of the `hedge` section. */
export interface HedgeRow {
  client: string;
  protocol: 'HTTP/1.1' | 'HTTP/2';
  hedged: boolean;
  perCall: HedgePhase;
  fanOut: HedgePhase;
  /** The adaptive delay at the end of the run, ms. */
  delay: number | null;
}

/** The `hedge` section: every client, and how busy the two processes were. */
export interface HedgeSection {
  /** Calls started per second by each client, in both phases. */
  rate: number;
  /** Calls per fan-out group. */
  fanOut: number;
  rows: HedgeRow[];
  /** Mean CPU use of the bench process (every client) and of the upstream, as a share of one core. */
  clientCpu: number;
  serverCpu: number;
  /**
   * The longest event-loop delay of the bench process and of the upstream during the measured
   * phases, ms: a stall that no client caused (the machine's other load) shows here.
   */
  clientStallMs: number;
  serverStallMs: number;
}

interface Acc {
  latencies: number[];
  errors: number;
  calls: number;
}

const newAcc = (): Acc => ({ latencies: [], errors: 0, calls: 0 });

/**
 * Start `count` jobs, `rate` per second on a fixed schedule from `offsetMs` on (a late timer
 * starts every job that is due at once), without waiting for earlier jobs; resolves when every
 * job has settled.
 */
function paced(count: number, rate: number, offsetMs: number, job: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const started = performance.now() + offsetMs;
    let launched = 0;
    let settled = 0;
    const done = (): void => {
      if (++settled === count) resolve();
    };
    const tick = (): void => {
      const due = Math.min(count, Math.floor(((performance.now() - started) * rate) / 1_000) + 1);
      while (launched < due) {
        launched++;
        job().then(done, done);
      }
      if (launched < count) {
        setTimeout(tick, Math.max(0, started + (launched * 1_000) / rate - performance.now()));
      }
    };
    if (count === 0) resolve();
    else setTimeout(tick, offsetMs);
  });
}

/** One call of `path`, read to the end: its latency in ms, or NaN when it failed or was not a 200. */
async function call(up: Upstream, path: string, acc: Acc): Promise<number> {
  const t0 = performance.now();
  acc.calls++;
  try {
    const res = await up.request(path);
    await res.body.dump();
    return res.statusCode === 200 ? performance.now() - t0 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** A load: `count` jobs on one client, `rate` calls per second, starting after `offsetMs`. */
type Load = (up: Upstream, path: string, count: number, rate: number, offsetMs: number, acc: Acc) => Promise<void>;

/** `calls` single calls, `rate` per second. */
const perCallLoad: Load = (up, path, calls, rate, offsetMs, acc) =>
  paced(calls, rate, offsetMs, async () => {
    const ms = await call(up, path, acc);
    if (Number.isNaN(ms)) acc.errors++;
    else acc.latencies.push(ms);
  });

/** `groups` fan-outs of {@link FAN_OUT} parallel calls, `rate` calls (`rate / FAN_OUT` groups) per second. */
const fanOutLoad: Load = (up, path, groups, rate, offsetMs, acc) =>
  paced(groups, rate / FAN_OUT, offsetMs, async () => {
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: FAN_OUT }, () => call(up, path, acc)));
    // A group with a failed call is an error of the group: it has no latency.
    if (results.some(Number.isNaN)) acc.errors++;
    else acc.latencies.push(performance.now() - t0);
  });

/** CPU seconds of the bench process and of the upstream over `seconds` measured, and their longest stalls. */
interface Usage {
  client: number;
  server: number;
  seconds: number;
  clientStallMs: number;
  serverStallMs: number;
}

/** The clients of the section: each its own upstream object and its own `/tail/<tag>` path. */
interface Client {
  label: string;
  protocol: HedgeRow['protocol'];
  up: Upstream;
  path: string;
  tag: string;
}

/**
 * Run `load` on every client at once (the second starts half a period after the first, so
 * their calls interleave rather than coincide), `count` jobs each, and measure it: the server's
 * counters are reset before and read after, requests and slow responses per client by tag.
 */
async function measure(
  upstream: TailUpstream,
  clients: readonly Client[],
  load: Load,
  count: number,
  rate: number,
  period: number,
  cpu: Usage,
): Promise<HedgePhase[]> {
  await upstream.reset();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const accs = clients.map(newAcc);
  const hedges = clients.map((c) => c.up.stats().hedge);
  const opened = clients.map((c) => c.up.stats().pool.socketsOpened);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(clients.map((c, i) => load(c.up, c.path, count, rate, (i * period) / clients.length, accs[i]!)));
  const used = process.cpuUsage(cpu0);
  loop.disable();
  const server: TailCounters = await upstream.counters();
  cpu.clientStallMs = Math.max(cpu.clientStallMs, loop.max / 1e6);
  cpu.serverStallMs = Math.max(cpu.serverStallMs, server.loopDelayMaxMs);
  cpu.client += (used.user + used.system) / 1e6;
  cpu.server += server.cpuMicros / 1e6;
  cpu.seconds += (performance.now() - t0) / 1_000;
  return clients.map((c, i) => {
    const acc = accs[i]!;
    const at = server.byTag[c.tag] ?? { requests: 0, slow: 0 };
    const hedge = c.up.stats().hedge;
    return {
      count,
      errors: acc.errors,
      p50: percentile(acc.latencies, 50),
      p99: percentile(acc.latencies, 99),
      p999: count >= 10_000 ? percentile(acc.latencies, 99.9) : Number.NaN,
      max: percentile(acc.latencies, 100),
      extraRequests: at.requests / acc.calls - 1,
      slow: at.slow,
      slowFraction: at.slow / at.requests,
      hedgesSent: hedge.sent - hedges[i]!.sent,
      hedgesWon: hedge.won - hedges[i]!.won,
      hedgesRefused: hedge.refused - hedges[i]!.refused,
      connectionsOpened: c.up.stats().pool.socketsOpened - opened[i]!,
    };
  });
}

/**
 * The `hedge` section: no hedging vs `hedge: { delay: 'p99' }`, over HTTP/1.1 (the default pool)
 * and over HTTP/2, same upstream, every client at once (so that background load hits them alike
 * and no client's sockets idle while another runs): single calls first, then fan-outs.
 */
export async function runHedge(ctx: BenchContext): Promise<HedgeSection> {
  const quick = ctx.settings.quick;
  const rate = 400;
  const calls = quick ? 4_000 : 20_000;
  const groups = quick ? 200 : 1_000;
  const upstream = await TailUpstream.start(ctx.settings.serverCpu);
  // HTTP/1.1: a pool far larger than the calls in flight (~5 on average, ~30 in a fan-out with its
  // slow calls and copies), so that no call waits for a connection. HTTP/2: the default pool (one
  // connection carries them all). An aborted loser costs a connection on HTTP/1.1, a stream on HTTP/2.
  const h1 = { connections: 64 };
  const h2 = { http2: true };
  const hedge = { delay: 'p99' } as const;
  const options: Array<[string, string, HedgeRow['protocol'], Partial<UpstreamOptions>]> = [
    ['Steady, no hedging', 'h1-plain', 'HTTP/1.1', { pool: h1 }],
    ["Steady, hedge: { delay: 'p99' }", 'h1-hedged', 'HTTP/1.1', { pool: h1, hedge }],
    ['Steady over HTTP/2, no hedging', 'h2-plain', 'HTTP/2', { pool: h2 }],
    ["Steady over HTTP/2, hedge: { delay: 'p99' }", 'h2-hedged', 'HTTP/2', { pool: h2, hedge }],
  ];
  const clients: Client[] = options.map(([label, tag, protocol, o]) => ({
    label,
    tag,
    protocol,
    path: `/tail/${tag}`,
    up: tailClient(upstream.origin, o),
  }));
  const cpu: Usage = { client: 0, server: 0, seconds: 0, clientStallMs: 0, serverStallMs: 0 };
  const all = (load: Load, count: number, period: number): Promise<void[]> =>
    Promise.all(clients.map((c, i) => load(c.up, c.path, count, rate, (i * period) / clients.length, newAcc())));
  try {
    // Warm-up: sockets, JIT, and the hedge's latency window (1,000 answers).
    await all(perCallLoad, 1_200, 1_000 / rate);
    const perCall = await measure(upstream, clients, perCallLoad, calls, rate, 1_000 / rate, cpu);
    ctx.log(`hedge: ${calls} single calls per client done`);
    // The fan-out needs more sockets: open them before measuring.
    await all(fanOutLoad, 20, (1_000 * FAN_OUT) / rate);
    const fanOut = await measure(upstream, clients, fanOutLoad, groups, rate, (1_000 * FAN_OUT) / rate, cpu);
    ctx.log(
      `hedge: ${groups} fan-outs per client done; bench process CPU ${((cpu.client / cpu.seconds) * 100).toFixed(0)} %, ` +
        `upstream CPU ${((cpu.server / cpu.seconds) * 100).toFixed(0)} % of a core; longest stall ` +
        `${cpu.clientStallMs.toFixed(0)} / ${cpu.serverStallMs.toFixed(0)} ms`,
    );
    return {
      rate,
      fanOut: FAN_OUT,
      clientCpu: cpu.client / cpu.seconds,
      serverCpu: cpu.server / cpu.seconds,
      clientStallMs: cpu.clientStallMs,
      serverStallMs: cpu.serverStallMs,
      rows: clients.map((c, i) => ({
        client: c.label,
        protocol: c.protocol,
        hedged: c.up.stats().hedge.delay !== null,
        perCall: perCall[i]!,
        fanOut: fanOut[i]!,
        delay: c.up.stats().hedge.delay,
      })),
    };
  } finally {
    for (const c of clients) await c.up.destroy();
    await upstream.kill();
  }
}

const ms = (n: number): string => (Number.isNaN(n) ? '—' : n >= 100 ? n.toFixed(0) : n.toFixed(1));
const pct = (n: number): string => `${(n * 100).toFixed(2)} %`;

/** `a → b ms (a/b× lower)`. */
export function lowered(before: number, after: number): string {
  return `${ms(before)} → ${ms(after)} ms (${(before / after).toFixed(1)}× lower)`;
}

/** The markdown tables of the `hedge` section. */
export function renderHedgeTables(section: HedgeSection | undefined): string[] {
  if (section === undefined || section.rows.length === 0) return [];
  const { rate, rows } = section;
  const phaseTable = (pick: (r: HedgeRow) => HedgePhase, what: string, withP999: boolean): string[] => [
    `| client | ${what} | slow at the server | p50 ms | p99 ms |${withP999 ? ' p99.9 ms |' : ''} max ms | extra requests | hedges sent / won / refused | connections opened | errors |`,
    `| --- | --- | --- | --- | --- |${withP999 ? ' --- |' : ''} --- | --- | --- | --- | --- |`,
    ...rows.map((r) => {
      const p = pick(r);
      return `| ${r.client} | ${p.count} | ${pct(p.slowFraction)} | ${ms(p.p50)} | ${ms(p.p99)} |${withP999 ? ` ${ms(p.p999)} |` : ''} ${ms(p.max)} | ${pct(p.extraRequests)} | ${p.hedgesSent} / ${p.hedgesWon} / ${p.hedgesRefused} | ${p.connectionsOpened} | ${p.errors} |`;
    }),
  ];
  const out = [
    `### Tail latency: 1 % of responses take 1 s (${rows.length} clients at once, ${rate} calls/s each)`,
    '',
    'Single calls:',
    '',
    ...phaseTable((r) => r.perCall, 'calls', true),
    '',
    `Fan-outs of ${section.fanOut} parallel calls (${rate / section.fanOut}/s; a fan-out lasts as long as its slowest call):`,
    '',
    ...phaseTable((r) => r.fanOut, 'fan-outs', false),
    '',
    `Hedge delay at the end: ${
      rows
        .filter((r) => r.delay !== null)
        .map((r) => `${ms(r.delay!)} ms (${r.protocol})`)
        .join(', ') || '—'
    }; CPU: bench process ${(section.clientCpu * 100).toFixed(0)} %, upstream ${(section.serverCpu * 100).toFixed(0)} % of a core; ` +
      `longest event-loop stall: bench process ${ms(section.clientStallMs)} ms, upstream ${ms(section.serverStallMs)} ms.`,
  ];
  for (const protocol of ['HTTP/1.1', 'HTTP/2'] as const) {
    const pair = hedgePair(section, protocol);
    if (pair === undefined) continue;
    const [plain, hedged] = pair;
    const p999 = Number.isNaN(plain.perCall.p999) ? '' : `, p99.9 ${lowered(plain.perCall.p999, hedged.perCall.p999)}`;
    out.push(
      '',
      `${protocol}: per call p99 ${lowered(plain.perCall.p99, hedged.perCall.p99)}${p999}; ` +
        `fan-out of ${section.fanOut}: p99 ${lowered(plain.fanOut.p99, hedged.fanOut.p99)}.`,
    );
  }
  out.push('');
  return out;
}

/** The unhedged and the hedged client of `protocol`, when both ran. */
export function hedgePair(
  section: HedgeSection | undefined,
  protocol: HedgeRow['protocol'],
): [HedgeRow, HedgeRow] | undefined {
  const rows = section?.rows.filter((r) => r.protocol === protocol) ?? [];
  const plain = rows.find((r) => !r.hedged);
  const hedged = rows.find((r) => r.hedged);
  return plain === undefined || hedged === undefined ? undefined : [plain, hedged];
}
