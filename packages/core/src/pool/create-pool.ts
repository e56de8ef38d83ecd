import '../runtime/node-check.ts';
import type { Socket } from 'node:net';
import { buildConnector, EnvHttpProxyAgent, Pool, ProxyAgent, type Dispatcher } from 'undici';
import type { ResolvedTransportOptions } from '../options/upstream-options.ts';
import { watchHttp2Connection } from './h2-ping-watchdog.ts';
import { createStaleReplayInterceptor, type ReplayHooks } from './stale-replay.ts';
import { TrackedClient } from './tracked-client.ts';

/** Socket counters, kept by the pool's clients. */
export interface SocketCounters {
  /** Sockets ever opened to the origin. */
  opened: number;
  /** Sockets open right now. */
  open: number;
  /** Most sockets open at once. */
  peakOpen: number;
  /** HTTP/2 connections destroyed because their PINGs went unanswered (a peer that stopped answering). */
  pingTimeouts: number;
}

/** undici's pool figures (zeros where the transport does not report them: a proxy, a custom `transport`). */
export interface PoolFigures {
  connected: number;
  free: number;
  pending: number;
  queued: number;
  running: number;
  size: number;
}

/** What the upstream closes: its own pool, or nothing when the transport belongs to the user. */
export interface Closable {
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/** A tuned undici pool and the dispatcher users get (the pool with the stale-socket replay). */
export interface SteadyPool {
  pool: Closable;
  dispatcher: Dispatcher;
  /**
   * True when `dispatcher` runs every request through the replay interceptor, which lets an
   * `ATTEMPT_OBSERVER` abort it (so no `signal` is needed); false for a user's `transport`.
   */
  abortsThroughObserver: boolean;
  sockets: SocketCounters;
  figures(): PoolFigures;
}

const NO_FIGURES: PoolFigures = Object.freeze({ connected: 0, free: 0, pending: 0, queued: 0, running: 0, size: 0 });

/**
 * One undici `Pool` per origin: at most `connections` sockets, keep-alive idle timeout
 * below the load balancer's, the server's `Keep-Alive: timeout=` hint honoured (undici
 * closes a socket a second before the hint), `noDelay` and TCP keep-alive probes on,
 * HTTP/1.1 unless `http2` is asked for (then ALPN on https, prior-knowledge h2c on http, and a
 * PING watchdog on every HTTP/2 connection). `pool.socketPath` connects to a Unix socket;
 * `pool.proxy` puts undici's `ProxyAgent` (or `EnvHttpProxyAgent` for `'env'`) in front of
 * pools built the same way; `transport` replaces all of it with the user's dispatcher.
 */
export function createPool(options: ResolvedTransportOptions, hooks: ReplayHooks): SteadyPool {
  const sockets: SocketCounters = { opened: 0, open: 0, peakOpen: 0, pingTimeouts: 0 };
  if (options.transport !== undefined) {
    const transport = options.transport;
    return {
      pool: { close: () => Promise.resolve(), destroy: () => Promise.resolve() },
      dispatcher: transport,
      abortsThroughObserver: false,
      sockets,
      figures: () => ({ ...NO_FIGURES }),
    };
  }
  const { pool: p, timeouts } = options;
  const h2 = p.http2;
  const onDead = (): void => {
    sockets.pingTimeouts++;
  };
  const socketHooks = {
    onSocketOpen(socket: Socket, client: TrackedClient) {
      if (
        h2 !== false &&
        h2.pingInterval > 0 &&
        (socket as Socket & { alpnProtocol?: string | false }).alpnProtocol === 'h2'
      ) {
        watchHttp2Connection(client, socket, h2.pingInterval, onDead);
      }
      sockets.opened++;
      sockets.open++;
      if (sockets.open > sockets.peakOpen) sockets.peakOpen = sockets.open;
      socket.once('close', () => {
        sockets.open--;
      });
      hooks.onSocketOpen?.(socket);
    },
  };
  const connect = buildConnector({
    ...p.tls,
    timeout: p.connectTimeout,
    allowH2: h2 !== false,
    // HTTP/2 over cleartext is spoken with prior knowledge (there is no ALPN without TLS).
    useH2c: h2 !== false && options.origin.protocol === 'http:',
    maxCachedSessions: 100,
    noDelay: true,
    keepAlive: true,
    keepAliveInitialDelay: p.keepAliveInitialDelay,
    ...(p.socketPath === undefined ? {} : { socketPath: p.socketPath }),
  } as buildConnector.BuildOptions);

  const poolOptions = {
    connections: p.connections,
    pipelining: p.pipelining,
    keepAliveTimeout: p.idleTimeout,
    keepAliveMaxTimeout: p.idleTimeout,
    keepAliveTimeoutThreshold: Math.min(1_000, Math.floor(p.idleTimeout / 2)),
    maxRequestsPerClient: p.maxRequestsPerConnection === 0 ? undefined : p.maxRequestsPerConnection,
    headersTimeout: timeouts.headers,
    bodyTimeout: timeouts.body,
    allowH2: h2 !== false,
    ...(h2 === false
      ? {}
      : { h2Options: { pingInterval: h2.pingInterval, maxConcurrentStreams: h2.maxConcurrentStreams } }),
  };
  // Every pool (direct, to a proxy, or tunnelled through one) is made of tracked clients,
  // so socket counters, the HTTP/2 watchdog and the stale-socket replay work the same way.
  // Each client gets the pool's connector itself (a proxy's tunnel connector when `extra` has one).
  const trackedPool = (origin: string | URL, extra: Record<string, unknown>): Pool => {
    const poolConnect = (extra['connect'] as typeof connect | undefined) ?? connect;
    return new Pool(origin, {
      ...poolOptions,
      connect,
      ...extra,
      factory: (clientOrigin, clientOptions) =>
        new TrackedClient(
          clientOrigin as URL,
          { ...(clientOptions as object), connect: poolConnect } as ConstructorParameters<typeof TrackedClient>[1],
          socketHooks,
        ),
    } as Pool.Options);
  };

  const replay = createStaleReplayInterceptor(hooks);
  const proxy = p.proxy;
  if (proxy === undefined) {
    const pool = trackedPool(options.origin, {});
    return {
      pool: { close: () => pool.close(), destroy: () => pool.destroy() },
      dispatcher: pool.compose(replay),
      abortsThroughObserver: true,
      sockets,
      figures: () => pool.stats,
    };
  }
  const proxyOptions = {
    ...poolOptions,
    connect,
    connectTimeout: p.connectTimeout,
    ...(p.tls === undefined ? {} : { requestTls: p.tls }),
    factory: (origin: string | URL, extra: Record<string, unknown>) => trackedPool(origin, extra),
    clientFactory: (origin: string | URL, extra: Record<string, unknown>) =>
      new Pool(origin, { ...extra, connections: p.connections } as Pool.Options),
  };
  const agent: Dispatcher =
    proxy.kind === 'env'
      ? new EnvHttpProxyAgent(proxyOptions as EnvHttpProxyAgent.Options)
      : new ProxyAgent({ ...proxyOptions, uri: proxy.url.href } as ProxyAgent.Options);
  return {
    pool: { close: () => agent.close(), destroy: () => agent.destroy() },
    dispatcher: agent.compose(replay),
    abortsThroughObserver: true,
    sockets,
    figures: () => ({ ...NO_FIGURES, connected: sockets.open }),
  };
}
