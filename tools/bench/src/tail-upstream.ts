/**
 * The handle on the upstream process of the `hedge` and `h2` sections
 * (`tail-upstream-process.ts`: one TLS `node:http2` server with `allowHTTP1`), and the Steady
 * client both sections build against it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createUpstream, type Upstream, type UpstreamOptions } from '@steady/core';
import { TEST_TLS } from '@steady/fault-server';
import { trackChild } from './children.ts';

const SCRIPT = fileURLToPath(new URL('./tail-upstream-process.ts', import.meta.url));

/** What the upstream counted since its last reset. */
export interface TailCounters {
  requests: number;
  connections: number;
  /** Responses held for the slow delay (1 s). */
  slow: number;
  /** Requests and slow responses per `/tail/<tag>`. */
  byTag: Record<string, { requests: number; slow: number }>;
  /** The upstream process's CPU time (user + system), µs. */
  cpuMicros: number;
  /** The upstream process's longest event-loop delay, ms. */
  loopDelayMaxMs: number;
}

/** The upstream process: one TLS port for h1 and h2. */
export class TailUpstream {
  readonly #child: ChildProcess;
  readonly origin: string;

  private constructor(child: ChildProcess, port: number) {
    this.#child = child;
    this.origin = `https://127.0.0.1:${port}`;
  }

  static async start(cpu: string | undefined): Promise<TailUpstream> {
    const nodeArgs = [...process.execArgv.filter((a) => a.startsWith('--conditions')), SCRIPT];
    const [command, argv] =
      cpu === undefined ? [process.execPath, nodeArgs] : ['taskset', ['-c', cpu, process.execPath, ...nodeArgs]];
    const child = spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    trackChild(child);
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`tail upstream exited before ready (code ${code})`)));
      child.once('message', (m: { port: number }) => resolve(m.port));
    });
    return new TailUpstream(child, port);
  }

  #ask(cmd: 'counters' | 'reset'): Promise<TailCounters> {
    return new Promise((resolve) => {
      this.#child.once('message', (m: { counters: TailCounters }) => resolve(m.counters));
      this.#child.send({ cmd });
    });
  }

  /** The counters since the last reset. */
  counters(): Promise<TailCounters> {
    return this.#ask('counters');
  }

  /** The counters since the last reset, then zero them. */
  reset(): Promise<TailCounters> {
    return this.#ask('reset');
  }

  kill(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.#child.once('exit', () => resolve());
      this.#child.kill('SIGKILL');
    });
  }
}

/** A Steady upstream on `origin` that trusts the test certificate. */
export function tailClient(origin: string, options: Partial<UpstreamOptions> = {}): Upstream {
  return createUpstream({ origin, ...options, pool: { ...options.pool, tls: { ca: TEST_TLS.cert } } });
}
