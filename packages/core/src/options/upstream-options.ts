import { availableParallelism } from 'node:os';
import type { Dispatcher } from 'undici';
import { InvalidOptionError } from '../errors/errors.ts';
import { byteSizeOr, deadlineOr, durationIn, integerIn, knownKeys, nameOr, objectOr } from './validate.ts';
import { resolveTlsOptions, type TlsOptions } from './tls-options.ts';

/** HTTP/2 options of the pool (`pool.http2`). */
export interface Http2Options {
  /**
   * Send a PING on every HTTP/2 connection this often, ms (0 turns it off); a connection whose
   * PINGs go unanswered for `max(2 × pingInterval, 1 000)` ms — a peer that stopped answering
   * without closing (paused, partitioned) — is destroyed and replaced. 0 or 100…600 000.
   * @default 10_000
   */
  pingInterval?: number;
  /** Streams per connection at most, 1…10 000 (the server's SETTINGS can lower it). @default 100 */
  maxConcurrentStreams?: number;
}

/** {@link Http2Options} after defaults. */
export type ResolvedHttp2Options = Readonly<Required<Http2Options>>;

/** Connection pool options (one undici pool per origin). */
export interface PoolOptions {
  /**
   * Most sockets to the origin, whatever the burst.
   * @default cores × 10, clamped to 10…100; 2 with `http2` (each multiplexes `maxConcurrentStreams` calls)
   */
  connections?: number;
  /**
   * Close a keep-alive socket after this many idle ms. Always kept strictly below
   * `loadBalancerIdleTimeout`; a shorter server `Keep-Alive: timeout=` hint wins.
   * @default 30_000
   */
  idleTimeout?: number;
  /** @default 3_000 */
  connectTimeout?: number;
  /** Requests in flight per socket (HTTP/1.1 pipelining). @default 1 */
  pipelining?: number;
  /** Recycle a socket after this many requests; 0 = never. @default 0 */
  maxRequestsPerConnection?: number;
  /**
   * HTTP/2: negotiated with ALPN on `https:`, spoken with prior knowledge (h2c) on `http:`;
   * many calls multiplexed on few connections, PING keep-alive, graceful GOAWAY.
   * `true` takes the default {@link Http2Options}.
   * @default false
   */
  http2?: boolean | Http2Options;
  /**
   * TLS options for `https:` origins (see {@link TlsOptions} for the keys); validated by name and
   * type. Verification stays on unless `rejectUnauthorized: false` is given by name.
   * @default undefined (Node's defaults: the system CAs, TLS 1.2+)
   */
  tls?: TlsOptions;
  /** Delay before the first TCP keep-alive probe on an idle socket. @default 15_000 */
  keepAliveInitialDelay?: number;
  /**
   * Send every request through an HTTP(S) forward proxy: its URL (`http://user:pass@proxy:3128`;
   * credentials go in `Proxy-Authorization` and never appear in errors or events), or `'env'` to
   * honour `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` (lower-case too) like plain axios does. `https:`
   * targets are tunnelled with `CONNECT`; the pool keeps its `connections` bound.
   * @default undefined (direct connections)
   */
  proxy?: string | URL;
  /** Connect to this Unix domain socket instead of the origin's host and port (the origin still sets `Host`). */
  socketPath?: string;
  /**
   * Most bytes of one response body, counted as they come off the socket and, where Steady
   * decodes (`decodeBody`: the axios and ky adapters), after decoding, so a gzip bomb is caught
   * too. Past it the body fails with `STEADY_RESPONSE_TOO_LARGE` and its socket is destroyed; a
   * `content-length` above it fails the call at once. An integer ≥ 1, or `Infinity` for no bound.
   * @default 67_108_864 (64 MiB)
   */
  maxResponseSize?: number;
}

/** `pool.proxy` after validation. `redacted` is the URL without its credentials, for messages. */
export type ResolvedProxy = { kind: 'url'; url: URL; redacted: string } | { kind: 'env' };

/** Deadlines. `total` covers queue wait, every attempt and every backoff. */
export interface TimeoutOptions {
  /**
   * Whole call, ms: 1…2 147 483 647 (2³¹−1, the longest Node timer), or `Infinity` for no deadline.
   * A longer finite value is refused (it would fire after 1 ms).
   * @default 5_000
   */
  total?: number;
  /** Until the response headers arrive, per attempt, ms. @default 5_000 */
  headers?: number;
  /** Longest idle gap between two body chunks, ms. @default 5_000 */
  body?: number;
}

/** The upstream-level options this module resolves; policies resolve their own. */
export interface TransportOptions {
  /** Name used in stats, events, errors and metrics. @default the origin's host */
  name?: string;
  /** `http:` or `https:` origin: no path, query or credentials. */
  origin: string | URL;
  /** The idle timeout of a load balancer in front of the origin (ALB 60 s, nginx 75 s); the pool's idle timeout is derived to stay below it. */
  loadBalancerIdleTimeout?: number;
  pool?: PoolOptions;
  timeouts?: TimeoutOptions;
  /** How long `close()` lets in-flight calls finish before destroying them, ms. @default 10_000 */
  closeTimeout?: number;
  /**
   * Any undici `Dispatcher` (e.g. `MockAgent` in tests) used in place of the upstream's own
   * sockets; every policy still applies. The upstream never closes it: its owner does.
   * `pool.proxy` and `pool.socketPath` cannot be combined with it.
   */
  transport?: Dispatcher;
}

/** Transport options after defaults. */
export interface ResolvedTransportOptions {
  name: string;
  origin: URL;
  loadBalancerIdleTimeout: number | undefined;
  pool: Required<Omit<PoolOptions, 'tls' | 'http2' | 'proxy' | 'socketPath'>> & {
    tls: PoolOptions['tls'];
    http2: ResolvedHttp2Options | false;
    proxy: ResolvedProxy | undefined;
    socketPath: string | undefined;
  };
  timeouts: Required<TimeoutOptions>;
  closeTimeout: number;
  transport: Dispatcher | undefined;
}

/** Defaults, each with its reason (see DESIGN.md). */
export const DEFAULT_TRANSPORT_OPTIONS = Object.freeze({
  /** 10–100 sockets per instance, about cores × 10. */
  connections: (cores: number) => Math.min(100, Math.max(10, cores * 10)),
  /** Below every common LB idle timeout (ALB 60 s, nginx 75 s, Cloudflare 100 s). */
  idleTimeout: 30_000,
  /** Fail fast on an unreachable host. */
  connectTimeout: 3_000,
  /** Pipelining causes head-of-line blocking; more sockets are better. */
  pipelining: 1,
  maxRequestsPerConnection: 0,
  /** HTTP/1.1 unless asked: undici 8 would negotiate h2 by default. */
  http2: false,
  /** With HTTP/2 each connection multiplexes many calls: two keep a spare if one dies. */
  http2Connections: 2,
  /** Finds a dead peer within seconds on a busy or idle connection, at one tiny frame per 10 s. */
  pingInterval: 10_000,
  /** Node's and most servers' own limit; the server's SETTINGS can lower it. */
  maxConcurrentStreams: 100,
  /** Detect dead peers on long-idle sockets well before an LB forgets them. */
  keepAliveInitialDelay: 15_000,
  /** 64 MiB: far above any API answer, yet a runaway or hostile body cannot take the heap. */
  maxResponseSize: 64 * 1024 * 1024,
  /** Seeds: request timeout 5 s, headers 2–5 s. */
  total: 5_000,
  headers: 5_000,
  body: 5_000,
  /** Long enough for a deploy's in-flight calls to finish. */
  closeTimeout: 10_000,
  /** When an LB idle timeout is given, keep the pool's idle timeout at most this fraction of it. */
  loadBalancerMargin: 0.8,
});

const HOUR = 3_600_000;
const TOP_KEYS = [
  'name',
  'origin',
  'loadBalancerIdleTimeout',
  'pool',
  'timeouts',
  'closeTimeout',
  'transport',
  'retry',
  'breaker',
  'bulkhead',
  'fallback',
  'hedge',
  'fleet',
] as const;
const POOL_KEYS = [
  'connections',
  'idleTimeout',
  'connectTimeout',
  'pipelining',
  'maxRequestsPerConnection',
  'http2',
  'tls',
  'keepAliveInitialDelay',
  'proxy',
  'socketPath',
  'maxResponseSize',
] as const;
const TIMEOUT_KEYS = ['total', 'headers', 'body'] as const;

/** Validate and default the transport part of the options. Throws {@link InvalidOptionError}. */
export function resolveTransportOptions(input: unknown): ResolvedTransportOptions {
  const options = objectOr<TransportOptions>('options', input);
  if (options === undefined) throw new InvalidOptionError('origin', 'an http(s) origin', undefined);
  knownKeys('', options, TOP_KEYS);
  const origin = resolveOrigin(options.origin);
  const name = nameOr('name', options.name, origin.host);
  const lb =
    options.loadBalancerIdleTimeout === undefined
      ? undefined
      : durationIn('loadBalancerIdleTimeout', options.loadBalancerIdleTimeout, 100, HOUR, 0);

  const pool = objectOr<PoolOptions>('pool', options.pool) ?? {};
  knownKeys('pool', pool, POOL_KEYS);
  const D = DEFAULT_TRANSPORT_OPTIONS;
  const derivedIdle = lb === undefined ? D.idleTimeout : Math.min(D.idleTimeout, Math.floor(lb * D.loadBalancerMargin));
  const idleTimeout = durationIn('pool.idleTimeout', pool.idleTimeout, 1, HOUR, derivedIdle);
  if (lb !== undefined && idleTimeout >= lb) {
    throw new InvalidOptionError(
      'pool.idleTimeout',
      `strictly below loadBalancerIdleTimeout (${lb} ms), or left out to derive ${derivedIdle} ms`,
      idleTimeout,
    );
  }
  const tls = resolveTlsOptions(pool.tls, 'pool.tls');

  const http2 = resolveHttp2Options(pool.http2);
  const timeouts = objectOr<TimeoutOptions>('timeouts', options.timeouts) ?? {};
  knownKeys('timeouts', timeouts, TIMEOUT_KEYS);
  const transport = resolveTransport(options.transport);
  const proxy = resolveProxy(pool.proxy);
  const socketPath = resolveSocketPath(pool.socketPath);
  if (transport !== undefined && (proxy !== undefined || socketPath !== undefined)) {
    throw new InvalidOptionError(
      proxy !== undefined ? 'pool.proxy' : 'pool.socketPath',
      'absent when `transport` is given (the transport owns the connections)',
      proxy?.kind === 'url' ? proxy.redacted : (proxy?.kind ?? socketPath),
    );
  }
  if (proxy !== undefined && socketPath !== undefined) {
    throw new InvalidOptionError('pool.socketPath', 'absent when `pool.proxy` is given', socketPath);
  }

  return {
    name,
    origin,
    loadBalancerIdleTimeout: lb,
    pool: {
      connections: integerIn(
        'pool.connections',
        pool.connections,
        1,
        10_000,
        http2 === false ? D.connections(availableParallelism()) : D.http2Connections,
      ),
      idleTimeout,
      connectTimeout: durationIn('pool.connectTimeout', pool.connectTimeout, 1, 10 * 60_000, D.connectTimeout),
      pipelining: integerIn('pool.pipelining', pool.pipelining, 1, 100, D.pipelining),
      maxRequestsPerConnection: integerIn(
        'pool.maxRequestsPerConnection',
        pool.maxRequestsPerConnection,
        0,
        Number.MAX_SAFE_INTEGER,
        D.maxRequestsPerConnection,
      ),
      http2,
      tls,
      keepAliveInitialDelay: durationIn(
        'pool.keepAliveInitialDelay',
        pool.keepAliveInitialDelay,
        1,
        HOUR,
        D.keepAliveInitialDelay,
      ),
      proxy,
      socketPath,
      maxResponseSize: byteSizeOr('pool.maxResponseSize', pool.maxResponseSize, D.maxResponseSize),
    },
    timeouts: {
      total: deadlineOr('timeouts.total', timeouts.total, D.total),
      headers: durationIn('timeouts.headers', timeouts.headers, 1, HOUR, D.headers),
      body: durationIn('timeouts.body', timeouts.body, 1, HOUR, D.body),
    },
    closeTimeout: durationIn('closeTimeout', options.closeTimeout, 0, HOUR, D.closeTimeout),
    transport,
  };
}

const PROXY_EXPECTED = 'an http: or https: proxy URL (e.g. "http://proxy.internal:3128") or "env"';

/** `pool.proxy`: a URL (credentials allowed, never echoed) or `'env'`. */
function resolveProxy(value: unknown): ResolvedProxy | undefined {
  if (value === undefined) return undefined;
  if (value === 'env') return { kind: 'env' };
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw new InvalidOptionError('pool.proxy', PROXY_EXPECTED, typeof value === 'object' ? '[object]' : value);
  }
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new InvalidOptionError('pool.proxy', PROXY_EXPECTED, withoutCredentials(String(value)));
  }
  const redacted = `${url.protocol}//${url.host}`;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError('pool.proxy', PROXY_EXPECTED, redacted);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new InvalidOptionError('pool.proxy', `${PROXY_EXPECTED}, with no path or query`, redacted + url.pathname);
  }
  return { kind: 'url', url, redacted };
}

/** A proxy URL as text with any `user:pass@` removed, for an error message. */
function withoutCredentials(text: string): string {
  return text.replace(/\/\/[^/@]*@/, '//***@');
}

function resolveSocketPath(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw new InvalidOptionError('pool.socketPath', 'the path of a Unix domain socket (a non-empty string)', value);
  }
  return value;
}

function resolveTransport(value: unknown): Dispatcher | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || typeof (value as Dispatcher).dispatch !== 'function') {
    throw new InvalidOptionError('transport', 'an undici Dispatcher (e.g. a MockAgent)', value);
  }
  return value as Dispatcher;
}

function resolveHttp2Options(value: unknown): ResolvedHttp2Options | false {
  const D = DEFAULT_TRANSPORT_OPTIONS;
  if (value === undefined || value === false) return false;
  if (value !== true && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new InvalidOptionError('pool.http2', 'true, false or { pingInterval?, maxConcurrentStreams? }', value);
  }
  const options: Http2Options = value === true ? {} : (value as Http2Options);
  knownKeys('pool.http2', options, ['pingInterval', 'maxConcurrentStreams']);
  const ping = options.pingInterval;
  if (
    ping !== undefined &&
    ping !== 0 &&
    (typeof ping !== 'number' || !Number.isInteger(ping) || ping < 100 || ping > 600_000)
  ) {
    throw new InvalidOptionError('pool.http2.pingInterval', '0 (off) or an integer number of ms in 100…600000', ping);
  }
  return Object.freeze({
    pingInterval: ping ?? D.pingInterval,
    maxConcurrentStreams: integerIn(
      'pool.http2.maxConcurrentStreams',
      options.maxConcurrentStreams,
      1,
      10_000,
      D.maxConcurrentStreams,
    ),
  });
}

function resolveOrigin(value: unknown): URL {
  const expected = 'an http: or https: origin with no path, query or credentials, e.g. "https://api.example.com"';
  if (typeof value !== 'string' && !(value instanceof URL)) throw new InvalidOptionError('origin', expected, value);
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new InvalidOptionError('origin', expected, value);
  }
  const safe = `${url.protocol}//${url.host}${url.pathname}`;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidOptionError('origin', expected, safe);
  if (url.username !== '' || url.password !== '')
    throw new InvalidOptionError('origin', expected, `${url.protocol}//***@${url.host}`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new InvalidOptionError('origin', expected, safe + url.search.replace(/=[^&]*/g, '=…'));
  }
  return new URL(url.origin);
}
