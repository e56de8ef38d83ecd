/**
 * Public types of the fault server: behaviours, counters, options and handles.
 * Everything here is plain JSON-able data or an interface, so behaviours can
 * travel through the CLI (`--routes`) and the `x-fault` request header.
 */

/** A response body: a literal string, a JSON value, or N deterministic bytes. */
export type BehaviourBody = string | { json: unknown } | { bytes: number };

/** How the fault server answers one request. Every field is optional. */
export type Behaviour = {
  /** HTTP status; default 200. */
  status?: number;
  /** Response body; default a deterministic 1024-byte JSON document. */
  body?: BehaviourBody;
  /** Extra response headers, e.g. `{ 'retry-after': '1' }`. */
  headers?: Record<string, string>;
  /** Milliseconds to wait (after the request body is read) before sending headers. */
  latency?: number;
  /** Never send headers: hold the socket until the client gives up or the server closes. */
  hang?: boolean;
  /** Send headers and this many body bytes, then stall forever. */
  stallAfterBytes?: number;
  /** Send headers and this many body bytes, then RST the socket. */
  resetAfterBytes?: number;
  /** Read (and count) the full request body, then RST the socket without answering. */
  resetBeforeResponse?: boolean;
  /** Send `connection: close` and close the socket after the response. */
  closeAfterResponse?: boolean;
  /** Answer with JSON `{ method, url, headers, body, bodyBytes }` describing the request. */
  echo?: boolean;
  /** Use chunked transfer encoding, sending the body in several chunks. */
  chunked?: boolean;
  /** Compress the body with `content-encoding: gzip`. */
  gzip?: boolean;
  /** Compress the body with `content-encoding: deflate`. */
  deflate?: boolean;
  /** Compress the body with `content-encoding: br`. */
  brotli?: boolean;
  /** Answer a redirect (status default 302) with this `Location`. */
  redirect?: { location: string; status?: number };
};

/** A route entry: one behaviour, or a sequence consumed per request (the last one repeats). */
export type RouteSpec = Behaviour | Behaviour[];

/** A plain JSON snapshot of what the fault server has seen. */
export interface FaultCounters {
  /** Sockets ever accepted. */
  connections: number;
  /** Requests received (headers parsed). */
  requests: number;
  /** Requests whose body was fully read. */
  bodiesReceived: number;
  /** Requests per URL pathname (query string excluded). */
  byPath: Record<string, number>;
  /** Highest number of simultaneously open server-side sockets. */
  maxConcurrentSockets: number;
}

/** Options of {@link startFaultServer}. */
export interface FaultServerOptions {
  /** Port to listen on; default 0 (an ephemeral port). */
  port?: number;
  /** Host to listen on; default `127.0.0.1`. */
  host?: string;
  /** Server keep-alive timeout in ms; default 60_000. The socket really closes at that time (no hidden buffer). */
  keepAliveTimeout?: number;
  /** Send `Keep-Alive: timeout=<seconds>` on keep-alive responses; default true. */
  keepAliveHint?: boolean;
  /**
   * Close idle keep-alive sockets after this many ms WITHOUT advertising it
   * (no `Keep-Alive` header), like a misconfigured upstream. Overrides `keepAliveTimeout`.
   */
  idleCloseAfter?: number;
  /**
   * Serve at most this many requests per connection: the last one is answered with
   * `Connection: close` and the socket closed (Node's `maxRequestsPerSocket`); default unlimited.
   */
  maxRequestsPerSocket?: number;
  /** Initial routes, keyed by URL pathname. */
  routes?: Record<string, RouteSpec>;
}

/** A running fault server. */
export interface FaultServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The bound port (stable across {@link FaultServer.restart}). */
  readonly port: number;
  /** Same as {@link FaultServer.url}. */
  readonly origin: string;
  /** Set or replace the behaviour of a pathname; an array is a sequence (last repeats). */
  route(path: string, behaviour: RouteSpec): void;
  /** A plain JSON snapshot of the counters. */
  counters(): FaultCounters;
  /** Zero every counter (and the per-request-id attempts). */
  resetCounters(): void;
  /** How many requests carried `x-request-id: <requestId>`. */
  attempts(requestId: string): number;
  /** Currently open server-side sockets. */
  openSockets(): number;
  /** Destroy the sockets that have no request in flight. */
  closeIdleSockets(): void;
  /** Destroy every socket at once and stop listening, like a killed process. */
  crash(): Promise<void>;
  /** Listen again on the same port after {@link FaultServer.crash}. */
  restart(): Promise<void>;
  /** Destroy all sockets, stop listening; resolves when fully closed. Idempotent. */
  close(): Promise<void>;
}
