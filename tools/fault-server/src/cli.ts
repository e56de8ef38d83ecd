#!/usr/bin/env node
/**
 * CLI entry point: starts a fault server (and optionally a load balancer in
 * front of it), prints one JSON ready line on stdout, and exits cleanly on
 * SIGTERM/SIGINT or, with `--exit-with-parent`, when stdin closes.
 */
import { parseCliArgs, USAGE } from './cli-args.ts';
import { startFaultServer } from './fault-server.ts';
import { startLoadBalancer } from './load-balancer.ts';
import type { LoadBalancer } from './load-balancer.ts';

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = parseCliArgs(process.argv.slice(2));
  const server = await startFaultServer(config.server);
  let lb: LoadBalancer | undefined;
  if (config.lbIdleTimeout !== undefined) {
    lb = await startLoadBalancer({
      target: server.url,
      idleTimeout: config.lbIdleTimeout,
      port: config.lbPort ?? 0,
      onIdle: config.lbOnIdle ?? 'forget',
      host: config.server.host ?? '127.0.0.1',
    });
  }

  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await Promise.all([server.close(), lb?.close()]);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  if (config.exitWithParent) {
    process.stdin.on('end', () => void shutdown());
    process.stdin.on('close', () => void shutdown());
    process.stdin.on('error', () => void shutdown());
    process.stdin.resume();
  }

  const ready: Record<string, unknown> = { url: server.url, port: server.port };
  if (lb) ready.lbUrl = lb.url;
  ready.pid = process.pid;
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`fault-server: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(1);
});
