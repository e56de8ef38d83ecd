/**
 * The closing summary as a text table: one row per client, one column per act,
 * then each act's verdict.
 */
import { CLIENT_NAMES, isSteady } from './clients.ts';
import type { ClientName } from './clients.ts';
import type { DemoSummary } from './demo.ts';
import type { Paint } from './live.ts';

type Cell = (name: ClientName) => string;

function columns(summary: DemoSummary): Array<{ title: string; cell: Cell }> {
  const { staleSockets, outage, hungUpstream, burst, deploy } = summary.acts;
  return [
    {
      title: '1 stale sockets',
      cell: (n) => {
        const t = staleSockets.clients[n];
        return `${t.failed}/${t.calls} failed, ${t.maxMs} ms max`;
      },
    },
    {
      title: '2 outage',
      cell: (n) => {
        const t = outage.clients[n];
        const fast = t.errors.STEADY_CIRCUIT_OPEN ?? 0;
        return fast > 0
          ? `${t.failed}/${t.calls} failed, ${fast} fast`
          : `${t.failed}/${t.calls} failed, ${t.maxMs} ms max`;
      },
    },
    {
      title: `3 hung (deadline ${hungUpstream.deadlineMs} ms)`,
      cell: (n) => {
        const t = hungUpstream.clients[n];
        return isSteady(n)
          ? `${hungUpstream.settledByDeadline[n]}/${t.calls} settled in time`
          : `${t.hung}/${t.calls} hung`;
      },
    },
    {
      title: `4 burst of ${burst.callsPerClient}`,
      cell: (n) => {
        const f = burst.figures[n];
        const full = burst.clients[n].errors.STEADY_BULKHEAD_FULL ?? 0;
        return `${f?.maxSockets ?? '?'} sockets${full > 0 ? `, ${full} shed` : ''}`;
      },
    },
    {
      title: '5 deploy',
      cell: (n) => `${deploy.lost[n]}/${deploy.clients[n].calls} lost`,
    },
  ];
}

/** Render the summary table and the verdicts. */
export function summaryTable(summary: DemoSummary, paint: Paint): string[] {
  const cols = columns(summary);
  const cells = CLIENT_NAMES.map((name) => cols.map((col) => col.cell(name)));
  const widths = cols.map((col, i) => Math.max(col.title.length, ...cells.map((row) => row[i]!.length)));
  const line = (label: string, parts: string[]) =>
    `  ${label.padEnd(13)}  ${parts.map((p, i) => p.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  const acts = Object.values(summary.acts);
  return [
    '',
    paint.bold('Summary'),
    paint.dim(
      line(
        '',
        cols.map((c) => c.title),
      ),
    ),
    ...CLIENT_NAMES.map((name, r) => {
      const text = line(name, cells[r]!);
      return isSteady(name) ? paint.green(text) : text;
    }),
    '',
    ...acts.map((act) => `  ${act.steadyHeld ? paint.green('✔') : paint.red('✘')} ${act.act}. ${act.verdict}`),
    '',
    summary.ok
      ? paint.green(`Steady held in all five acts (${(summary.durationMs / 1000).toFixed(1)} s).`)
      : paint.red('Steady did not hold in every act: see ✘ above.'),
  ];
}
