import { describe, expect, it } from 'vitest';
import type { FaultRow } from './faults.ts';
import { renderHedgeTables, type HedgePhase, type HedgeSection } from './hedge-bench.ts';
import { renderSvg } from './render-svg.ts';
import { renderReport, table } from './render-table.ts';
import { evaluateTargets } from './results.ts';
import type { BenchResults } from './results.ts';
import { median, percentile } from './stats.ts';
import type { RunFigures, ThroughputRow } from './throughput.ts';

function figures(reqPerSec: number, peakSockets = 10, cpuMicrosPerCall = 80): RunFigures {
  return {
    reqPerSec,
    p50: 1,
    p99: 2,
    sockets: peakSockets,
    peakSockets,
    cpuMicrosPerCall,
    peakRssMb: 100,
    failed: 0,
    errors: {},
  };
}

function row(id: ThroughputRow['id'], reqPerSec: number, vsUndici: number, vsPlain?: number, cpu = 80): ThroughputRow {
  const steady = id.startsWith('steady');
  const median = figures(reqPerSec, 10, cpu);
  return { id, label: id, steady, rounds: [median], median, vsUndici, vsPlain, cpuVsUndici: cpu / 40 };
}

const faults: FaultRow[] = [
  {
    id: 'undici',
    label: 'undici',
    steady: false,
    lb: { calls: 6, failed: 3, errors: { ECONNRESET: 3 }, p50Ms: 1, maxMs: 2 },
  },
  {
    id: 'steady',
    label: 'steady',
    steady: true,
    plain: 'undici',
    lb: { calls: 6, failed: 0, errors: {}, p50Ms: 1, maxMs: 2 },
    drop: { calls: 3, failed: 3, errors: {}, p50Ms: 1, maxMs: 2, duplicates: 0 },
  },
];

const base: Omit<BenchResults, 'targets'> = {
  date: '2020-01-01T00:00:00.000Z',
  node: 'v24.0.0',
  mode: 'quick',
  environment: {
    cpus: 2,
    loadAverage: [0.5, 1.25],
    clientCpu: '1',
    serverCpu: '0',
    upstream: 'test',
    throughputUpstream: 'nginx 1.22.1 (test)',
    gc: true,
  },
  connections: 10,
  missingClients: {},
  throughput: [
    row('undici', 10_000, 1, undefined, 40),
    row('steady', 9_500, 0.95, 0.95, 43.25),
    row('axios', 2_000, 0.2, undefined, 250),
    row('steady-axios', 3_000, 0.3, 1.5, 120),
  ],
  scaling: [],
  queue: [],
  faults,
};

describe('stats', () => {
  it('computes medians and nearest-rank percentiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  });
});

describe('targets', () => {
  it('misses the CPU target when the core costs more than 5 µs per call over raw undici', () => {
    const slow = base.throughput.map((r) =>
      r.id === 'steady' ? { ...r, median: { ...r.median, cpuMicrosPerCall: 65 } } : r,
    );
    const withFetch = [...slow, row('fetch', 2_500, 0.25, undefined, 120)];
    const checks = evaluateTargets({ ...base, throughput: withFetch });
    const cpu = checks.find((t) => t.target.startsWith('Steady core ≤'))!;
    expect(cpu).toMatchObject({ status: 'MISS', measured: '+25.0 µs' });
    expect(checks.find((t) => t.target.startsWith('createAxios() ≥ 1.0×'))).toMatchObject({
      status: 'PASS',
      measured: '1.20×',
    });
  });

  it('passes and misses on fixed numbers', () => {
    const checks = evaluateTargets(base);
    const status = (prefix: string): string | undefined => checks.find((t) => t.target.startsWith(prefix))?.status;
    expect(status('Steady core ≥')).toBe('PASS');
    expect(status('Steady core ≤')).toBe('PASS'); // 43.25 µs vs 40 µs: +3.3 µs
    expect(status('createAxios() ≥ 3×')).toBe('MISS');
    expect(status('createAxios() ≥ 1.0× global fetch')).toBe('N/A'); // no fetch row
    expect(status('withSteady(ky)')).toBe('N/A');
    expect(status('0 failed')).toBe('PASS');
    expect(status('0 duplicate')).toBe('PASS');
  });
});

describe('framework floors', () => {
  it('give the adapter targets their ceiling: plain CPU ÷ (raw undici CPU + floor)', () => {
    const checks = evaluateTargets({ ...base, floors: { axios: 10, ky: 30, response: 8, breakerOpen: 3, harness: 1 } });
    // axios default 250 µs, raw undici 40 µs, axios alone 10 µs: at most 250 / 50 = 5×.
    expect(checks.find((t) => t.target.startsWith('createAxios() ≥ 3×'))?.measured).toBe('1.50× (ceiling 5.0×)');
    expect(evaluateTargets(base).find((t) => t.target.startsWith('createAxios() ≥ 3×'))?.measured).toBe('1.50×');
    expect(
      renderReport({
        ...base,
        floors: { axios: 10, ky: 30, response: 8, breakerOpen: 3, harness: 1 },
        targets: checks,
      }),
    ).toContain('floors (no network, same core): axios 10.0 µs/call, ky 30.0 µs/call');
  });
});

function phase(count: number, p99: number, extraRequests: number, slowFraction: number): HedgePhase {
  return {
    count,
    errors: 0,
    p50: 0.4,
    p99,
    p999: count >= 10_000 ? 1_000 : Number.NaN,
    max: 1_003,
    extraRequests,
    slow: Math.round(count * slowFraction),
    slowFraction,
    hedgesSent: 0,
    hedgesWon: 0,
    hedgesRefused: 0,
    connectionsOpened: 3,
  };
}

const hedge: HedgeSection = {
  rate: 400,
  fanOut: 20,
  clientCpu: 0.15,
  serverCpu: 0.08,
  clientStallMs: 12.5,
  serverStallMs: 8,
  rows: [
    {
      client: 'plain',
      protocol: 'HTTP/1.1',
      hedged: false,
      perCall: phase(20_000, 3.1, 0, 0.0095),
      fanOut: phase(1_000, 1_002, 0, 0.0101),
      delay: null,
    },
    {
      client: 'hedged',
      protocol: 'HTTP/1.1',
      hedged: true,
      perCall: phase(20_000, 6.2, 0.021, 0.01),
      fanOut: phase(1_000, 12.5, 0.019, 0.01),
      delay: 5,
    },
  ],
};

describe('hedge targets', () => {
  it('reads "p99 ≥ 5× lower at ≤ 5 % extra requests" per call and per fan-out, with the realized slow share', () => {
    const checks = evaluateTargets({ ...base, hedge });
    const perCall = checks.find((t) => t.target.includes('p99 per call'))!;
    expect(perCall).toMatchObject({ status: 'MISS' });
    expect(perCall.measured).toBe('3.1 → 6.2 ms = 0.5×, 2.10 % extra requests; 0.95 % slow unhedged');
    const fanOut = checks.find((t) => t.target.includes('fan-out of 20 calls'))!;
    expect(fanOut).toMatchObject({ status: 'PASS', measured: '1002.0 → 12.5 ms = 80.2×, 1.90 % extra requests' });
  });

  it('misses when the extra requests pass 5 %, and is N/A without the section', () => {
    const costly = { ...hedge, rows: [hedge.rows[0]!, { ...hedge.rows[1]!, fanOut: phase(1_000, 12.5, 0.06, 0.01) }] };
    const fanOut = (h: HedgeSection | undefined) =>
      evaluateTargets({ ...base, hedge: h }).find((t) => t.target.includes('fan-out'))!.status;
    expect(fanOut(costly)).toBe('MISS');
    expect(fanOut(undefined)).toBe('N/A');
  });

  it('renders both phases, the slow share at the server and both ratios', () => {
    const text = renderHedgeTables(hedge).join('\n');
    expect(text).toContain('| plain | 20000 | 0.95 % | 0.4 | 3.1 | 1000 | 1003 | 0.00 % | 0 / 0 / 0 | 3 | 0 |');
    expect(text).toContain('| hedged | 1000 | 1.00 % | 0.4 | 12.5 | 1003 | 1.90 % |');
    expect(text).toContain(
      'HTTP/1.1: per call p99 3.1 → 6.2 ms (0.5× lower), p99.9 1000 → 1000 ms (1.0× lower); fan-out of 20: p99 1002 → 12.5 ms (80.2× lower)',
    );
    expect(text).toContain('Hedge delay at the end: 5.0 ms (HTTP/1.1)');
    expect(text).toContain('longest event-loop stall: bench process 12.5 ms, upstream 8.0 ms.');
    expect(text).not.toContain('HTTP/2:'); // no HTTP/2 pair ran
    expect(text).not.toMatch(/NaN/);
  });
});

describe('rendering', () => {
  const results: BenchResults = { ...base, targets: evaluateTargets(base) };

  it('aligns a table', () => {
    expect(
      table(
        ['a', 'n'],
        [
          ['x', '1'],
          ['yy', '10'],
        ],
      ),
    ).toBe('a   n\n──  ──\nx    1\nyy  10');
  });

  it('renders the report with ratios, fault cells and target verdicts', () => {
    const text = renderReport(results);
    expect(text).toContain('0.95×');
    expect(text).toContain('3/6 fail');
    expect(text).toContain('0 dup (3/3 fail)');
    expect(text).toMatch(/MISS\s+createAxios\(\) ≥ 3×/);
    expect(text).toMatch(/PASS\s+Steady core ≤ raw undici \+ 5 µs client CPU per call\s+\+3\.3 µs/);
  });

  it('renders the CPU µs/call column and its ratio to raw undici, and names the throughput upstream', () => {
    const text = renderReport(results);
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('client') && l.includes('req/s'))!;
    expect(header).toMatch(/req\/s\s+vs undici\s+CPU µs\/call\s+CPU vs undici\s+vs plain/);
    const cells = (id: string): string[] =>
      lines
        .find((l) => l.startsWith(`${id} `))!
        .trim()
        .split(/\s{2,}/);
    expect(cells('undici').slice(0, 5)).toEqual(['undici', '10000', '1.00×', '40.0', '1.00×']);
    expect(cells('steady').slice(0, 6)).toEqual(['steady', '9500', '0.95×', '43.3', '1.08×', '0.95×']);
    expect(cells('axios').slice(0, 5)).toEqual(['axios', '2000', '0.20×', '250.0', '6.25×']);
    expect(text).toContain('upstream: nginx 1.22.1 (test)');
    expect(text).toContain('load average 0.5 → 1.3'); // a busy machine shows here
  });

  it('renders a well-formed SVG with one bar per client and fault colours', () => {
    const svg = renderSvg(results);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/class="(steady|plain)"/g)).toHaveLength(4);
    expect(svg).toContain('class="bad"');
    expect(svg).toContain('class="good"');
    expect(svg).toContain('0.95× undici');
    expect(svg).toContain('43 µs CPU/call');
    expect(svg).not.toMatch(/NaN/);
  });
});
