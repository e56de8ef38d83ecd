/**
 * The SVG chart (pure): bars of req/s with ratios, and a grid of fault outcomes.
 */
import type { FaultCell } from './faults.ts';
import type { BenchResults } from './results.ts';

/** Escape text for SVG. */
export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

const FAULTS = [
  ['lb', 'forgetful LB'],
  ['restart', 'restart'],
  ['hang', 'hung upstream'],
  ['burst', 'burst 2,000'],
  ['drop', 'dropped POST'],
] as const;

type FaultKey = (typeof FAULTS)[number][0];

/** Short text and whether the outcome is good, for one fault cell. */
export function faultVerdict(
  cell: FaultCell | undefined,
  kind: FaultKey,
  pool: number,
): { text: string; good: boolean | undefined } {
  if (cell === undefined) return { text: 'n/a', good: undefined };
  switch (kind) {
    case 'hang':
      return cell.unsettled
        ? { text: `${cell.unsettled}/${cell.calls} hung`, good: false }
        : { text: `settled ${(cell.maxMs / 1000).toFixed(1)} s`, good: true };
    case 'burst':
      return {
        text: `${cell.failed} fail · ${cell.sockets} sockets`,
        good: (cell.peakSockets ?? cell.sockets ?? 0) <= pool,
      };
    case 'drop':
      return { text: `${cell.duplicates} duplicates`, good: cell.duplicates === 0 };
    default:
      return { text: `${cell.failed}/${cell.calls} failed`, good: cell.failed === 0 };
  }
}

/** Render the chart for `r`. */
export function renderSvg(r: BenchResults): string {
  const width = 1000;
  const rowH = 26;
  const left = 230;
  const parts: string[] = [];
  const text = (x: number, y: number, s: string, attrs = ''): void => {
    parts.push(`<text x="${x}" y="${y}" ${attrs}>${escapeXml(s)}</text>`);
  };
  let y = 30;
  text(
    20,
    y,
    `Steady benchmark (${r.mode}, node ${r.node}, pool ${r.connections}) — GET 1 KiB JSON, 64 in flight`,
    'class="h"',
  );
  y += 24;
  const max = Math.max(1, ...r.throughput.map((row) => row.median.reqPerSec).filter(Number.isFinite));
  const barMax = width - left - 400;
  for (const row of r.throughput) {
    const w = Number.isFinite(row.median.reqPerSec) ? Math.max(1, (row.median.reqPerSec / max) * barMax) : 0;
    text(20, y + 17, row.label);
    parts.push(
      `<rect x="${left}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" class="${row.steady ? 'steady' : 'plain'}"/>`,
    );
    const ratios = [`${row.vsUndici.toFixed(2)}× undici`];
    if (row.vsPlain !== undefined && Number.isFinite(row.vsPlain)) ratios.push(`${row.vsPlain.toFixed(2)}× plain`);
    text(
      left + w + 8,
      y + 17,
      `${Math.round(row.median.reqPerSec).toLocaleString('en-US')} req/s · ${ratios.join(' · ')} · ${row.median.cpuMicrosPerCall.toFixed(0)} µs CPU/call`,
    );
    y += rowH;
  }
  if (r.faults.length) {
    y += 24;
    text(
      20,
      y,
      'Fault outcomes (green: no failure / no duplicate / within pool; red: failed, hung or over the pool)',
      'class="h"',
    );
    y += 12;
    const colW = (width - left - 20) / FAULTS.length;
    FAULTS.forEach(([, title], i) => text(left + i * colW + 6, y + 16, title, 'class="b"'));
    y += 24;
    for (const row of r.faults) {
      text(20, y + 17, row.label);
      FAULTS.forEach(([key], i) => {
        const verdict = faultVerdict(row[key], key, r.connections);
        const cls = verdict.good === undefined ? 'na' : verdict.good ? 'good' : 'bad';
        parts.push(
          `<rect x="${(left + i * colW + 2).toFixed(1)}" y="${y + 3}" width="${(colW - 4).toFixed(1)}" height="${rowH - 6}" class="${cls}"/>`,
        );
        text(left + i * colW + 8, y + 17, verdict.text);
      });
      y += rowH;
    }
  }
  y += 16;
  const style =
    'text{font:13px system-ui,sans-serif;fill:#222}.h{font-weight:600;font-size:14px}.b{font-weight:600}' +
    '.steady{fill:#2b7bb9}.plain{fill:#a9b4bf}.good{fill:#cdebd3}.bad{fill:#f6cdcd}.na{fill:#eee}';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}">` +
    `<style>${style}</style><rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>\n`
  );
}
