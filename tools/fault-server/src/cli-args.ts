/**
 * Command-line parsing for the fault-server CLI.
 */
import { parseArgs } from 'node:util';
import type { FaultServerOptions, RouteSpec } from './types.ts';

/** Parsed CLI configuration. */
export interface CliConfig {
  server: FaultServerOptions;
  /** When set, a load balancer with this idle timeout (ms) is started in front of the server. */
  lbIdleTimeout?: number;
  /** Port for the load balancer; default 0. */
  lbPort?: number;
  /** What the load balancer does with an idle connection; default `'forget'`. */
  lbOnIdle?: 'forget' | 'blackhole' | 'close';
  /** Exit when stdin closes (the parent went away). */
  exitWithParent: boolean;
}

/** Help text for `--help`. */
export const USAGE = `fault-server [--port N] [--host H] [--routes '<json>'] [--keep-alive-timeout ms]
             [--no-keep-alive-hint] [--idle-close-after ms] [--lb-idle-timeout ms] [--lb-port N]
             [--lb-on-idle forget|blackhole|close] [--max-requests-per-socket N]
             [--exit-with-parent]`;

function toNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} expects a non-negative number, got ${value}`);
  return n;
}

/** Parse CLI arguments (without the node and script paths). */
export function parseCliArgs(argv: string[]): CliConfig {
  const { values } = parseArgs({
    args: argv,
    allowNegative: true,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      routes: { type: 'string' },
      'keep-alive-timeout': { type: 'string' },
      'keep-alive-hint': { type: 'boolean' },
      'idle-close-after': { type: 'string' },
      'lb-idle-timeout': { type: 'string' },
      'lb-port': { type: 'string' },
      'lb-on-idle': { type: 'string' },
      'max-requests-per-socket': { type: 'string' },
      'exit-with-parent': { type: 'boolean' },
    },
  });
  const server: FaultServerOptions = {};
  const port = toNumber('port', values.port);
  if (port !== undefined) server.port = port;
  if (values.host !== undefined) server.host = values.host;
  if (values.routes !== undefined) server.routes = JSON.parse(values.routes) as Record<string, RouteSpec>;
  const keepAliveTimeout = toNumber('keep-alive-timeout', values['keep-alive-timeout']);
  if (keepAliveTimeout !== undefined) server.keepAliveTimeout = keepAliveTimeout;
  if (values['keep-alive-hint'] === false) server.keepAliveHint = false;
  const idleCloseAfter = toNumber('idle-close-after', values['idle-close-after']);
  if (idleCloseAfter !== undefined) server.idleCloseAfter = idleCloseAfter;
  const maxRequestsPerSocket = toNumber('max-requests-per-socket', values['max-requests-per-socket']);
  if (maxRequestsPerSocket !== undefined) server.maxRequestsPerSocket = maxRequestsPerSocket;
  const config: CliConfig = { server, exitWithParent: values['exit-with-parent'] === true };
  const lbIdleTimeout = toNumber('lb-idle-timeout', values['lb-idle-timeout']);
  if (lbIdleTimeout !== undefined) config.lbIdleTimeout = lbIdleTimeout;
  const lbPort = toNumber('lb-port', values['lb-port']);
  if (lbPort !== undefined) config.lbPort = lbPort;
  const onIdle = values['lb-on-idle'];
  if (onIdle !== undefined) {
    if (onIdle !== 'forget' && onIdle !== 'blackhole' && onIdle !== 'close')
      throw new Error(`--lb-on-idle expects forget, blackhole or close, got ${onIdle}`);
    config.lbOnIdle = onIdle;
  }
  return config;
}
