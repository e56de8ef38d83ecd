/**
 * The programmable fault-injecting HTTP/1.1 upstream: {@link startFaultServer}.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CounterSet } from './counters.ts';
import { respond } from './respond.ts';
import { BadFaultHeaderError, RouteTable } from './route-table.ts';
import type { Behaviour, FaultServer, FaultServerOptions } from './types.ts';

/** Default server keep-alive timeout (ms). */
export const DEFAULT_KEEP_ALIVE_TIMEOUT = 60_000;

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Start a fault server on 127.0.0.1 (port 0 by default).
 *
 * @example
 * const upstream = await startFaultServer({ routes: { '/flaky': [{ status: 503 }, { status: 200 }] } });
 * await fetch(`${upstream.url}/flaky`); // 503, then 200 forever
 */
export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const host = options.host ?? '127.0.0.1';
  const routes = new RouteTable();
  for (const [path, spec] of Object.entries(options.routes ?? {})) routes.set(path, spec);
  const counters = new CounterSet();
  const sockets = new Map<Socket, { inFlight: number; served: number }>();
  const suppressKeepAliveHint = options.idleCloseAfter !== undefined || options.keepAliveHint === false;

  const server = createServer({ requestTimeout: 0 });
  server.keepAliveTimeout = options.idleCloseAfter ?? options.keepAliveTimeout ?? DEFAULT_KEEP_ALIVE_TIMEOUT;
  // Close exactly at keepAliveTimeout (Node >= 24 adds a hidden 1 s buffer by default).
  if ('keepAliveTimeoutBuffer' in server) server.keepAliveTimeoutBuffer = 0;
  if (options.maxRequestsPerSocket !== undefined) server.maxRequestsPerSocket = options.maxRequestsPerSocket;

  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { inFlight: 0, served: 0 });
    counters.socketOpened(sockets.size);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const state = sockets.get(req.socket);
    if (state) {
      state.inFlight++;
      state.served++;
      res.once('close', () => state.inFlight--);
      // Node only marks the last response `Connection: close`; a real server also closes the socket.
      if (options.maxRequestsPerSocket !== undefined && state.served >= options.maxRequestsPerSocket)
        res.once('finish', () => req.socket.end());
    }
    req.on('error', () => {});
    res.on('error', () => {});
    const pathname = new URL(req.url ?? '/', 'http://fault.invalid').pathname;
    counters.requestSeen(pathname, firstHeader(req.headers['x-request-id']));

    let behaviour: Behaviour;
    try {
      behaviour = routes.resolve(pathname, firstHeader(req.headers['x-fault']));
    } catch (error) {
      if (!(error instanceof BadFaultHeaderError)) throw error;
      behaviour = { status: 400, body: error.message };
    }

    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      counters.bodiesReceived++;
      respond(behaviour, { req, res, requestBody: Buffer.concat(chunks), suppressKeepAliveHint });
    });
  });

  let port = options.port ?? 0;
  let listening = false;
  let closed: Promise<void> | undefined;

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => {
        server.off('error', reject);
        const address = server.address();
        if (address && typeof address === 'object') port = address.port;
        listening = true;
        resolve();
      });
    });

  const drop = (socket: Socket): void => {
    sockets.delete(socket);
    socket.destroy();
  };
  const stop = (): Promise<void> => {
    for (const socket of [...sockets.keys()]) drop(socket);
    if (!listening) return Promise.resolve();
    listening = false;
    return new Promise((resolve) => server.close(() => resolve()));
  };

  await listen();
  const urlFor = (): string => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    get url() {
      return urlFor();
    },
    get origin() {
      return urlFor();
    },
    get port() {
      return port;
    },
    route: (path, spec) => routes.set(path, spec),
    counters: () => counters.snapshot(),
    resetCounters: () => counters.reset(sockets.size),
    attempts: (requestId) => counters.attempts(requestId),
    openSockets: () => sockets.size,
    closeIdleSockets: () => {
      for (const [socket, state] of [...sockets]) if (state.inFlight === 0) drop(socket);
    },
    crash: () => stop(),
    restart: async () => {
      if (closed) throw new Error('fault server is closed');
      if (!listening) await listen();
    },
    close: () => {
      closed ??= stop();
      return closed;
    },
  };
}
