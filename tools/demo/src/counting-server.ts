#!/usr/bin/env node
/**
 * Child-process entry: a fault server whose counters the demo reads over IPC.
 * The fault-server CLI prints no counters, and act 4 needs the number of sockets
 * each client opened, measured at the server. Routes come as JSON in argv[2].
 * The process exits when its parent goes away (the IPC channel disconnects).
 */
import { startFaultServer } from '@steady/fault-server';
import type { RouteSpec } from '@steady/fault-server';
import type { CountingRequest, CountingReply } from './counting-protocol.ts';

const routes = JSON.parse(process.argv[2] ?? '{}') as Record<string, RouteSpec>;
const server = await startFaultServer({ routes });

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close();
  process.exit(0);
}

async function settleIdle(limitMs: number): Promise<void> {
  server.closeIdleSockets();
  const until = Date.now() + limitMs;
  while (server.openSockets() > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
}

process.on('message', (message: CountingRequest) => {
  void (async () => {
    if (message.cmd === 'reset') {
      await settleIdle(1000);
      server.resetCounters();
    }
    const reply: CountingReply = { id: message.id, counters: server.counters(), openSockets: server.openSockets() };
    process.send?.(reply);
  })();
});
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.send?.({ id: 0, ready: { url: server.url, pid: process.pid } });
