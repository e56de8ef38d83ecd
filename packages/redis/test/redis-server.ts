/**
 * A redis-server of the test's own, on a free loopback port, that the test can kill, restart,
 * pause and resume. Never the shared 127.0.0.1:6379. A missing binary fails the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export const REDIS_MISSING = 'redis-server not found: apt-get install redis-server';

/** A redis-server process started by a test. */
export interface TestRedis {
  readonly port: number;
  /** Pid of the running process (changes on restart). */
  readonly pid: number;
  /** SIGKILL it (a crash); resolves once it has exited. */
  kill(): Promise<void>;
  /** Start it again on the same port. */
  restart(): Promise<void>;
  /** SIGSTOP: it keeps its sockets but answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Stop it for good. */
  stop(): Promise<void>;
}

/** Find a free loopback port by binding port 0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function launch(port: number, binary: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let settled = false;
    const done = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(child);
    };
    const timer = setTimeout(
      () => done(new Error(`redis-server did not accept connections on ${port} in 10 s`)),
      10_000,
    );
    child.once('error', (error: NodeJS.ErrnoException) =>
      done(error.code === 'ENOENT' ? new Error(REDIS_MISSING) : error),
    );
    child.once('exit', (code) => done(new Error(`redis-server exited with ${code} before it was ready`)));
    child.stdout?.resume();
    child.stderr?.resume();
    // Ready when a TCP connection answers PING.
    const poll = (): void => {
      if (settled) return;
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        if (data.toString().startsWith('+PONG')) done();
        else setTimeout(poll, 20);
      });
      socket.once('error', () => {
        socket.destroy();
        setTimeout(poll, 20);
      });
    };
    poll();
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Start a redis-server on a free loopback port (`binary` for the missing-binary test). */
export async function startRedis(binary = 'redis-server'): Promise<TestRedis> {
  const port = await freePort();
  let child = await launch(port, binary);
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
  };
  return {
    port,
    get pid() {
      return child.pid!;
    },
    async kill() {
      signal('SIGCONT');
      signal('SIGKILL');
      await exited(child);
    },
    async restart() {
      child = await launch(port, binary);
    },
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async stop() {
      signal('SIGCONT');
      signal('SIGKILL');
      await exited(child);
    },
  };
}
