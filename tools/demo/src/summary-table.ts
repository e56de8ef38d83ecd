/**
 * The closing summary as a text table: one row per client, one column per act,
 * then each act's verdict.
 */
import { CLIENT_NAMES, isSteady } from './clients.ts';
import type { ClientName } from './clients.ts';
import type { DemoSummary } from './demo.ts';
import type { Paint } from './live.ts';
import { REFUSED_CODES } from './outcome.ts';
import type { Tally } from './outcome.ts';
import { seconds } from './acts/act.ts';

/** One client's outcome in one act, in the caller's terms. */
interface Row {
  served: string;
  refused: string;
  failed: string;
  hungOrLost: string;
  slowest: string;
  sockets: string;
}

const HEADERS: Row = {
  served: 'served',
  refused: 'refused at once',
  failed: 'failed',
  hungOrLost: 'hung / lost',
  slowest: 'slowest answer',
  sockets: 'sockets',
};

const DASH = '–';

/** The most frequent failure code other than Steady's refusals and `skip`, with its count. */
function mainError(tally: Tally, skip: ReadonlySet<string>): string {
  const failures = Object.entries(tally.errors).filter(([code]) => !REFUSED_CODES.has(code) && !skip.has(code));
  const count = failures.reduce((n, [, k]) => n + k, 0);
  if (count === 0) return DASH;
  const top = failures.sort((a, b) => b[1] - a[1])[0]![0];
  return failures.length > 1 ? `${count} (${top}…)` : `${count} ${top}`;
}

function row(
  tally: Tally,
  extra: { hungOrLost?: number; skip?: ReadonlySet<string>; sockets?: number; slowest?: string },
): Row {
  return {
    served: `${tally.ok}/${tally.calls}`,
    refused: tally.refused > 0 ? `${tally.refused} in ≤ ${Math.max(1, tally.refusedMaxMs)} ms` : DASH,
    failed: mainError(tally, extra.skip ?? new Set(['HUNG'])),
    hungOrLost: extra.hungOrLost ? String(extra.hungOrLost) : DASH,
    slowest: extra.slowest ?? `${tally.maxMs} ms`,
    sockets: extra.sockets === undefined ? DASH : String(extra.sockets),
  };
}

/** Each act: its title, and each client's row. */
function acts(summary: DemoSummary): Array<{ title: string; row: (name: ClientName) => Row }> {
  const { staleSockets, outage, hungUpstream, burst, deploy } = summary.acts;
  return [
    { title: '1 · a load balancer drops idle keep-alive sockets', row: (n) => row(staleSockets.clients[n], {}) },
    { title: '2 · the upstream dies, then comes back', row: (n) => row(outage.clients[n], {}) },
    {
      title: `3 · the upstream hangs (Steady's deadline ${seconds(hungUpstream.deadlineMs)})`,
      row: (n) => {
        const t = hungUpstream.clients[n];
        return row(t, {
          hungOrLost: t.hung,
          slowest: t.hung > 0 ? `none in ${seconds(hungUpstream.watchdogMs)}` : `${t.maxMs} ms`,
        });
      },
    },
    {
      title: `4 · a burst of ${burst.callsPerClient} calls at once`,
      row: (n) => row(burst.clients[n], { sockets: burst.figures[n]?.maxSockets }),
    },
    {
      title: '5 · a deploy: the app shuts down with calls in flight',
      row: (n) => row(deploy.clients[n], { hungOrLost: deploy.lost[n], skip: new Set(['CUT_OFF_BY_EXIT']) }),
    },
  ];
}

/** What each column means, for a reader who never saw the code. */
const LEGEND = [
  'served: calls answered 2xx · refused at once: Steady answered right away (circuit open, queue full)',
  'without loading the upstream · failed: other errors callers got · hung: no answer when the demo gave up',
  'lost: in flight when the app shut down · slowest answer: longest a caller waited · sockets: most open at once',
];

/** Render the summary table and the verdicts. */
export function summaryTable(summary: DemoSummary, paint: Paint): string[] {
  const keys = Object.keys(HEADERS) as Array<keyof Row>;
  const sections = acts(summary).map((act) => ({
    title: act.title,
    rows: CLIENT_NAMES.map((name) => ({ name, row: act.row(name) })),
  }));
  const widths = keys.map((key) =>
    Math.max(HEADERS[key].length, ...sections.flatMap((s) => s.rows.map((r) => r.row[key].length))),
  );
  const line = (label: string, r: Row) =>
    `    ${label.padEnd(13)}  ${keys.map((key, i) => r[key].padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [
    '',
    paint.bold('Summary: what the callers got'),
    paint.dim(line('', HEADERS)),
    ...sections.flatMap((section) => [
      `  ${paint.bold(section.title)}`,
      ...section.rows.map(({ name, row: r }) => (isSteady(name) ? paint.green(line(name, r)) : line(name, r))),
    ]),
    ...LEGEND.map((text) => paint.dim(`  ${text}`)),
    '',
    ...Object.values(summary.acts).map(
      (act) => `  ${act.steadyHeld ? paint.green('✔') : paint.red('✘')} ${act.act}. ${act.verdict}`,
    ),
    '',
    summary.ok
      ? paint.green(`Steady held in all five acts (${(summary.durationMs / 1000).toFixed(1)} s).`)
      : paint.red('Steady did not hold in every act: see ✘ above.'),
  ];
}
