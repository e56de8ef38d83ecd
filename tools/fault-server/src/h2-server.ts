/**
 * A small `node:http2` upstream for Steady's HTTP/2 tests and bench: TLS with ALPN `h2`
 * (a self-signed loopback certificate from `fixtures/`) or cleartext h2c (prior knowledge),
 * counters per session and per request id, and a graceful restart (GOAWAY, then a new server
 * on the same port) to test what a client replays.
 */
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { Server as NetServer, type AddressInfo } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_BODY } from './body.ts';

const FIXTURES = new URL('../fixtures/', import.meta.url);
/** How long a restart holds new streams before it sends the GOAWAY that refuses them. */
const HOLD_MS = 25;

/**
 * The self-signed certificate (CN localhost, SAN localhost and 127.0.0.1) the TLS h2 server
 * uses; give `ca` to the client. A test-only key: never use it outside loopback tests.
 */
export const TEST_TLS = Object.freeze({
  key: readFileSync(new URL('localhost-key.pem', FIXTURES), 'utf8'),
  cert: readFileSync(new URL('localhost-cert.pem', FIXTURES), 'utf8'),
});

/** Options of {@link startH2Server}. */
export interface H2ServerOptions {
  /** TLS with ALPN (`https:`), or cleartext h2c with prior knowledge (`http:`). @default true */
  tls?: boolean;
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS the server advertises. @default 1000 */
  maxConcurrentStreams?: number;
}

/** What the server has seen, plain JSON. */
export interface H2Counters {
  /** HTTP/2 sessions (connections) accepted, across restarts. */
  sessions: number;
  /** Requests whose handler ran (the server processed them), across restarts. */
  requests: number;
  /** Most streams open at once on one session. */
  maxConcurrentStreams: number;
  /** Requests whose handler ran, per `x-request-id`. */
  byRequestId: Record<string, number>;
}

/** A running HTTP/2 server. */
export interface H2Server {
  /** `https://127.0.0.1:PORT` or `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  counters(): H2Counters;
  resetCounters(): void;
  /**
   * A graceful restart: stop listening, hold the streams that arrive for 25 ms and then send
   * every session a GOAWAY (streams already accepted finish, the held and later ones are
   * refused unprocessed; the session is closed 2 s later if the client has not closed it), and
   * listen again on the same port after `gap` ms.
   */
  restart(gap?: number): Promise<void>;
  /** Destroy every session and stop listening. Idempotent. */
  close(): Promise<void>;
}

/**
 * Start the server. Every path answers 200 with a 1 KiB JSON body; `?latency=MS` waits first;
 * the response carries `x-session` (which connection served it).
 */
export async function startH2Server(options: H2ServerOptions = {}): Promise<H2Server> {
  const tls = options.tls ?? true;
  const settings = { maxConcurrentStreams: options.maxConcurrentStreams ?? 1_000 };
  const counters: H2Counters = { sessions: 0, requests: 0, maxConcurrentStreams: 0, byRequestId: {} };
  const sessions = new Set<http2.ServerHttp2Session>();
  const draining = new WeakSet<http2.ServerHttp2Session>();
  /** Per session, the highest stream id whose handler ran: the GOAWAY's last stream id. */
  const lastProcessed = new WeakMap<http2.ServerHttp2Session, number>();
  /** Streams that arrived on a draining session before its GOAWAY was sent. */
  const heldStreams = new WeakMap<http2.ServerHttp2Session, http2.ServerHttp2Stream[]>();
  let closed = false;

  const create = (): http2.Http2Server | http2.Http2SecureServer => {
    const server = tls
      ? http2.createSecureServer({ ...TEST_TLS, settings, allowHTTP1: false })
      : http2.createServer({ settings });
    server.on('session', (session) => {
      counters.sessions++;
      const id = counters.sessions;
      let open = 0;
      sessions.add(session);
      session.on('close', () => sessions.delete(session));
      session.on('error', () => {});
      session.on('stream', (stream, headers) => {
        if (draining.has(session)) {
          // A stream that arrives once the restart began is above the GOAWAY's last stream id:
          // it must not be processed (the client replays it elsewhere). Before the GOAWAY is
          // sent it is held, so that nghttp2 refuses it with the GOAWAY; after, it is refused at
          // once. Closing with an error code makes the stream emit 'error'
          // (ERR_HTTP2_STREAM_ERROR) on this side too: expected, so it is listened to.
          stream.on('error', () => {});
          const held = heldStreams.get(session);
          if (held) held.push(stream);
          else stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
          return;
        }
        const streamId = stream.id ?? 0;
        if (streamId > (lastProcessed.get(session) ?? 0)) lastProcessed.set(session, streamId);
        open++;
        if (open > counters.maxConcurrentStreams) counters.maxConcurrentStreams = open;
        stream.on('close', () => open--);
        stream.on('error', () => {});
        counters.requests++;
        const requestId = headers['x-request-id'];
        if (typeof requestId === 'string') counters.byRequestId[requestId] = (counters.byRequestId[requestId] ?? 0) + 1;
        const url = new URL(headers[':path'] ?? '/', 'http://x');
        const latency = Number(url.searchParams.get('latency') ?? 0);
        stream.resume(); // read (and drop) any request body
        const answer = (): void => {
          if (stream.destroyed || stream.closed) return;
          stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-session': String(id) });
          stream.end(DEFAULT_BODY);
        };
        if (latency > 0) setTimeout(answer, latency).unref();
        else answer();
      });
    });
    return server;
  };

  let server = create();
  const listen = async (port: number): Promise<number> => {
    for (let tries = 0; ; tries++) {
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, '127.0.0.1', () => {
            server.off('error', reject);
            resolve();
          });
        });
        return (server.address() as AddressInfo).port;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || tries > 100) throw error;
        await delay(10);
      }
    }
  };
  const port = await listen(options.port ?? 0);
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    url,
    port,
    counters: () => structuredClone(counters),
    resetCounters() {
      Object.assign(counters, { sessions: 0, requests: 0, maxConcurrentStreams: 0, byRequestId: {} });
    },
    async restart(gap = 0) {
      // Stop accepting without Http2Server.close(), which also closes every session at once: the
      // server would then end each connection right after its last response, and undici destroys
      // the socket on that FIN, sometimes before it delivered the end of a response body.
      const old = server;
      (tls ? TlsServer : NetServer).prototype.close.call(old);
      // A real server's GOAWAY races the client's next streams; on loopback that race is won by
      // the GOAWAY most of the time, so streams above its last id would be rare and a test of
      // their replay would be luck. The server widens the window: from the start of the restart
      // it stops processing new streams, and sends the GOAWAY HOLD_MS later with the last stream
      // id it processed, so the streams that arrived meanwhile are refused unprocessed.
      const goaways: Promise<void>[] = [];
      for (const session of sessions) {
        if (draining.has(session)) continue;
        draining.add(session);
        heldStreams.set(session, []);
        goaways.push(
          delay(HOLD_MS).then(() => {
            const held = heldStreams.get(session) ?? [];
            heldStreams.delete(session);
            // GOAWAY with the last stream id it processed: accepted streams finish, later ones
            // are refused. Like nginx or Envoy draining, the client closes the connection once
            // its streams are done; a session still open after a grace period is closed here.
            if (!session.destroyed && !session.closed) {
              session.goaway(http2.constants.NGHTTP2_NO_ERROR, lastProcessed.get(session) ?? 0);
            }
            for (const stream of held)
              if (!stream.destroyed && !stream.closed) stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
            setTimeout(() => session.close(), 2_000).unref();
          }),
        );
      }
      await Promise.all(goaways);
      if (gap > 0) await delay(gap);
      if (closed) return;
      server = create();
      await listen(port);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
