import { describe, expect, it } from 'vitest';
import { parseArgs } from './args.ts';
import { fromArgv, toArgv } from './client-protocol.ts';
import type { ClientRunArgs } from './client-protocol.ts';
import { clientById, CLIENTS } from './clients.ts';
import type { ClientSpec } from './clients.ts';
import { measureInChild, rotate, throughputRows } from './throughput.ts';
import type { RunFigures } from './throughput.ts';
import { findNginx } from './nginx.ts';
import { startThroughputUpstream } from './throughput-upstream.ts';

function run(reqPerSec: number, cpuMicrosPerCall: number): RunFigures {
  return {
    reqPerSec,
    p50: 1,
    p99: 2,
    sockets: 0,
    peakSockets: 10,
    cpuMicrosPerCall,
    peakRssMb: 100,
    failed: 0,
    errors: {},
  };
}

const spec = (id: string, plain?: string): ClientSpec => ({
  id,
  label: id,
  steady: plain !== undefined,
  ...(plain === undefined ? {} : { plain }),
  create: () => Promise.reject(new Error('not used')),
});

describe('interleaving and ratios', () => {
  it('rotates the client order by one place per round', () => {
    expect(rotate(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(rotate(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotate(['a', 'b', 'c'], 2)).toEqual(['c', 'a', 'b']);
    expect(rotate(['a', 'b', 'c'], 3)).toEqual(['a', 'b', 'c']);
    expect(rotate([], 2)).toEqual([]);
  });

  it('takes medians per client and computes req/s and CPU ratios to raw undici from the same runs', () => {
    const runs = new Map([
      ['undici', [run(20_000, 40), run(22_000, 50), run(10_000, 45)]],
      ['axios', [run(4_000, 250), run(4_400, 260), run(5_000, 240)]],
      ['steady-axios', [run(8_000, 120), run(8_800, 125), run(9_900, 130)]],
    ]);
    const rows = throughputRows([spec('undici'), spec('axios'), spec('steady-axios', 'axios')], runs);
    expect(rows.map((r) => r.median.reqPerSec)).toEqual([20_000, 4_400, 8_800]);
    expect(rows.map((r) => r.median.cpuMicrosPerCall)).toEqual([45, 250, 125]);
    expect(rows[1]!.vsUndici).toBeCloseTo(0.22);
    expect(rows[2]!.vsPlain).toBeCloseTo(2);
    expect(rows[2]!.cpuVsUndici).toBeCloseTo(125 / 45);
    expect(rows[0]!.cpuVsUndici).toBe(1);
    expect(rows[1]!.vsPlain).toBeUndefined();
  });

  it('gives NaN ratios (rendered as —) when raw undici did not run', () => {
    const rows = throughputRows([spec('axios')], new Map([['axios', [run(4_000, 250)]]]));
    expect(rows[0]!.vsUndici).toBeNaN();
    expect(rows[0]!.cpuVsUndici).toBeNaN();
  });
});

describe('registry and flags', () => {
  it('has unique ids, raw undici first, and every peer of the issue as a throughput-only row', () => {
    const ids = CLIENTS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe('undici');
    for (const id of ['undici-retry', 'cockatiel', 'axios-retry', 'got'])
      expect(clientById(id)?.throughputOnly).toBe(true);
    for (const id of ['undici', 'steady', 'fetch', 'steady-fetch', 'axios', 'steady-axios', 'ky', 'steady-ky'])
      expect(clientById(id)?.throughputOnly).toBeFalsy();
    for (const c of CLIENTS) if (c.plain !== undefined) expect(clientById(c.plain)).toBeDefined();
  });

  it('parses --upstream and rejects an unknown one', () => {
    expect(parseArgs([]).upstream).toBe('auto');
    expect(parseArgs(['--upstream', 'node']).upstream).toBe('node');
    expect(parseArgs(['--upstream=nginx']).upstream).toBe('nginx');
    expect(() => parseArgs(['--upstream', 'apache'])).toThrow(
      /--upstream must be auto, nginx or node \(received apache\)/,
    );
  });

  it('round-trips a client run through argv and names a missing value', () => {
    const args: ClientRunArgs = {
      client: 'got',
      origin: 'http://127.0.0.1:1',
      connections: 10,
      warmup: 5,
      requests: 7,
      concurrency: 4,
      timeLimitMs: 1_000,
    };
    expect(fromArgv(toArgv(args))).toEqual(args);
    expect(() => fromArgv(['--client', 'got'])).toThrow(/--origin missing/);
  });
});

describe('a measured run in a fresh client process (real upstream process)', () => {
  const kinds = findNginx() === undefined ? (['node'] as const) : (['node', 'nginx'] as const);
  it.each(kinds)(
    '%s: warms up, runs the measured calls, reports CPU per call and the sockets of the window',
    async (kind) => {
      const upstream = await startThroughputUpstream(kind, undefined);
      try {
        expect(upstream.kind).toBe(kind);
        expect(upstream.description).toContain(kind === 'node' ? '--upstream node' : 'nginx');
        const options = {
          connections: 4,
          warmup: 50,
          requests: 300,
          concurrency: 8,
          timeLimitMs: 10_000,
          cpu: undefined,
        };
        const figures = await measureInChild(clientById('undici')!, upstream, options, 1);
        expect(figures.failed).toBe(0);
        expect(figures.reqPerSec).toBeGreaterThan(0);
        expect(figures.cpuMicrosPerCall).toBeGreaterThan(0);
        // The pool of 4 was opened during the warm-up: no new socket in the window, 4 open at once.
        expect(figures.sockets).toBe(0);
        expect(figures.peakSockets).toBe(4);
      } finally {
        await upstream.stop();
      }
    },
    60_000,
  );

  it('fails the run with the reason when the client process cannot run', async () => {
    const upstream = await startThroughputUpstream('node', undefined);
    try {
      const ghost = { ...spec('no-such-client') };
      const options = { connections: 1, warmup: 0, requests: 1, concurrency: 1, timeLimitMs: 1_000, cpu: undefined };
      await expect(measureInChild(ghost, upstream, options, 1)).rejects.toThrow(/unknown client no-such-client/);
    } finally {
      await upstream.stop();
    }
  }, 60_000);
});
