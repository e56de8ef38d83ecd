/**
 * Plain-text tables for the terminal (pure functions of the results).
 */
import type { FaultCell } from './faults.ts';
import type { BenchResults } from './results.ts';

/** Lay out `rows` under `headers`; numbers-looking cells are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = (s: string): boolean => /^[-+]?[\d.,]+\s*(×|%|ms|MB|µs)?$/.test(s) || s === 'n/a' || s === '—';
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric(c) && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A number with fixed digits, or `n/a`. */
export function num(n: number | undefined, digits = 0): string {
  return n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);
}

/** A ratio like `0.93×`, or `—` when there is none. */
export function times(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '—' : `${n.toFixed(2)}×`;
}

/** `{ECONNRESET: 3}` → `ECONNRESET×3`. */
export function codes(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  return entries.length ? entries.map(([code, n]) => `${code}×${n}`).join(' ') : '';
}

function faultCell(cell: FaultCell | undefined, kind: 'lb' | 'restart' | 'hang' | 'burst' | 'drop'): string {
  if (cell === undefined) return 'n/a';
  if (kind === 'hang') {
    const settled = cell.calls - (cell.unsettled ?? 0);
    return cell.unsettled
      ? `${cell.unsettled}/${cell.calls} hung`
      : `${settled}/${cell.calls} settled ${num(cell.maxMs)}ms`;
  }
  if (kind === 'burst') return `${cell.failed} fail, ${cell.sockets} sock, ${num(cell.durationMs)}ms`;
  if (kind === 'drop') return `${cell.duplicates} dup (${cell.failed}/${cell.calls} fail)`;
  const added = cell.addedMs === undefined ? '' : `, +${num(Math.max(0, cell.addedMs), 1)}ms`;
  return `${cell.failed}/${cell.calls} fail${added}`;
}

/** The whole terminal report. */
export function renderReport(r: BenchResults): string {
  const out: string[] = [];
  out.push(
    `Steady bench — ${r.mode} — node ${r.node} — ${r.environment.cpus} CPUs, client CPU ${r.environment.clientCpu ?? 'unpinned'}, ` +
      `server CPU ${r.environment.serverCpu ?? 'unpinned'} — pool ${r.connections} — load average ${r.environment.loadAverage.map((n) => n.toFixed(1)).join(' → ')}`,
  );
  for (const [id, why] of Object.entries(r.missingClients)) out.push(`  (client ${id} not measured: ${why})`);

  if (r.throughput.length) {
    out.push(
      '',
      `1. Throughput: GET 1 KiB JSON, 64 in flight, each run a fresh client process; medians of ${r.throughput[0]?.rounds.length ?? 0} interleaved rounds`,
      `   upstream: ${r.environment.throughputUpstream ?? r.environment.upstream}`,
      '   CPU µs/call: client process CPU (user + system) over the measured calls / calls — steadier than req/s on a busy machine',
    );
    out.push(
      table(
        [
          'client',
          'req/s',
          'vs undici',
          'CPU µs/call',
          'CPU vs undici',
          'vs plain',
          'p50 ms',
          'p99 ms',
          'sockets',
          'peak',
          'RSS MB',
          'failed',
        ],
        r.throughput.map((row) => [
          row.label,
          num(row.median.reqPerSec),
          times(row.vsUndici),
          num(row.median.cpuMicrosPerCall, 1),
          times(row.cpuVsUndici),
          times(row.vsPlain),
          num(row.median.p50, 2),
          num(row.median.p99, 2),
          num(row.median.sockets),
          num(row.median.peakSockets),
          num(row.median.peakRssMb),
          row.median.failed ? `${row.median.failed} ${codes(row.median.errors)}` : '0',
        ]),
      ),
    );
    if (r.floors !== undefined) {
      out.push(
        `   floors (no network, same core): axios ${num(r.floors.axios, 1)} µs/call, ky ${num(r.floors.ky, 1)} µs/call, ` +
          `one Response built and read ${num(r.floors.response, 1)} µs, a call refused by an open breaker ${num(r.floors.breakerOpen, 1)} µs ` +
          `(net of the load loop's ${num(r.floors.harness, 1)} µs) — ` +
          "an adapter's ceiling over its framework is " +
          'plain CPU ÷ (raw undici CPU + floor)',
      );
    }
  }
  if (r.scaling.length) {
    out.push('', '2. Scaling: pool of 64, medians');
    out.push(
      table(
        ['client', 'in flight', 'req/s', 'p50 ms', 'p99 ms', 'peak sockets', 'CPU µs/req', 'failed'],
        r.scaling.map((row) => [
          row.label,
          String(row.concurrency),
          num(row.median.reqPerSec),
          num(row.median.p50, 2),
          num(row.median.p99, 2),
          String(row.median.peakSockets),
          num(row.median.cpuMicrosPerCall),
          row.median.failed ? `${row.median.failed} ${codes(row.median.errors)}` : '0',
        ]),
      ),
    );
  }
  if (r.queue.length) {
    out.push(
      '',
      `   10,000 calls issued at once against a pool of 64${r.environment.gc ? '' : ' (no --expose-gc: heap deltas are rough)'}`,
    );
    out.push(
      table(
        ['variant', 'heap +MB', 'ok', 'rejected / failed', 'rejected within', 'peak sockets', 'all settled'],
        r.queue.map((row) => [
          row.label,
          num(row.heapGrowthMb, 1),
          String(row.ok),
          codes(row.errors) || '0',
          row.rejectedWithinMs === undefined ? '—' : `${num(row.rejectedWithinMs, 1)}ms`,
          String(row.peakSockets),
          `${num(row.durationMs)}ms`,
        ]),
      ),
    );
  }
  if (r.faults.length) {
    out.push('', '3. Faults (failures / added latency; hang: calls settled by the client before the bench cap)');
    out.push(
      table(
        [
          'client',
          '(a) forgetful LB',
          '(b) upstream restart',
          '(c) hung upstream',
          '(d) burst 2,000',
          '(e) dropped POST',
        ],
        r.faults.map((row) => [
          row.label,
          faultCell(row.lb, 'lb'),
          faultCell(row.restart, 'restart'),
          faultCell(row.hang, 'hang'),
          faultCell(row.burst, 'burst'),
          faultCell(row.drop, 'drop'),
        ]),
      ),
    );
    const details = r.faults.flatMap((row) =>
      (['lb', 'restart', 'hang', 'burst', 'drop'] as const)
        .filter((k) => row[k] && Object.keys(row[k]!.errors).length)
        .map((k) => `   ${row.id} ${k}: ${codes(row[k]!.errors)}`),
    );
    if (details.length) out.push('   error codes:', ...details);
  }
  if (r.targets.length) {
    out.push('', 'Targets');
    out.push(
      table(
        ['', 'target', 'measured'],
        r.targets.map((t) => [t.status, t.target, t.measured]),
      ),
    );
  }
  return out.join('\n');
}
