/** Options of the circuit breaker, their defaults and their validation. */
import { InvalidOptionError, isNetworkError, isProtocolError, isTimeoutError } from '../../errors/errors.ts';
import { durationIn, functionOr, integerIn, knownKeys, numberIn, policyOptions } from '../../options/validate.ts';
import type { ResultInfo } from '../policy.ts';

/** Decides whether an attempt's outcome counts as a failure of the upstream. */
export type BreakerFailurePredicate = (error: unknown, result: ResultInfo | undefined) => boolean;

/** Slow-call detection: the breaker also opens when too many calls are slow. */
export interface SlowCallOptions {
  /**
   * An attempt lasting at least this many ms is slow.
   * @default 5000
   */
  threshold?: number;
  /**
   * Fraction of slow calls in the window (with at least `minimumCalls`) that opens the breaker.
   * @default 0.5
   */
  rate?: number;
}

/** Options of the circuit breaker. */
export interface CircuitBreakerOptions {
  /**
   * Fraction of failed calls in the window (with at least `minimumCalls`) that opens the breaker, 0…1.
   * @default 0.5
   */
  failureRate?: number;
  /**
   * Length of the sliding window in ms.
   * @default 10000
   */
  window?: number;
  /**
   * Calls the window must hold before the failure (or slow-call) rate is judged.
   * @default 10
   */
  minimumCalls?: number;
  /**
   * This many failed attempts in a row open the breaker whatever the rate; 0 turns it off.
   * Off by default: a count in a row is not a rate, so at a few hundred attempts per second any
   * short restart produces one (see `failureRate` and `window` for what judges an outage).
   * @default 0
   */
  consecutiveFailures?: number;
  /**
   * How long the breaker stays open before it admits probes, in ms; doubled by every failed
   * probe up to `maxOpenFor`, except a probe whose connection was refused (nothing listens on
   * the port, as during a restart), which re-opens for `openFor`.
   * @default 500
   */
  openFor?: number;
  /**
   * `openFor` doubles after each failed probe, up to this many ms.
   * @default 60000
   */
  maxOpenFor?: number;
  /**
   * Concurrent probes admitted while half-open; all must succeed to close.
   * @default 1
   */
  halfOpenProbes?: number;
  /**
   * Open on a rate of slow calls too; `true` takes the defaults.
   * @default false
   */
  slowCall?: boolean | SlowCallOptions;
  /**
   * Whether an outcome is a failure. Caller aborts are never counted.
   * @default NetworkError, ProtocolError, TimeoutError (not 'queue'), or a status >= 500
   */
  isFailure?: BreakerFailurePredicate;
}

/** {@link CircuitBreakerOptions} after defaults. */
export interface ResolvedCircuitBreakerOptions {
  readonly failureRate: number;
  readonly window: number;
  readonly minimumCalls: number;
  readonly consecutiveFailures: number;
  readonly openFor: number;
  readonly maxOpenFor: number;
  readonly halfOpenProbes: number;
  readonly slowCall: Readonly<Required<SlowCallOptions>> | false;
  readonly isFailure: BreakerFailurePredicate;
}

/**
 * The default failure predicate: a transport failure, a response that is not valid HTTP
 * (`STEADY_PROTOCOL`), a deadline (except waiting in the bulkhead's queue, which says nothing
 * about the upstream), or a 5xx. 4xx, 429 included,
 * are answers from a healthy server.
 */
export function isDefaultBreakerFailure(error: unknown, result: ResultInfo | undefined): boolean {
  if (error !== undefined) {
    return isNetworkError(error) || isProtocolError(error) || (isTimeoutError(error) && error.phase !== 'queue');
  }
  return result !== undefined && result.status >= 500;
}

/** Defaults of the slow-call detection, when turned on. */
export const DEFAULT_SLOW_CALL_OPTIONS: Readonly<Required<SlowCallOptions>> = Object.freeze({
  /** 5 s: the default total deadline; an attempt that long is as good as failed. */
  threshold: 5000,
  /** 0.5: same bar as the failure rate. */
  rate: 0.5,
});

/** Defaults of the circuit breaker. */
export const DEFAULT_CIRCUIT_BREAKER_OPTIONS: ResolvedCircuitBreakerOptions = Object.freeze({
  /** 0.5: half the calls failing is an outage, not noise. */
  failureRate: 0.5,
  /** 10 s: reacts within seconds, yet holds enough calls to judge a rate. */
  window: 10_000,
  /** 10: a rate over fewer calls is noise (2 failures of 3 calls is not an outage). */
  minimumCalls: 10,
  /**
   * 0 (off): a run of failed attempts is not an outage. With 10, two callers pacing GETs 20 ms
   * apart opened it 0.24 s into a 1.5 s upstream restart (each call's 3 attempts count) and 138
   * of 453 calls were refused (bench fault (b): 39 of 164), more than plain undici lost. The rate
   * over the window opens on a dead upstream as fast on a quiet service (its window holds few
   * successes) and never on a short restart of a busy one (its window holds many).
   */
  consecutiveFailures: 0,
  /**
   * 500 ms, doubled by every failed half-open probe up to `maxOpenFor`: a long outage is probed
   * less and less. A probe refused at connect re-opens for 500 ms again: it cost the upstream
   * nothing and the port may be back any moment, so a restart costs at most ~0.5 s after it ends
   * (with doubling, a 2.2 s restart kept the breaker open 1.7 s after the upstream was back).
   */
  openFor: 500,
  /** 60 s: a long outage is probed at least once a minute. */
  maxOpenFor: 60_000,
  /** 1: a single probe risks the least load on an upstream that may still be down. */
  halfOpenProbes: 1,
  /** Off: latency is governed by the deadlines; opt in where slowness hurts more than errors. */
  slowCall: false,
  /** Transport failures, deadlines and 5xx (see {@link isDefaultBreakerFailure}). */
  isFailure: isDefaultBreakerFailure,
});

const KEYS = [
  'failureRate',
  'window',
  'minimumCalls',
  'consecutiveFailures',
  'openFor',
  'maxOpenFor',
  'halfOpenProbes',
  'slowCall',
  'isFailure',
] as const;

/** Validate breaker options found at `path` (e.g. `breaker`); `false` turns the breaker off. */
export function resolveCircuitBreakerOptions(input: unknown, path: string): ResolvedCircuitBreakerOptions | false {
  const options = policyOptions<CircuitBreakerOptions>(path, input);
  if (options === false) return false;
  knownKeys(path, options, KEYS);
  const d = DEFAULT_CIRCUIT_BREAKER_OPTIONS;
  const openFor = durationIn(`${path}.openFor`, options.openFor, 1, 3_600_000, d.openFor);
  const maxOpenFor = durationIn(
    `${path}.maxOpenFor`,
    options.maxOpenFor,
    1,
    86_400_000,
    Math.max(d.maxOpenFor, openFor),
  );
  if (maxOpenFor < openFor) {
    throw new InvalidOptionError(`${path}.maxOpenFor`, `at least \`${path}.openFor\` (${openFor})`, maxOpenFor);
  }
  return Object.freeze({
    failureRate: numberIn(`${path}.failureRate`, options.failureRate, 0, 1, d.failureRate),
    window: durationIn(`${path}.window`, options.window, 100, 3_600_000, d.window),
    minimumCalls: integerIn(`${path}.minimumCalls`, options.minimumCalls, 1, 1_000_000, d.minimumCalls),
    consecutiveFailures: integerIn(
      `${path}.consecutiveFailures`,
      options.consecutiveFailures,
      0,
      1_000_000,
      d.consecutiveFailures,
    ),
    openFor,
    maxOpenFor,
    halfOpenProbes: integerIn(`${path}.halfOpenProbes`, options.halfOpenProbes, 1, 1000, d.halfOpenProbes),
    slowCall: resolveSlowCall(options.slowCall, `${path}.slowCall`),
    isFailure: functionOr<BreakerFailurePredicate>(`${path}.isFailure`, options.isFailure, d.isFailure),
  });
}

function resolveSlowCall(input: unknown, path: string): Readonly<Required<SlowCallOptions>> | false {
  if (input === undefined) return false;
  const options = policyOptions<SlowCallOptions>(path, input);
  if (options === false) return false;
  knownKeys(path, options, ['threshold', 'rate']);
  const d = DEFAULT_SLOW_CALL_OPTIONS;
  return Object.freeze({
    threshold: durationIn(`${path}.threshold`, options.threshold, 1, 3_600_000, d.threshold),
    rate: numberIn(`${path}.rate`, options.rate, 0, 1, d.rate),
  });
}
