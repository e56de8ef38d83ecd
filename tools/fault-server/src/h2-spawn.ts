/**
 * The HTTP/2 server in a child process ({@link spawnH2Server}), so a test can pause it with
 * SIGSTOP: the kernel keeps the connection open (no FIN, no RST) while nothing answers.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { H2Counters } from './h2-server.ts';

const CLI = fileURLToPath(new URL('./h2-cli.ts', import.meta.url));

/** An HTTP/2 server running in a child process. */
export interface SpawnedH2Server {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  counters(): Promise<H2Counters>;
  /** Graceful restart in the child (GOAWAY, listen again after `gap` ms). */
  restart(gap?: number): Promise<void>;
  /** SIGSTOP: the peer stops answering, its sockets stay open. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** SIGCONT (a stopped process cannot die of SIGKILL's pending exit otherwise) then SIGKILL; resolves on exit. Idempotent. */
  kill(): Promise<void>;
}

/** Fork the h2 server CLI (`--h2c` for cleartext) and wait for its ready line. */
export async function spawnH2Server(options: { tls?: boolean; port?: number } = {}): Promise<SpawnedH2Server> {
  const args = [...(options.tls === false ? ['--h2c'] : []), ...(options.port ? ['--port', String(options.port)] : [])];
  const child: ChildProcess = fork(CLI, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const ready = await new Promise<{ url: string; port: number; pid: number }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    child.once('exit', (code, signal) => reject(new Error(`h2 server exited before ready (${code ?? signal})`)));
    lines.once('line', (line) => {
      lines.close();
      child.stdout?.resume();
      resolve(JSON.parse(line) as { url: string; port: number; pid: number });
    });
  });
  let seq = 0;
  const ask = <T>(cmd: string, extra: object = {}): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = ++seq;
      const onMessage = (message: { id: number; result: T }): void => {
        if (message.id !== id) return;
        child.off('message', onMessage);
        resolve(message.result);
      };
      child.on('message', onMessage);
      child.send({ id, cmd, ...extra }, (error) => {
        if (error) reject(error);
      });
    });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    ...ready,
    counters: () => ask<H2Counters>('counters'),
    restart: (gap = 0) => ask<null>('restart', { gap }).then(() => undefined),
    pause: () => process.kill(ready.pid, 'SIGSTOP'),
    resume: () => process.kill(ready.pid, 'SIGCONT'),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(ready.pid, 'SIGCONT');
        } catch {
          // already gone
        }
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}
