/**
 * The idle ladder: one socket per rung, all in parallel. Each socket makes one request, stays idle
 * for its rung, then makes another. What happened tells how the path treats idle sockets:
 * closed while idle (a FIN, or an RST while idle — a keep-alive client notices and reconnects),
 * silently dropped (the request then gets an RST or no answer — the dangerous case), or alive.
 */
import { ConnectFailure, openSocket } from './connect.ts';
import { ExchangeFailure, type ProbeSocket } from './probe-socket.ts';
import type { ResolvedProbeOptions } from './probe-options.ts';
import { announcesClose, requestText } from './request.ts';

/**
 * The outcome of one rung:
 * - `alive`: the request after the idle time was answered;
 * - `closed`: the socket was closed while idle (`how`: `fin` or `rst`);
 * - `reset`: silently dropped: the request after the idle time got an RST, or a close with no answer;
 * - `hang`: silently dropped: the request after the idle time got no answer within `responseTimeout`;
 * - `error`: the rung could not be run (connect failed, the first request failed, a broken response).
 */
export type RungOutcome = 'alive' | 'closed' | 'reset' | 'hang' | 'error';

/** One rung's result. */
export interface RungResult {
  idleMs: number;
  outcome: RungOutcome;
  /** `fin` / `rst` for `closed`; the reason for `error`. */
  detail: string | null;
}

/** The ladder read as one answer. */
export interface IdleSummary {
  /** The longest idle after which a request still worked, below `closedByMs`; null when none did. */
  aliveUpToMs: number | null;
  /** The shortest idle after which it did not; null when every rung was alive. */
  closedByMs: number | null;
  /** `fin`: closed while idle (graceful); `silent`: dropped, found by the request; `none`: alive at the longest rung. */
  mode: 'fin' | 'silent' | 'none';
  /** For `silent`: whether the request got an RST (`rst`) or hung (`hang`); else null. */
  silentHow: 'rst' | 'hang' | null;
  /** Every rung, shortest first. */
  rungs: RungResult[];
}

/** Counts requests and sockets against the probe's caps. */
export interface Budget {
  requests: number;
  sockets: number;
}

/** Run one rung: connect, request, idle `idleMs`, request again. Never rejects. */
export async function runRung(options: ResolvedProbeOptions, idleMs: number, budget: Budget): Promise<RungResult> {
  let socket: ProbeSocket | undefined;
  const result = (outcome: RungOutcome, detail: string | null = null): RungResult => ({ idleMs, outcome, detail });
  try {
    budget.sockets++;
    socket = (await openSocket(options, ['http/1.1'])).socket;
    budget.requests++;
    const head = await socket.exchange(requestText(options), options.responseTimeout, options.method === 'HEAD');
    if (announcesClose(head.version, head.headers)) return result('closed', 'connection-close');
    const state = await socket.waitIdle(idleMs);
    if (state !== 'open') return result('closed', state === 'fin' ? 'fin' : 'rst');
    budget.requests++;
    try {
      await socket.exchange(requestText(options), options.responseTimeout, options.method === 'HEAD');
      return result('alive');
    } catch (error) {
      if (!(error instanceof ExchangeFailure)) throw error;
      if (error.kind === 'timeout') return result('hang');
      if (error.kind === 'protocol') return result('error', error.message);
      return result('reset', error.kind === 'closed' ? 'closed without answering' : 'rst');
    }
  } catch (error) {
    if (error instanceof ConnectFailure || error instanceof ExchangeFailure) return result('error', error.message);
    throw error;
  } finally {
    socket?.destroy();
  }
}

/** Read the rungs: the first failing rung decides the mode; the alive rung just below it bounds the timeout. */
export function summarizeIdle(rungs: RungResult[]): IdleSummary {
  const sorted = [...rungs].sort((a, b) => a.idleMs - b.idleMs);
  const known = sorted.filter((rung) => rung.outcome !== 'error');
  const failed = known.find((rung) => rung.outcome !== 'alive');
  const below = known.filter((rung) => rung.outcome === 'alive' && (!failed || rung.idleMs < failed.idleMs));
  const aliveUpToMs = below.length > 0 ? (below[below.length - 1] as RungResult).idleMs : null;
  if (!failed) return { aliveUpToMs, closedByMs: null, mode: 'none', silentHow: null, rungs: sorted };
  const silent = failed.outcome === 'reset' || failed.outcome === 'hang';
  return {
    aliveUpToMs,
    closedByMs: failed.idleMs,
    mode: silent ? 'silent' : 'fin',
    silentHow: silent ? (failed.outcome === 'hang' ? 'hang' : 'rst') : null,
    rungs: sorted,
  };
}
