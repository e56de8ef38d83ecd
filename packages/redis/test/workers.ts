/**
 * Worker child processes (`fixtures/worker.ts`), each one instance of a service with its own
 * upstream and redisFleet, run on this Node with `--conditions=steady-source` (as tools/demo).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { UpstreamOptions, UpstreamStats } from '@steady/core';

const SCRIPT = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));

/** What a burst or a loop of calls came to, in one worker. */
export interface Tally {
  calls: number;
  ok: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
}

export interface WorkerConfig {
  origin: string;
  redisPort: number;
  fleet?: { quorum?: number; flushInterval?: number; name?: string };
  /** Upstreams by name, each in the worker's fleet or alone (`withFleet: false`). */
  upstreams: Record<string, Partial<UpstreamOptions> & { withFleet: boolean }>;
}

/** One worker process. */
export class Worker {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 0;
  readonly ready: Promise<void>;

  constructor(config: WorkerConfig) {
    this.#child = fork(SCRIPT, [JSON.stringify({ fleet: {}, ...config })], {
      execPath: process.execPath,
      execArgv: ['--conditions=steady-source', '--no-warnings'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('worker did not start in 15 s')), 15_000);
      this.#child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
      this.#child.on('message', (message: { ready?: true; id?: number; result?: unknown; error?: string }) => {
        if (message.ready) {
          clearTimeout(timer);
          resolve();
          return;
        }
        const waiter = this.#pending.get(message.id!);
        this.#pending.delete(message.id!);
        if (message.error !== undefined) waiter?.reject(new Error(message.error));
        else waiter?.resolve(message.result);
      });
    });
  }

  get pid(): number {
    return this.#child.pid!;
  }

  #ask<T>(command: Record<string, unknown>): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#child.send({ id, command });
    });
  }

  stats(upstream: string): Promise<UpstreamStats> {
    return this.#ask({ upstream, cmd: 'stats' });
  }
  /** `calls` calls to `path`, one every `intervalMs`, each after the previous one settled. */
  burst(upstream: string, path: string, calls: number, intervalMs: number): Promise<Tally> {
    return this.#ask({ upstream, cmd: 'burst', path, calls, intervalMs });
  }
  /** Start calling `path` every `intervalMs` in the background (one loop per worker). */
  loop(upstream: string, path: string, intervalMs: number): Promise<true> {
    return this.#ask({ upstream, cmd: 'loop', path, intervalMs });
  }
  /** Breaker transitions of `upstream` so far, each with its `Date.now()`. */
  transitions(upstream: string): Promise<Array<{ at: number; from: string; to: string; reason: string }>> {
    return this.#ask({ upstream, cmd: 'transitions' });
  }
  /** The background loop's tally since the last call (it starts a new one). */
  loopTally(): Promise<Tally> {
    return this.#ask({ upstream: '', cmd: 'loopTally' });
  }
  stopLoop(): Promise<Tally> {
    return this.#ask({ upstream: '', cmd: 'stopLoop' });
  }
  isolate(upstream: string): Promise<string> {
    return this.#ask({ upstream, cmd: 'isolate' });
  }
  reset(upstream: string): Promise<string> {
    return this.#ask({ upstream, cmd: 'reset' });
  }

  /** Close the upstream, then end the process (SIGKILL after 5 s). */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    await Promise.race([this.#ask({ upstream: '', cmd: 'close' }), new Promise((r) => setTimeout(r, 5_000))]);
    this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Start `n` workers and wait until each is ready. */
export async function startWorkers(n: number, config: (index: number) => WorkerConfig): Promise<Worker[]> {
  const workers = Array.from({ length: n }, (_, i) => new Worker(config(i)));
  await Promise.all(workers.map((w) => w.ready));
  return workers;
}

/** Poll `probe` until `done` holds (every 25 ms, at most `timeoutMs`); returns the last value. */
export async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
