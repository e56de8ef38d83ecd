/**
 * Section 1: throughput. 20k GETs of the 1 KiB JSON body at 64 in flight per client, each run
 * in a fresh Node process pinned to the client core (a warm-up inside it, then the measured
 * calls), in interleaved rounds whose client order rotates (A B C, B C A, C A B); medians per
 * client, ratios to raw undici from the same run.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pinnedCommand, signalAndWait, SOURCE_CONDITION, trackChild, waitExit } from './children.ts';
import type { ClientMessage, ClientRunArgs, GoMessage, LoadSummary } from './client-protocol.ts';
import { toArgv } from './client-protocol.ts';
import type { ClientId, ClientSpec } from './clients.ts';
import { expectOk, sleep } from './context.ts';
import type { BenchContext } from './context.ts';
import { runLoad, summarize } from './load.ts';
import { median, ratio } from './stats.ts';
import { warmupPlan } from './warmup.ts';
import type { ThroughputUpstream } from './throughput-upstream.ts';
import type { UpstreamProcess } from './upstream.ts';

const CLIENT_SCRIPT = fileURLToPath(new URL('./client-process.ts', import.meta.url));

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
  /** Warm-up calls before the measured ones (a client process warms up until its cost settles); absent in-process. */
  warmupCalls?: number;
  /** False when the warm-up hit its bound in calls or time before the cost settled. */
  warmSteady?: boolean;
}

/** One client's row: every round and the medians. */
export interface ThroughputRow {
  id: ClientId;
  label: string;
  steady: boolean;
  rounds: RunFigures[];
  median: RunFigures;
  /** req/s over raw undici's (medians of the same run). */
  vsUndici: number;
  /** req/s over the plain client's this Steady client wraps. */
  vsPlain: number | undefined;
  /** Client CPU µs per call over raw undici's (medians of the same run); 1.5 = 50 % more CPU per call. */
  cpuVsUndici: number;
}

/** Turn a load summary plus server counters into the figures of one run. */
export function figuresOf(result: LoadSummary, sockets: number, peakSockets: number): RunFigures {
  return {
    reqPerSec: result.ok / (result.durationMs / 1000),
    p50: result.p50,
    p99: result.p99,
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
  const pick = (key: keyof Omit<RunFigures, 'errors' | 'warmupCalls' | 'warmSteady'>): number =>
    median(runs.map((r) => r[key]));
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

/** Run one client once, in this process, on a cold start (server-side idle sockets dropped first). */
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
    return figuresOf(summarize(result), counters.server.connections, counters.server.maxConcurrentSockets);
  } finally {
    await client.close();
  }
}

/** What one client-process run needs. */
export interface ChildRunOptions {
  connections: number;
  warmup: number;
  requests: number;
  concurrency: number;
  timeLimitMs: number;
  /** `taskset` CPU for the client process, or undefined for no pinning. */
  cpu: string | undefined;
}

/** Node flags of a client process: the source condition, and this process' GC and profiling flags. */
function childNodeFlags(id: string, round: number): string[] {
  const flags = process.execArgv.filter((a) => a === '--expose-gc' || a.startsWith('--cpu-prof-dir'));
  // '@steady/*' resolve to their TypeScript sources in the client process too.
  flags.unshift(SOURCE_CONDITION);
  if (process.execArgv.includes('--cpu-prof'))
    flags.push('--cpu-prof', `--cpu-prof-name=client-${id}-r${round}.cpuprofile`);
  return flags;
}

/**
 * One measured run of `spec` in a fresh Node process: the process warms up, the bench opens a
 * socket window at the upstream, the process runs the measured calls and reports. A process that
 * does not finish within its time limits (plus 20 s) is killed and the run fails.
 */
export async function measureInChild(
  spec: ClientSpec,
  upstream: ThroughputUpstream,
  options: ChildRunOptions,
  round: number,
): Promise<RunFigures> {
  const args: ClientRunArgs = {
    client: spec.id,
    origin: upstream.url,
    connections: options.connections,
    warmup: options.warmup,
    requests: options.requests,
    concurrency: options.concurrency,
    timeLimitMs: options.timeLimitMs,
  };
  const nodeArgs = [...childNodeFlags(spec.id, round), CLIENT_SCRIPT, ...toArgv(args)];
  const [command, argv] = pinnedCommand(options.cpu, process.execPath, nodeArgs);
  const child = spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  trackChild(child);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<RunFigures>((resolve, reject) => {
      timer = setTimeout(
        () => {
          child.kill('SIGKILL');
          reject(new Error(`client process ${spec.id} did not finish in time`));
        },
        2 * options.timeLimitMs + warmupPlan(options.warmup).maxMs + 20_000,
      );
      let closeWindow: (() => Promise<{ sockets: number; peakSockets: number }>) | undefined;
      let warm: { calls: number; steady: boolean } | undefined;
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        reject(new Error(`client process ${spec.id} exited (${signal ?? `code ${code}`}) before reporting`)),
      );
      child.on('message', (message: ClientMessage) => {
        if (message.type === 'warm') {
          warm = { calls: message.calls, steady: message.steady };
          upstream.openWindow().then((close) => {
            closeWindow = close;
            child.send({ type: 'go' } satisfies GoMessage);
          }, reject);
        } else if (message.type === 'done') {
          (closeWindow ?? (async () => ({ sockets: Number.NaN, peakSockets: Number.NaN })))().then(
            (window) =>
              resolve({
                ...figuresOf(message.summary, window.sockets, window.peakSockets),
                warmupCalls: warm?.calls,
                warmSteady: warm?.steady,
              }),
            reject,
          );
        } else {
          reject(new Error(`client process ${spec.id}: ${message.message}`));
        }
      });
    });
  } finally {
    clearTimeout(timer);
    // The process exits by itself once it has reported; a stuck one is killed.
    if (!(await waitExit(child, 5_000))) await signalAndWait(child, 'SIGKILL', 5_000);
  }
}

/** `items` rotated left by `by` places: the client order of round `by`. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** Medians per client and the ratios to raw undici (and to the plain client), all from `runs`. */
export function throughputRows(
  clients: readonly ClientSpec[],
  runs: ReadonlyMap<ClientId, RunFigures[]>,
): ThroughputRow[] {
  const medians = new Map(clients.map((c) => [c.id, medianFigures(runs.get(c.id) ?? [])]));
  const undici = medians.get('undici');
  return clients.map((spec) => {
    const m = medians.get(spec.id)!;
    return {
      id: spec.id,
      label: spec.label,
      steady: spec.steady,
      rounds: runs.get(spec.id) ?? [],
      median: m,
      vsUndici: ratio(m.reqPerSec, undici?.reqPerSec),
      vsPlain: spec.plain === undefined ? undefined : ratio(m.reqPerSec, medians.get(spec.plain)?.reqPerSec),
      cpuVsUndici: ratio(m.cpuMicrosPerCall, undici?.cpuMicrosPerCall),
    };
  });
}

/** Run section 1 against `upstream`; `connections` is Steady's default pool size, given to every pool. */
export async function runThroughput(
  ctx: BenchContext,
  upstream: ThroughputUpstream,
  connections: number,
): Promise<ThroughputRow[]> {
  const { settings } = ctx;
  const options: ChildRunOptions = {
    connections,
    warmup: settings.warmup,
    requests: settings.requests,
    concurrency: settings.concurrency,
    timeLimitMs: settings.quick ? 8_000 : 60_000,
    cpu: settings.clientCpu,
  };
  ctx.log(
    `throughput: upstream ${upstream.description}; each run a fresh client process` +
      `${options.cpu === undefined ? '' : ` on CPU ${options.cpu}`} (≥ ${settings.warmup} warm-up calls, until the cost per call settles, + ${settings.requests} measured GETs)`,
  );
  const runs = new Map<ClientId, RunFigures[]>(ctx.clients.map((c) => [c.id, []]));
  for (let round = 1; round <= settings.rounds; round++) {
    for (const spec of rotate(ctx.clients, round - 1)) {
      const figures = await measureInChild(spec, upstream, options, round);
      runs.get(spec.id)!.push(figures);
      ctx.log(
        `throughput: round ${round}/${settings.rounds} ${spec.label.padEnd(40)} ${figures.reqPerSec.toFixed(0).padStart(7)} req/s` +
          ` ${figures.cpuMicrosPerCall.toFixed(1).padStart(6)} µs CPU/call` +
          (figures.warmupCalls === undefined
            ? ''
            : `  (warm-up ${figures.warmupCalls} calls${figures.warmSteady === false ? ', not settled' : ''})`) +
          (figures.failed ? `  failed ${figures.failed} ${JSON.stringify(figures.errors)}` : ''),
      );
    }
  }
  return throughputRows(ctx.clients, runs);
}
