/**
 * A TCP load-balancer emulation that silently forgets idle connections and
 * answers the next bytes on a forgotten connection with RST, the way cloud
 * load balancers (AWS ALB/NLB, GCP) do: {@link startLoadBalancer}.
 */
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';

/** Options of {@link startLoadBalancer}. */
export interface LoadBalancerOptions {
  /** The upstream: a URL such as `http://127.0.0.1:8080`, `host:port`, or `{ host, port }`. */
  target: string | { host: string; port: number };
  /** Idle time (no bytes either way) after which a connection is silently forgotten, in ms. */
  idleTimeout: number;
  /** Port to listen on; default 0. */
  port?: number;
  /** Host to listen on; default `127.0.0.1`. */
  host?: string;
  /**
   * What happens to a connection once it has been idle for `idleTimeout`:
   * - `'forget'` (default): silently forgotten; the next bytes from the client get an RST (AWS, GCP);
   * - `'blackhole'`: silently forgotten; the next bytes from the client are ignored, so a request
   *   hangs (a NAT or firewall that dropped its state and drops the packets);
   * - `'close'`: the client gets a FIN (a graceful LB close, which a keep-alive client notices).
   */
  onIdle?: 'forget' | 'blackhole' | 'close';
}

/** Counters of a {@link LoadBalancer}. */
export interface LoadBalancerCounters {
  /** Client connections accepted. */
  connections: number;
  /** Connections silently forgotten after the idle timeout. */
  forgotten: number;
  /** RSTs sent to clients that used a forgotten connection. */
  resets: number;
  /** Bytes from clients ignored on forgotten connections (`onIdle: 'blackhole'`). */
  ignored: number;
  /** Idle connections closed with a FIN (`onIdle: 'close'`). */
  closed: number;
}

/** A running load-balancer emulation. */
export interface LoadBalancer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** A plain JSON snapshot of the counters. */
  counters(): LoadBalancerCounters;
  /** Destroy every connection and stop listening. Idempotent. */
  close(): Promise<void>;
}

/** Parse a load-balancer target into host and port. */
export function parseTarget(target: LoadBalancerOptions['target']): { host: string; port: number } {
  if (typeof target !== 'string') return target;
  const url = new URL(target.includes('://') ? target : `tcp://${target}`);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/** Start a load-balancer emulation in front of `target`. */
export async function startLoadBalancer(options: LoadBalancerOptions): Promise<LoadBalancer> {
  const target = parseTarget(options.target);
  const host = options.host ?? '127.0.0.1';
  const counters: LoadBalancerCounters = { connections: 0, forgotten: 0, resets: 0, ignored: 0, closed: 0 };
  const onIdle = options.onIdle ?? 'forget';
  const sockets = new Set<Socket>();

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };

  const server = createServer({ allowHalfOpen: true }, (client) => {
    counters.connections++;
    track(client);
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    track(upstream);
    let forgotten = false;
    let timer: NodeJS.Timeout | undefined;

    const forget = (): void => {
      if (onIdle === 'close') {
        counters.closed++;
        client.end(); // a FIN to the client; its upstream side follows when the client closes
        upstream.end();
        return;
      }
      forgotten = true;
      counters.forgotten++;
      upstream.destroy(); // the client hears nothing: no FIN, no RST
    };
    const touch = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(forget, options.idleTimeout);
    };
    const rst = (): void => {
      if (client.destroyed) return;
      if (onIdle === 'blackhole') {
        counters.ignored++;
        return;
      }
      counters.resets++;
      client.resetAndDestroy();
    };
    touch();

    client.on('data', (chunk: Buffer) => {
      if (forgotten) return rst();
      touch();
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      touch();
      if (!client.write(chunk)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
    client.on('end', () => (forgotten ? rst() : upstream.end()));
    upstream.on('end', () => {
      if (!forgotten) client.end();
    });
    upstream.on('close', () => {
      if (!forgotten && !client.destroyed && !client.writableEnded) client.destroy();
    });
    client.on('close', () => {
      if (timer) clearTimeout(timer);
      upstream.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port ?? 0, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : 0;
  let closed: Promise<void> | undefined;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    counters: () => ({ ...counters }),
    close: () => {
      closed ??= new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}
