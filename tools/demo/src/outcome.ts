/**
 * One call's outcome, the short code that names a failure, and per-client tallies.
 */
import { isSteadyError } from '@steady/core';

/** What happened to one call. */
export interface Outcome {
  ok: boolean;
  /** Failure code: a Steady code, `HTTP_<status>`, a socket code (`ECONNRESET`), or `HUNG`. */
  code?: string;
  /** Time until the call settled (or until the watchdog gave up on it), ms. */
  ms: number;
  /** True when the call had not settled when the watchdog fired. */
  hung: boolean;
}

/** Per-client counts, plain JSON. */
export interface Tally {
  calls: number;
  ok: number;
  failed: number;
  /** Calls still pending when the demo's watchdog gave up on them (counted in `failed`). */
  hung: number;
  /** Failures by code. */
  errors: Record<string, number>;
  /** Slowest call, ms. */
  maxMs: number;
  /** Slowest served (2xx) call, ms: how long a caller waited for an answer. */
  okMaxMs: number;
  /**
   * Calls Steady refused at once, without sending them to the struggling upstream
   * (`STEADY_CIRCUIT_OPEN`, `STEADY_BULKHEAD_FULL`): counted in `failed` too.
   */
  refused: number;
  /** Slowest refusal, ms: how fast a refused caller had its answer. */
  refusedMaxMs: number;
}

/** Codes that mean "refused at once by Steady, nothing sent": the caller can fall back right away. */
export const REFUSED_CODES: ReadonlySet<string> = new Set(['STEADY_CIRCUIT_OPEN', 'STEADY_BULKHEAD_FULL']);

/** An empty tally. */
export function newTally(): Tally {
  return { calls: 0, ok: 0, failed: 0, hung: 0, errors: {}, maxMs: 0, okMaxMs: 0, refused: 0, refusedMaxMs: 0 };
}

/** Count `outcome` into `tally`. */
export function record(tally: Tally, outcome: Outcome): void {
  tally.calls++;
  const ms = Math.round(outcome.ms);
  tally.maxMs = Math.max(tally.maxMs, ms);
  if (outcome.ok) {
    tally.ok++;
    tally.okMaxMs = Math.max(tally.okMaxMs, ms);
    return;
  }
  tally.failed++;
  if (outcome.hung) tally.hung++;
  const code = outcome.code ?? 'UNKNOWN';
  tally.errors[code] = (tally.errors[code] ?? 0) + 1;
  if (REFUSED_CODES.has(code)) {
    tally.refused++;
    tally.refusedMaxMs = Math.max(tally.refusedMaxMs, ms);
  }
}

/** An HTTP status outside 2xx, for clients (fetch) that resolve with it. */
export class HttpStatusError extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`HTTP ${status}`);
    this.status = status;
  }
}

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  cause?: unknown;
  status?: unknown;
  response?: { status?: unknown };
}

/**
 * The short code naming a failure. A Steady code anywhere in the cause chain wins (adapters
 * keep the `SteadyError` as `cause`); then an HTTP status; then the deepest socket-level code
 * (`ECONNRESET`, `UND_ERR_SOCKET`); then the error's name.
 */
export function codeOf(error: unknown): string {
  const chain: ErrorLike[] = [];
  let current: unknown = error;
  for (let i = 0; i < 8 && current !== null && typeof current === 'object'; i++) {
    chain.push(current as ErrorLike);
    current = (current as ErrorLike).cause;
  }
  for (const e of chain) if (isSteadyError(e)) return e.code;
  for (const e of chain) {
    const status = typeof e.status === 'number' ? e.status : e.response?.status;
    if (typeof status === 'number') return `HTTP_${status}`;
  }
  for (const e of chain.toReversed()) {
    if (typeof e.code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(e.code)) return e.code;
  }
  for (const e of chain) if (typeof e.code === 'string' && e.code !== '') return e.code;
  const name = chain[0]?.name;
  return typeof name === 'string' ? name : 'UNKNOWN';
}

/** Options of {@link runCall}. */
export interface RunCallOptions {
  /** Give up on the call after this many ms: it is aborted and counted as hung. */
  watchdogMs: number;
  /** Extra cancellation (e.g. the process "exiting" in act 5). */
  signal?: AbortSignal;
}

/**
 * Run one call under the demo's outer watchdog: every call the demo makes settles within
 * `watchdogMs`, whatever the client does. A call still pending then is aborted and reported hung.
 */
export async function runCall(
  call: (signal: AbortSignal) => Promise<unknown>,
  options: RunCallOptions,
): Promise<Outcome> {
  const started = performance.now();
  const watchdog = new AbortController();
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    watchdog.abort(new Error('demo watchdog'));
  }, options.watchdogMs);
  const signal = options.signal ? AbortSignal.any([watchdog.signal, options.signal]) : watchdog.signal;
  try {
    // The watchdog also settles calls whose client ignores the abort signal.
    await Promise.race([
      call(signal),
      new Promise((_, reject) => watchdog.signal.addEventListener('abort', () => reject(watchdog.signal.reason))),
    ]);
    return { ok: true, ms: performance.now() - started, hung: false };
  } catch (error) {
    const ms = performance.now() - started;
    return hung ? { ok: false, code: 'HUNG', ms, hung: true } : { ok: false, code: codeOf(error), ms, hung: false };
  } finally {
    clearTimeout(timer);
  }
}
