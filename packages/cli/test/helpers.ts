import { startFaultServer, startLoadBalancer, type FaultServer, type LoadBalancer } from '@steady/fault-server';
import { createUpstream, type Upstream, type UpstreamOptions } from '@steady/core';
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, connect, type Server, type Socket } from 'node:net';
import { createSecureServer } from 'node:http2';
import { afterEach } from 'vitest';

export const CERT = readFileSync(new URL('./fixtures/cert.pem', import.meta.url));
export const KEY = readFileSync(new URL('./fixtures/key.pem', import.meta.url));

/** Short rungs for tests; the servers' timeouts sit between two rungs. */
export const LADDER = [200, 500, 1_000, 2_000];

/** Servers, load balancers, proxies and upstreams for one spec file, closed after every test. */
export function useServers() {
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  const track = (server: Server, sockets: Set<Socket>): (() => Promise<void>) => {
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.once('close', () => sockets.delete(socket));
    });
    return () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
  };
  return {
    async server(options?: Parameters<typeof startFaultServer>[0]): Promise<FaultServer> {
      const s = await startFaultServer(options);
      closers.push(() => s.close());
      return s;
    },
    async lb(target: string, idleTimeout: number, onIdle?: 'forget' | 'blackhole' | 'close'): Promise<LoadBalancer> {
      const l = await startLoadBalancer({ target, idleTimeout, ...(onIdle ? { onIdle } : {}) });
      closers.push(() => l.close());
      return l;
    },
    upstream(options: UpstreamOptions): Upstream {
      const u = createUpstream(options);
      closers.push(() => u.destroy());
      return u;
    },
    /** HTTPS that offers h2 and http/1.1 by ALPN (HTTP/1.1 requests are answered by the compat API). */
    async tlsServer(): Promise<string> {
      const server = createSecureServer({ cert: CERT, key: KEY, allowHTTP1: true }, (req, res) => {
        res.setHeader('content-type', 'text/plain');
        res.end('ok');
      });
      const sockets = new Set<Socket>();
      closers.push(track(server as unknown as Server, sockets));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    },
    /**
     * A forward proxy: `CONNECT host:port` gets a tunnel; anything else (absolute-form requests)
     * is piped to `plainTarget`. Records every Proxy-Authorization it sees.
     */
    async proxy(plainTarget: {
      host: string;
      port: number;
    }): Promise<{ url: string; auth: string[]; tunnels: number }> {
      const seen = { url: '', auth: [] as string[], tunnels: 0 };
      const server = createTcpServer((client) => {
        client.once('data', (first: Buffer) => {
          const text = first.toString('latin1');
          const auth = /proxy-authorization: ([^\r\n]+)/i.exec(text)?.[1];
          if (auth) seen.auth.push(auth);
          const tunnel = /^CONNECT ([^ :]+):(\d+) /.exec(text);
          const target = tunnel ? { host: tunnel[1]!, port: Number(tunnel[2]) } : plainTarget;
          const upstream = connect(target);
          upstream.on('error', () => client.destroy());
          client.on('close', () => upstream.destroy());
          upstream.on('close', () => client.destroy());
          if (tunnel) {
            seen.tunnels++;
            client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          } else upstream.write(first);
          client.pipe(upstream).pipe(client);
        });
      });
      const sockets = new Set<Socket>();
      closers.push(track(server, sockets));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      seen.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      return seen;
    },
    /** A raw TCP server that answers every connection with `respond`. */
    async raw(respond: (socket: Socket) => void): Promise<string> {
      const server = createTcpServer(respond);
      const sockets = new Set<Socket>();
      closers.push(track(server, sockets));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    },
    /** A port nothing listens on. */
    async closedPort(): Promise<number> {
      const server = createTcpServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    },
  };
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls through an upstream built from the probe's recommendation, idle `gap` ms between them:
 * the failures, the stale-socket replays and the server-side resets they caused.
 */
export async function callWithGaps(
  upstream: Upstream,
  calls: number,
  gap: number,
): Promise<{ failed: number; replays: number }> {
  let failed = 0;
  for (let i = 0; i < calls; i++) {
    if (i > 0) await pause(gap);
    try {
      const res = await upstream.request('/');
      await res.body.dump();
      if (res.statusCode !== 200) failed++;
    } catch {
      failed++;
    }
  }
  return { failed, replays: upstream.stats().calls.replays };
}
