/**
 * The probe's answer in one sentence, e.g. "idle sockets are silently dropped between 45 and 60 s".
 */
import type { IdleSummary } from './idle-ladder.ts';
import type { KeepAliveHint } from './response-reader.ts';

/** A duration for people: `450 ms`, `1.5 s`, `60 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : Number(seconds.toFixed(1))} s`;
}

/** Two durations in one unit when both are whole-second-ish: `between 45 and 60 s`. */
function between(low: number, high: number): string {
  if (low >= 1000 && high >= 1000)
    return `between ${formatDuration(low).replace(/ s$/, '')} and ${formatDuration(high)}`;
  return `between ${formatDuration(low)} and ${formatDuration(high)}`;
}

/** The finding in one sentence, without a trailing period. */
export function describeFinding(idle: IdleSummary, hint: KeepAliveHint | null): string {
  const hinted = hint?.timeoutMs != null ? `; the server advertises Keep-Alive: timeout=${hint.timeoutMs / 1000}` : '';
  if (idle.rungs.every((rung) => rung.outcome === 'error'))
    return 'the idle ladder could not be run: every rung failed';
  if (idle.closedByMs === null)
    return `idle sockets stay usable for at least ${formatDuration(idle.aliveUpToMs ?? 0)} (the longest rung)${hinted}`;
  const when =
    idle.aliveUpToMs === null
      ? `within ${formatDuration(idle.closedByMs)}`
      : between(idle.aliveUpToMs, idle.closedByMs);
  if (idle.mode === 'fin') {
    const first = idle.rungs.find((rung) => rung.idleMs === idle.closedByMs);
    if (first?.detail === 'connection-close')
      return 'the server closes every connection after one response (no keep-alive)';
    return `idle sockets are closed ${when}, with a ${first?.detail === 'rst' ? 'RST' : 'FIN'} a keep-alive client notices${hinted}`;
  }
  const how = idle.silentHow === 'hang' ? 'the next request hangs' : 'the next request gets an RST';
  return `idle sockets are silently dropped ${when} (${how})${hinted}`;
}
