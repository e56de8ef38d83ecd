/**
 * Every child process the demo starts, so that they are all stopped at the end
 * and on Ctrl-C. Children also get `--exit-with-parent` (or an IPC channel), so
 * they die with the demo even if it is killed with SIGKILL.
 */

/** Something that runs as a child process with a (possibly changing) pid. */
export interface ChildHandle {
  /** Current pid; it changes when a fault server restarts. */
  readonly pid: number;
  /** Stop the child; resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The registry of child processes. */
export class Children {
  readonly #handles = new Set<ChildHandle>();
  readonly #pids = new Set<number>();

  /** Track `handle` and return it. */
  add<T extends ChildHandle>(handle: T): T {
    this.#handles.add(handle);
    this.#pids.add(handle.pid);
    return handle;
  }

  /** Record the current pid of a tracked handle again (after a restart). */
  refresh(handle: ChildHandle): void {
    this.#pids.add(handle.pid);
  }

  /** Every pid ever started, for the summary (the test checks they are all gone). */
  pids(): number[] {
    for (const handle of this.#handles) this.#pids.add(handle.pid);
    return [...this.#pids];
  }

  /** Stop every child and wait for each to exit (bounded: SIGKILL after `graceMs`). */
  async stopAll(graceMs = 2000): Promise<void> {
    const handles = [...this.#handles];
    this.#handles.clear();
    await Promise.all(
      handles.map(async (handle) => {
        let timer: NodeJS.Timeout | undefined;
        const killed = handle.kill('SIGTERM');
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), graceMs);
        });
        if ((await Promise.race([killed, late])) === 'late') {
          signalPid(handle.pid, 'SIGKILL');
          await Promise.race([killed, new Promise((resolve) => setTimeout(resolve, 500))]);
        }
        clearTimeout(timer);
      }),
    );
  }

  /** Synchronous last resort for signal handlers: SIGTERM every pid ever started. */
  killAllNow(): void {
    for (const pid of this.pids()) signalPid(pid, 'SIGTERM');
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
