/**
 * An HTTP "server" that answers every request with fixed raw bytes, for responses no real HTTP
 * server would send: a malformed status line or chunk size, a status of 999, a body that
 * disagrees with its framing. {@link startRawServer}.
 */
import { createServer, type Socket } from 'node:net';

/**
 * Responses that break HTTP, each with the name of the error the client's parser or decoder
 * raises on it: for tests that every client turns them into one typed error.
 */
export const MALFORMED_RESPONSES: ReadonlyArray<readonly [label: string, response: string, raisedBy: string]> = [
  [
    'a malformed chunk size',
    'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n',
    'HTTPParserError',
  ],
  ['a status line `HTTP/1.1 001 X`', 'HTTP/1.1 001 X\r\ncontent-length: 0\r\n\r\n', 'AssertionError'],
  [
    'a corrupt gzip body',
    'HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 12\r\n\r\nnot gzip!!!!',
    'Error', // zlib's, code Z_DATA_ERROR
  ],
];

/** Options of {@link startRawServer}. */
export interface RawServerOptions {
  /** The bytes sent once a request's head (up to the blank line) has arrived. */
  response: string | Buffer;
  /** Close the connection after writing the response; default true. */
  end?: boolean;
}

/** A running raw server. */
export interface RawServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Request heads received. */
  requests(): number;
  /** Destroy every connection and stop listening. Idempotent. */
  close(): Promise<void>;
}

/** Start a raw server on 127.0.0.1, port 0. */
export async function startRawServer(options: RawServerOptions): Promise<RawServer> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (chunk) => {
      if (head.length > 64 * 1024) return;
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      head = '';
      requests++;
      if (options.end === false) socket.write(options.response);
      else socket.end(options.response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
