import { InvalidOptionError } from '../errors/errors.ts';
import { integerIn, knownKeys, objectOr } from '../options/validate.ts';

/** A fixed delay in ms, or a percentile of the upstream's recent attempt latencies. */
export type HedgeDelay = number | 'p90' | 'p95' | 'p99';

/**
 * Options of hedged requests: when an idempotent call with a replayable body has had no
 * response after `delay`, a copy is sent, up to `maxHedges` copies; the first response wins.
 */
export interface HedgeOptions {
  /**
   * How long a request waits for its response, from when it was written to a socket (time spent
   * waiting for a socket is not counted), before a copy is sent: ms (1…60 000), or `'p90'`,
   * `'p95'`, `'p99'` of the upstream's recent answer latencies (last 1 000, measured the same
   * way), kept within {@link DEFAULT_HEDGE_OPTIONS} `minDelay`…`maxDelay`.
   * @default 'p95'
   */
  delay?: HedgeDelay;
  /**
   * Most copies sent per call, 1…3 (each one `delay` after the previous one was written).
   * @default 1
   */
  maxHedges?: number;
}

/** {@link HedgeOptions} after defaults. */
export type ResolvedHedgeOptions = Readonly<Required<HedgeOptions>>;

/** Defaults of hedging (off unless `hedge` is given), and the bounds of the adaptive delay. */
export const DEFAULT_HEDGE_OPTIONS = Object.freeze({
  /** p95: only the slowest 5 % of calls are hedged, so a hedge costs about 5 % more requests. */
  delay: 'p95' as HedgeDelay,
  /** 1: one copy already cuts the tail of an upstream whose slow responses are rare and independent. */
  maxHedges: 1,
  /** Floor of an adaptive delay, ms: never hedge a fast upstream on noise. */
  minDelay: 5,
  /** Cap of an adaptive delay, ms: a slow upstream still gets its tail cut within a second. */
  maxDelay: 1_000,
  /** Latency samples the adaptive delay is computed from. */
  window: 1_000,
  /** Samples needed before the percentile is used; until then the delay is `maxDelay`. */
  minSamples: 20,
  /**
   * Copies in flight at once, per upstream: at most this share of the hedged calls in flight
   * (Envoy's retry budget is a share of active requests too). A rare slow tail has a copy or two
   * in flight at a time; a burst in which every call waits (a stall, a queue at the upstream)
   * would otherwise hedge them all at once, and over HTTP/1.1 each copy opens a connection.
   */
  maxInFlightRatio: 0.1,
  /** ...but at least this many copies, whatever the calls in flight (Envoy's `min_retry_concurrency`). */
  minInFlight: 3,
});

const PERCENTILES: Record<string, number> = { p90: 90, p95: 95, p99: 99 };
const KEYS = ['delay', 'maxHedges'] as const;

/** The percentile (90, 95, 99) of an adaptive delay, or undefined for a fixed one. */
export function percentileOf(delay: HedgeDelay): number | undefined {
  return typeof delay === 'string' ? PERCENTILES[delay] : undefined;
}

/**
 * Validate hedge options found at `path` (e.g. `hedge`); `false`/undefined turn hedging off.
 * `maxHedges` × delay (an adaptive delay counts as its cap, `maxDelay`) must be below `total`
 * (the call's total deadline), or no hedge could ever be answered in time.
 */
export function resolveHedgeOptions(input: unknown, path: string, total: number): ResolvedHedgeOptions | false {
  if (input === undefined || input === false) return false;
  const options = objectOr<HedgeOptions>(path, input)!;
  knownKeys(path, options, KEYS);
  const delay = options.delay ?? DEFAULT_HEDGE_OPTIONS.delay;
  if (typeof delay === 'string' ? percentileOf(delay) === undefined : !isDelayMs(delay)) {
    throw new InvalidOptionError(`${path}.delay`, "a number of milliseconds in 1…60000, or 'p90', 'p95', 'p99'", delay);
  }
  const maxHedges = integerIn(`${path}.maxHedges`, options.maxHedges, 1, 3, DEFAULT_HEDGE_OPTIONS.maxHedges);
  const resolved = Object.freeze({ delay, maxHedges });
  checkHedgeFits(resolved, path, total, 'timeouts.total');
  return resolved;
}

/**
 * Throw unless `maxHedges` × delay (an adaptive delay counts as its cap) is below `total`:
 * otherwise a hedge could be sent after the call's deadline, or never be answered in time.
 */
export function checkHedgeFits(options: ResolvedHedgeOptions, path: string, total: number, totalName: string): void {
  const { delay, maxHedges } = options;
  const longest = typeof delay === 'number' ? delay : DEFAULT_HEDGE_OPTIONS.maxDelay;
  if (maxHedges * longest < total) return;
  const what = typeof delay === 'number' ? `${delay} ms` : `'${delay}' (capped at ${longest} ms)`;
  throw new InvalidOptionError(
    `${path}.maxHedges`,
    `such that \`${path}.maxHedges\` × \`${path}.delay\` (${maxHedges} × ${what} = ${maxHedges * longest} ms) is below the total deadline \`${totalName}\` (${total} ms): lower either, or raise the deadline`,
    maxHedges,
  );
}

function isDelayMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 && value <= 60_000;
}
