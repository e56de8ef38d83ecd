/**
 * The shape of `tmp/bench/results.json` and the target checks (pure).
 */
import type { FaultRow } from './faults.ts';
import { ceiling, type Floors } from './floors.ts';
import type { QueueRow, ScalingRow } from './scaling.ts';
import { ratio } from './stats.ts';
import { hedgePair, type HedgePhase, type HedgeRow, type HedgeSection } from './hedge-bench.ts';
import type { H2Row } from './tail-latency.ts';
import type { ThroughputRow } from './throughput.ts';

/** Everything one run measured. */
export interface BenchResults {
  date: string;
  node: string;
  mode: 'quick' | 'full';
  environment: {
    cpus: number;
    /** The machine's 1-minute load average when the bench started and when it ended. */
    loadAverage: number[];
    clientCpu: string | undefined;
    serverCpu: string | undefined;
    /** The upstream of scaling, queue and faults. */
    upstream: string;
    /** The upstream of the throughput section (nginx when installed), when it ran. */
    throughputUpstream?: string;
    gc: boolean;
  };
  /** Steady's default pool size here (raw undici got the same). */
  connections: number;
  missingClients: Record<string, string>;
  throughput: ThroughputRow[];
  scaling: ScalingRow[];
  queue: QueueRow[];
  faults: FaultRow[];
  /** Tail latency with and without hedging (`hedge` section). */
  hedge?: HedgeSection;
  /** HTTP/2 vs HTTP/1.1 on one server (`h2` section). */
  h2?: H2Row[];
  /** axios and ky alone, network taken away (with the throughput section, when axios or ky ran). */
  floors?: Floors;
  targets: TargetCheck[];
}

/** One target from the issue, checked on this run. */
export interface TargetCheck {
  target: string;
  status: 'PASS' | 'MISS' | 'N/A';
  measured: string;
}

function check(target: string, ok: boolean | undefined, measured: string): TargetCheck {
  return { target, status: ok === undefined ? 'N/A' : ok ? 'PASS' : 'MISS', measured };
}

function fmt(n: number | undefined, digits = 2): string {
  return n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
}

/** Evaluate every target on the measured results. */
export function evaluateTargets(r: Omit<BenchResults, 'targets'>): TargetCheck[] {
  const t = (id: string): ThroughputRow | undefined => r.throughput.find((row) => row.id === id);
  const ratioTarget = (
    id: string,
    label: string,
    min: number,
    field: 'vsUndici' | 'vsPlain',
    limit?: number,
  ): TargetCheck => {
    const value = t(id)?.[field];
    const known = value !== undefined && Number.isFinite(value);
    const note = limit === undefined || !Number.isFinite(limit) ? '' : ` (ceiling ${fmt(limit, 1)}×)`;
    return check(label, known ? value >= min : undefined, `${fmt(value)}×${note}`);
  };
  const cpu = (id: string): number | undefined => t(id)?.median.cpuMicrosPerCall;
  const core = t('steady')?.median.cpuMicrosPerCall;
  const raw = t('undici')?.median.cpuMicrosPerCall;
  const extra = core !== undefined && raw !== undefined ? core - raw : undefined;
  const overFetch = ratio(t('steady-axios')?.median.reqPerSec, t('fetch')?.median.reqPerSec);
  const checks: TargetCheck[] = [
    ratioTarget('steady', 'Steady core ≥ 0.9× raw undici (req/s)', 0.9, 'vsUndici'),
    check(
      'Steady core ≤ raw undici + 5 µs client CPU per call',
      extra === undefined || !Number.isFinite(extra) ? undefined : extra <= 5,
      `${extra !== undefined && extra >= 0 ? '+' : ''}${fmt(extra, 1)} µs`,
    ),
    ratioTarget(
      'steady-axios',
      'createAxios() ≥ 3× axios default (req/s)',
      3,
      'vsPlain',
      ceiling(cpu('axios'), cpu('undici'), r.floors?.axios),
    ),
    check(
      'createAxios() ≥ 1.0× global fetch (req/s)',
      Number.isFinite(overFetch) ? overFetch >= 1 : undefined,
      `${fmt(overFetch)}×`,
    ),
    ratioTarget(
      'steady-ky',
      'withSteady(ky) ≥ 1.6× ky default (req/s)',
      1.6,
      'vsPlain',
      ceiling(cpu('ky'), cpu('undici'), r.floors?.ky),
    ),
    ratioTarget('steady-fetch', 'agent.fetch ≥ 1.5× global fetch (req/s)', 1.5, 'vsPlain'),
    check(
      'breaker-open rejection < 5 µs client CPU',
      r.floors === undefined ? undefined : r.floors.breakerOpen < 5,
      r.floors === undefined ? 'n/a' : `${fmt(r.floors.breakerOpen, 1)} µs`,
    ),
    ratioTarget('steady-otel', 'Steady + @steady/otel ≥ 0.95× Steady core (req/s)', 0.95, 'vsPlain'),
  ];

  // Sockets: every Steady client stays within its pool everywhere it was measured.
  const over: string[] = [];
  let seen = 0;
  for (const row of r.throughput.filter((x) => x.steady)) {
    seen++;
    if (row.median.peakSockets > r.connections) over.push(`throughput ${row.id}: ${row.median.peakSockets}`);
  }
  for (const row of r.scaling.filter((x) => x.id === 'steady')) {
    seen++;
    if (row.median.peakSockets > 64) over.push(`scaling@${row.concurrency}: ${row.median.peakSockets}`);
  }
  for (const row of r.queue.filter((x) => x.label.startsWith('Steady'))) {
    seen++;
    if (row.peakSockets > 64) over.push(`queue ${row.label}: ${row.peakSockets}`);
  }
  for (const row of r.faults.filter((x) => x.steady && x.burst)) {
    seen++;
    if ((row.burst?.peakSockets ?? 0) > r.connections) over.push(`burst ${row.id}: ${row.burst?.peakSockets}`);
  }
  checks.push(
    check(
      'Steady sockets ≤ pool size in every case',
      seen ? over.length === 0 : undefined,
      over.length ? over.join('; ') : `${seen} cases within pool`,
    ),
  );

  const queue = r.queue.filter((x) => x.label.startsWith('Steady'));
  const worst = queue.length ? Math.max(...queue.map((x) => x.heapGrowthMb)) : undefined;
  checks.push(
    check(
      '10k queued calls add < 50 MB heap (Steady)',
      worst === undefined ? undefined : worst < 50,
      `${fmt(worst, 1)} MB`,
    ),
  );

  const pairs = r.faults.filter((x) => x.steady && x.plain !== undefined && x.lb);
  const lbMeasured = pairs.map((s) => {
    const plain = r.faults.find((x) => x.id === s.plain)?.lb;
    return `${s.id} ${s.lb?.failed}/${s.lb?.calls} vs ${s.plain} ${plain?.failed ?? 'n/a'}/${plain?.calls ?? 'n/a'}`;
  });
  const lbOk = pairs.length ? pairs.every((s) => s.lb?.failed === 0) : undefined;
  checks.push(check('0 failed idempotent calls behind a forgetful LB (Steady)', lbOk, lbMeasured.join('; ')));

  checks.push(...hedgeTargets(r.hedge));

  const drops = r.faults.filter((x) => x.steady && x.drop);
  const dupes = drops.map((x) => `${x.id} ${x.drop?.duplicates}`);
  checks.push(
    check(
      '0 duplicate POSTs when the response is lost (Steady)',
      drops.length ? drops.every((x) => x.drop?.duplicates === 0) : undefined,
      dupes.join('; '),
    ),
  );
  return checks;
}

/**
 * Issue 17's target, "p99 ≥ 5× lower at ≤ 5 % extra requests" with hedging, read twice: per
 * call (the issue's words; with exactly 1 % slow responses, whether the unhedged p99 is a fast
 * or a 1 s response depends on the realized slow share, shown beside it) and per fan-out of 20
 * calls (the issue's motivation).
 */
function hedgeTargets(section: HedgeSection | undefined): TargetCheck[] {
  const [plain, hedged] = hedgePair(section, 'HTTP/1.1') ?? [];
  const width = section?.fanOut ?? 20;
  const one = (label: string, pick: (row: HedgeRow) => HedgePhase, note: (p: HedgePhase) => string): TargetCheck => {
    if (plain === undefined || hedged === undefined) return check(label, undefined, 'n/a');
    const [p, h] = [pick(plain), pick(hedged)];
    const lower = p.p99 / h.p99;
    const known = Number.isFinite(lower) && Number.isFinite(h.extraRequests);
    return check(
      label,
      known ? lower >= 5 && h.extraRequests <= 0.05 : undefined,
      `${fmt(p.p99, 1)} → ${fmt(h.p99, 1)} ms = ${fmt(lower, 1)}×, ${fmt(h.extraRequests * 100)} % extra requests${note(p)}`,
    );
  };
  return [
    one(
      'Hedging, HTTP/1.1, 1 % of responses take 1 s: p99 per call ≥ 5× lower at ≤ 5 % extra requests',
      (row) => row.perCall,
      (p) => `; ${fmt(p.slowFraction * 100)} % slow unhedged`,
    ),
    one(
      `Hedging, HTTP/1.1, 1 % of responses take 1 s: p99 of a fan-out of ${width} calls ≥ 5× lower at ≤ 5 % extra requests`,
      (row) => row.fanOut,
      () => '',
    ),
  ];
}
