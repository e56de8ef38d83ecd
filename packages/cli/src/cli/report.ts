/**
 * The human report: a few measured lines, the idle ladder as a table, the finding in one
 * sentence, and the recommended options as code to paste. Colours only when asked (a TTY).
 */
import { formatDuration } from '../probe/finding.ts';
import type { RungResult } from '../probe/idle-ladder.ts';
import type { ProbeReport } from '../probe/probe.ts';

type Paint = (code: number, text: string) => string;

const OUTCOME: Record<RungResult['outcome'], { text: (rung: RungResult) => string; colour: number }> = {
  alive: { text: () => 'alive', colour: 32 },
  closed: {
    text: (rung) =>
      rung.detail === 'connection-close'
        ? 'closed after the response (Connection: close)'
        : `closed while idle (${rung.detail === 'rst' ? 'RST' : 'FIN'})`,
    colour: 33,
  },
  reset: {
    text: (rung) => `silently dropped (${rung.detail === 'rst' ? 'RST on the request' : rung.detail})`,
    colour: 31,
  },
  hang: { text: () => 'silently dropped (the request hung)', colour: 31 },
  error: { text: (rung) => `not measured (${rung.detail})`, colour: 90 },
};

/** The report as text (ends with a newline). */
export function formatReport(report: ProbeReport, color: boolean): string {
  const paint: Paint = color ? (code, text) => `\u001b[${code}m${text}\u001b[0m` : (_code, text) => text;
  const ms = (value: number | null): string => (value === null ? '-' : `${value} ms`);
  const rpc = report.requestsPerConnection;
  const hint = report.keepAliveHint;
  const lines = [
    paint(1, `steady probe ${report.origin}`) +
      ` (${report.method} ${report.path}${report.proxy ? ` via ${report.proxy}` : ''}; ${report.sockets} sockets, ${report.requests} requests, ${formatDuration(report.elapsedMs)})`,
    '',
    row('status', `${report.status} (HTTP/${report.httpVersion})`),
    row('DNS', `${ms(report.dnsMs)} (medians of ${report.samples} handshakes)`),
    row('TCP connect', ms(report.connectMs)),
    row('TLS handshake', report.tlsMs === null ? '- (http:)' : `${ms(report.tlsMs)} (${report.tlsVersion ?? '?'})`),
    row('ALPN', report.alpn === null ? '-' : `${report.alpn}${report.h2 ? ' (HTTP/2 offered)' : ' (no HTTP/2)'}`),
    row('response', `${ms(report.responseMs)} (median, warm connection)`),
    row(
      'Keep-Alive hint',
      hint === null
        ? 'none'
        : [
            hint.timeoutMs === null ? '' : `timeout=${hint.timeoutMs / 1000}`,
            hint.max === null ? '' : `max=${hint.max}`,
          ]
            .filter(Boolean)
            .join(', '),
    ),
    row('keep-alive', report.keepAlive ? 'yes' : 'no (Connection: close on the first response)'),
    row(
      'per connection',
      rpc.endedBy === null
        ? `${rpc.served} requests served, still open (the probe stops at ${rpc.limit})`
        : `${rpc.served} requests, then ${rpc.endedBy === 'connection-close' ? 'Connection: close' : rpc.endedBy === 'fin' ? 'a FIN' : 'an RST'}`,
    ),
    row(
      'Connection: close',
      `${report.connectionClose.honoured ? 'honoured (the server closed)' : 'not honoured (still open)'}${report.connectionClose.echoed ? ', echoed' : ''}`,
    ),
    '',
    paint(1, '  idle      outcome'),
    ...report.idle.rungs.map((rung) => {
      const outcome = OUTCOME[rung.outcome];
      return `  ${formatDuration(rung.idleMs).padEnd(8)}  ${paint(outcome.colour, outcome.text(rung))}`;
    }),
    '',
    `${paint(1, 'Finding:')} ${report.finding}.`,
    '',
    paint(1, 'Recommended:'),
    `  import { createUpstream } from '@steady/core';`,
    `  const upstream = createUpstream(${toCode(report.recommended, '  ')});`,
  ];
  return `${lines.join('\n')}\n`;
}

function row(label: string, value: string): string {
  return `  ${label.padEnd(18)} ${value}`;
}

/** A plain value as TypeScript source: unquoted keys, single quotes, `_` in big numbers. */
export function toCode(value: unknown, indent = ''): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number')
    return Number.isInteger(value) && value >= 10_000
      ? value.toLocaleString('en-US').replace(/,/g, '_')
      : String(value);
  if (value === null || typeof value !== 'object') return String(value);
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const inner = `${indent}  `;
  const body = entries
    .map(([key, v]) => `${inner}${/^[A-Za-z_$][\w$]*$/.test(key) ? key : toCode(key)}: ${toCode(v, inner)},`)
    .join('\n');
  return `{\n${body}\n${indent}}`;
}
