/**
 * The benchmark's upstream, run as a SEPARATE process (see {@link spawnUpstream} in
 * `upstream.ts`): a `@steady/fault-server` node:http server that serves the 1 KiB JSON
 * document on every unknown path, optionally with a load-balancer emulation in front.
 * The parent drives it over the IPC channel: counters, reset, closing idle sockets.
 *
 * argv: `--port N --lb-idle-timeout MS --lb-port N` (all optional).
 */
import { startFaultServer, startLoadBalancer } from '@steady/fault-server';
import type { LoadBalancer } from '@steady/fault-server';
import type { UpstreamCommand, UpstreamReady } from './upstream-protocol.ts';
import { BENCH_ROUTES } from './upstream-protocol.ts';

function flag(name: string): number | undefined {
  const index = process.argv.indexOf(name);
  const value = index === -1 ? undefined : process.argv[index + 1];
  return value === undefined ? undefined : Number(value);
}

const server = await startFaultServer({ port: flag('--port') ?? 0, routes: BENCH_ROUTES });
const lbIdle = flag('--lb-idle-timeout');
let lb: LoadBalancer | undefined;
if (lbIdle !== undefined) {
  lb = await startLoadBalancer({ target: server.url, idleTimeout: lbIdle, port: flag('--lb-port') ?? 0 });
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([server.close(), lb?.close()]);
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.on('disconnect', () => void stop());

process.on('message', (message: UpstreamCommand) => {
  let result: unknown = null;
  if (message.cmd === 'counters') {
    result = { server: server.counters(), lb: lb?.counters(), openSockets: server.openSockets() };
  } else if (message.cmd === 'reset') {
    server.resetCounters();
  } else if (message.cmd === 'closeIdle') {
    server.closeIdleSockets();
  }
  process.send?.({ id: message.id, result });
});

const ready: UpstreamReady = { ready: true, url: server.url, port: server.port, lbUrl: lb?.url, pid: process.pid };
process.send?.(ready);
