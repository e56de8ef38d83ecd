import '../runtime/node-check.ts';
import type { Socket } from 'node:net';
import { buildConnector, Pool, type Dispatcher } from 'undici';
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

/** A tuned undici pool and the dispatcher users get (the pool with the stale-socket replay). */
export interface SteadyPool {
  pool: Pool;
  dispatcher: Dispatcher;
  sockets: SocketCounters;
}

/**
 * One undici `Pool` per origin: at most `connections` sockets, keep-alive idle timeout
 * below the load balancer's, the server's `Keep-Alive: timeout=` hint honoured (undici
 * closes a socket a second before the hint), `noDelay` and TCP keep-alive probes on,
 * HTTP/1.1 unless `http2` is asked for (then ALPN on https, prior-knowledge h2c on http, and a
 * PING watchdog on every HTTP/2 connection).
 */
export function createPool(options: ResolvedTransportOptions, hooks: ReplayHooks): SteadyPool {
  const { pool: p, timeouts } = options;
  const sockets: SocketCounters = { opened: 0, open: 0, peakOpen: 0, pingTimeouts: 0 };
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
  } as buildConnector.BuildOptions);

  const pool = new Pool(options.origin, {
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
    connect,
    factory: (origin, clientOptions) =>
      new TrackedClient(
        origin as URL,
        { ...(clientOptions as object), connect } as ConstructorParameters<typeof TrackedClient>[1],
        socketHooks,
      ),
  } as Pool.Options);

  return { pool, dispatcher: pool.compose(createStaleReplayInterceptor(hooks)), sockets };
}
