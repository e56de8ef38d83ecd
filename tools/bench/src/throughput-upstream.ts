/**
 * The upstream of the throughput section: our own nginx when it is installed (the fast
 * upstream: a Node server would be the bottleneck), else the Node fault-server process.
 * Either way it counts the sockets of one measured window: accepted, and most open at once.
 */
import { findNginx, startNginx } from './nginx.ts';
import type { NginxStatus } from './nginx.ts';
import { spawnUpstream } from './upstream.ts';

/** Which upstream to use: `auto` = nginx when installed, else node. */
export type UpstreamChoice = 'auto' | 'nginx' | 'node';

/** Sockets seen at the server during one measured window. */
export interface SocketWindow {
  /** Sockets the server accepted. */
  sockets: number;
  /** Most sockets open at once (including those already open when the window began). */
  peakSockets: number;
}

/** A running throughput upstream. */
export interface ThroughputUpstream {
  kind: 'nginx' | 'node';
  /** One line for the report, e.g. `nginx/1.22.1 (/usr/sbin/nginx, 1 worker, CPU 0, pid 123)`. */
  description: string;
  url: string;
  /** Start counting sockets; the returned function ends the window and returns its counts. */
  openWindow(): Promise<() => Promise<SocketWindow>>;
  stop(): Promise<void>;
}

/** How often the nginx status page is read during a window, ms. */
const POLL_MS = 100;

/** Start the throughput upstream; `cpu` is the core to pin it to (undefined: not pinned). */
export async function startThroughputUpstream(
  choice: UpstreamChoice,
  cpu: string | undefined,
): Promise<ThroughputUpstream> {
  const binary = choice === 'node' ? undefined : findNginx();
  if (choice === 'nginx' && binary === undefined)
    throw new Error('--upstream nginx: nginx is not installed (apt-get install nginx-light)');
  const pinned = cpu === undefined ? '' : `, CPU ${cpu}`;
  if (binary === undefined) {
    const upstream = await spawnUpstream({ cpu });
    return {
      kind: 'node',
      description: `node:http @steady/fault-server (1 process${pinned}; ${choice === 'node' ? 'chosen with --upstream node' : 'nginx not installed'})`,
      url: upstream.url,
      openWindow: async () => {
        await upstream.resetCounters();
        return async () => {
          const { server } = await upstream.counters();
          return { sockets: server.connections, peakSockets: server.maxConcurrentSockets };
        };
      },
      stop: () => upstream.kill(),
    };
  }
  const nginx = await startNginx(binary, cpu === undefined ? undefined : Number(cpu));
  return {
    kind: 'nginx',
    description: `${nginx.version} (${binary}, 1 worker${pinned}, pid ${nginx.pid})`,
    url: nginx.url,
    openWindow: async () => {
      // Every status read is a connection of its own: subtract them from the accepted count,
      // and the one in flight from "active".
      const first = await nginx.status();
      let reads = 0;
      let peak = first.active - 1;
      let pending: Promise<unknown> = Promise.resolve();
      const read = (): Promise<NginxStatus> => {
        reads++;
        const next = nginx.status().then((s) => {
          peak = Math.max(peak, s.active - 1);
          return s;
        });
        pending = next.catch(() => undefined);
        return next;
      };
      let busy = false;
      const poller = setInterval(() => {
        if (busy) return;
        busy = true;
        void read()
          .catch(() => undefined)
          .finally(() => (busy = false));
      }, POLL_MS);
      return async () => {
        clearInterval(poller);
        await pending;
        const last = await read();
        return { sockets: Math.max(0, last.accepts - first.accepts - reads), peakSockets: peak };
      };
    },
    stop: () => nginx.stop(),
  };
}
