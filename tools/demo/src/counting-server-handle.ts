/**
 * Start the counting fault server ({@link ./counting-server.ts}) as a child process.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FaultCounters, RouteSpec } from '@steady/fault-server';
import type { ChildHandle } from './children.ts';
import type { CountingReply, CountingRequest } from './counting-protocol.ts';

const SCRIPT = fileURLToPath(new URL('./counting-server.ts', import.meta.url));

/** A fault server in a child process, with its counters readable over IPC. */
export interface CountingServer extends ChildHandle {
  readonly url: string;
  /** Drop idle sockets, then zero the counters. */
  reset(): Promise<FaultCounters>;
  /** Read the counters. */
  counters(): Promise<FaultCounters>;
}

/** Fork the counting server with `routes`; resolves once it listens (bounded by `readyMs`). */
export async function startCountingServer(
  routes: Record<string, RouteSpec>,
  readyMs = 15_000,
): Promise<CountingServer> {
  const child = fork(SCRIPT, [JSON.stringify(routes)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const pending = new Map<number, (reply: CountingReply) => void>();
  let nextId = 1;
  child.on('message', (reply: CountingReply) => {
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('counting server did not start in time'));
    }, readyMs);
    pending.set(0, (reply) => {
      clearTimeout(timer);
      if (reply.ready) resolve(reply.ready);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`counting server exited before ready (code ${code})`));
    });
  });

  const ask = (cmd: CountingRequest['cmd']): Promise<FaultCounters> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`counting server did not answer "${cmd}"`));
      }, 5000);
      pending.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.counters) resolve(reply.counters);
        else reject(new Error('counting server sent no counters'));
      });
      child.send({ id, cmd } satisfies CountingRequest);
    });

  return {
    url: ready.url,
    pid: ready.pid,
    reset: () => ask('reset'),
    counters: () => ask('counters'),
    kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
