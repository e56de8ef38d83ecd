/**
 * Spawn and drive the upstream process (`upstream-process.ts`), pinned to its own CPU
 * with `taskset` when the machine has one and more than one core.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { UpstreamCommand, UpstreamCounters, UpstreamReady } from './upstream-protocol.ts';
import { pinnedCommand, SOURCE_CONDITION, trackChild } from './children.ts';

const SCRIPT = fileURLToPath(new URL('./upstream-process.ts', import.meta.url));

/** Where and how to run the upstream process. */
export interface UpstreamProcessOptions {
  /** Put a load-balancer emulation (idle timeout in ms) in front of the server. */
  lbIdleTimeout?: number;
  /** `taskset` CPU list for the server, e.g. `'1'`; undefined = not pinned. */
  cpu?: string | undefined;
}

/** A running upstream process. */
export interface UpstreamProcess {
  /** The server's origin, `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The load balancer's origin when one was asked for. */
  readonly lbUrl: string | undefined;
  readonly pid: number;
  counters(): Promise<UpstreamCounters>;
  resetCounters(): Promise<void>;
  closeIdleSockets(): Promise<void>;
  /** Kill the process (SIGKILL: like a crash) and spawn a new one on the same ports. */
  restart(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  kill(): Promise<void>;
}

function launch(args: string[], cpu: string | undefined): Promise<{ child: ChildProcess; ready: UpstreamReady }> {
  const nodeArgs = [SOURCE_CONDITION, SCRIPT, ...args];
  const [command, argv] = pinnedCommand(cpu, process.execPath, nodeArgs);
  const child = spawn(command, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  trackChild(child);
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void =>
      reject(new Error(`upstream process exited before ready (code ${code})`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.once('message', (message: UpstreamReady) => {
      child.off('exit', onExit);
      resolve({ child, ready: message });
    });
  });
}

function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Start the upstream in its own process and wait until it listens. */
export async function spawnUpstream(options: UpstreamProcessOptions = {}): Promise<UpstreamProcess> {
  const base = options.lbIdleTimeout === undefined ? [] : ['--lb-idle-timeout', String(options.lbIdleTimeout)];
  let { child, ready } = await launch(base, options.cpu);
  let nextId = 1;
  const ask = <T>(cmd: UpstreamCommand['cmd']): Promise<T> => {
    const id = nextId++;
    const current = child;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        current.off('message', onMessage);
        reject(new Error(`upstream did not answer ${cmd}`));
      }, 5_000);
      const onMessage = (message: { id?: number; result?: unknown }): void => {
        if (message.id !== id) return;
        clearTimeout(timer);
        current.off('message', onMessage);
        resolve(message.result as T);
      };
      current.on('message', onMessage);
      current.send({ id, cmd } satisfies UpstreamCommand);
    });
  };
  return {
    get url() {
      return ready.url;
    },
    get lbUrl() {
      return ready.lbUrl;
    },
    get pid() {
      return ready.pid;
    },
    counters: () => ask<UpstreamCounters>('counters'),
    resetCounters: () => ask<void>('reset'),
    closeIdleSockets: () => ask<void>('closeIdle'),
    restart: async () => {
      await exited(child, 'SIGKILL');
      const ports = ['--port', String(ready.port)];
      if (ready.lbUrl !== undefined) ports.push('--lb-port', new URL(ready.lbUrl).port);
      ({ child, ready } = await launch([...base, ...ports], options.cpu));
    },
    kill: () => exited(child, 'SIGTERM'),
  };
}
