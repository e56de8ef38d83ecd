/**
 * `probe(options)`: measure an upstream's path (handshake times, TLS and ALPN, keep-alive hints,
 * requests per connection, and the idle timeout by a ladder of idle sockets in parallel) and
 * recommend `createUpstream` options. At most 16 sockets and `maxRequests` requests, GET/HEAD only.
 */
import { NetworkError, TimeoutError } from '@steady/core';
import { performance } from 'node:perf_hooks';
import { ConnectFailure, openSocket, type OpenedSocket } from './connect.ts';
import { describeFinding } from './finding.ts';
import { runRung, summarizeIdle, type Budget, type IdleSummary } from './idle-ladder.ts';
import { resolveProbeOptions, safeUrl, type ProbeOptions, type ResolvedProbeOptions } from './probe-options.ts';
import { recommendOptions, type RecommendedOptions } from './recommend.ts';
import { median, runSequence, type SequenceResult } from './request-sequence.ts';

/** The request sequence stops here: enough to see common server limits (nginx 1000 is reported as "more than 100"). */
const MAX_PER_CONNECTION = 100;

/** Everything a probe found: the shape `steady probe --json` prints. */
export interface ProbeReport extends Omit<SequenceResult, 'responseMs'> {
  /** The origin probed. */
  origin: string;
  /** The path requested; query values are masked (`?token=…`). */
  path: string;
  method: 'GET' | 'HEAD';
  /** The proxy used, without credentials; null when none. */
  proxy: string | null;
  /** Handshakes timed. */
  samples: number;
  /** Medians over the handshake samples, ms. `tlsMs` is null for `http:`. */
  dnsMs: number;
  connectMs: number;
  tlsMs: number | null;
  tlsVersion: string | null;
  /** The protocol the server picked when offered `h2` and `http/1.1`; null for `http:`. */
  alpn: string | null;
  /** The server accepts HTTP/2 (ALPN `h2`). */
  h2: boolean;
  /** Median request round trip on a warm connection, ms. */
  responseMs: number;
  idle: IdleSummary;
  /** The finding in one sentence. */
  finding: string;
  /** `createUpstream` options to paste. */
  recommended: RecommendedOptions;
  /** Sockets opened and requests sent by the whole probe. */
  sockets: number;
  requests: number;
  elapsedMs: number;
}

/**
 * Probe an origin. Rejects with `InvalidOptionError` for bad options, `NetworkError`
 * (`STEADY_CONNECT`) or `TimeoutError` (phase `connect`) when the origin cannot be reached,
 * and `NetworkError` (`STEADY_NETWORK`) when it is reached but does not answer HTTP.
 */
export async function probe(input: ProbeOptions): Promise<ProbeReport> {
  const options = resolveProbeOptions(input);
  const started = performance.now();
  const budget: Budget = { requests: 0, sockets: 0 };
  const origin = options.origin.origin;
  const context = { url: `${origin}${options.path.replace(/\?.*$/, '')}`, method: options.method };

  const samples: OpenedSocket[] = [];
  for (let i = 0; i < options.samples; i++) {
    budget.sockets++;
    try {
      const opened = await openSocket(options, ['h2', 'http/1.1']);
      opened.socket.destroy();
      samples.push(opened);
    } catch (error) {
      if (!(error instanceof ConnectFailure)) throw error;
      if (error.timedOut) throw new TimeoutError('connect', options.connectTimeout, context, error);
      throw new NetworkError('not-sent', context, error);
    }
  }

  const sequenceLimit = Math.min(MAX_PER_CONNECTION, options.maxRequests - 2 * options.ladder.length - 1);
  let sequence: SequenceResult;
  let rungs;
  try {
    [sequence, rungs] = await Promise.all([
      runSequence(options, sequenceLimit, budget),
      Promise.all(options.ladder.map((idleMs) => runRung(options, idleMs, budget))),
    ]);
  } catch (error) {
    throw new NetworkError('unknown', context, error);
  }
  const idle = summarizeIdle(rungs);
  const first = samples[0] as OpenedSocket;
  const tls = options.origin.protocol === 'https:';
  const round = (ms: number): number => Math.round(ms * 10) / 10;
  const measured = {
    dnsMs: round(median(samples.map((s) => s.dnsMs))),
    connectMs: round(median(samples.map((s) => s.connectMs))),
    tlsMs: tls ? round(median(samples.map((s) => s.tlsMs ?? 0))) : null,
  };
  const { responseMs, ...facts } = sequence;
  return {
    origin,
    path: options.path.replace(/=[^&]*/g, '=…'), // query values may carry tokens: never printed
    method: options.method,
    proxy: options.proxy ? safeUrl(options.proxy) : null,
    samples: samples.length,
    ...measured,
    tlsVersion: first.tlsVersion,
    alpn: first.alpn,
    h2: first.alpn === 'h2',
    ...facts,
    responseMs: round(responseMs),
    idle,
    finding: describeFinding(idle, sequence.keepAliveHint),
    recommended: recommendOptions({
      origin,
      idle,
      alpn: first.alpn,
      ...measured,
      responseMs,
      requestsPerConnection: sequence.requestsPerConnection,
      keepAliveTimeoutMs: sequence.keepAliveHint?.timeoutMs ?? null,
    }),
    sockets: budget.sockets,
    requests: budget.requests,
    elapsedMs: Math.round(performance.now() - started),
  };
}

export type { ResolvedProbeOptions };
