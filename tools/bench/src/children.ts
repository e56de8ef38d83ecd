/**
 * Every child process the bench starts is tracked here and killed on exit, on SIGINT
 * and on SIGTERM, so an interrupted run leaves no upstream behind.
 */
import type { ChildProcess } from 'node:child_process';

/** The Node flag a child process needs so that '@steady/*' resolve to their TypeScript sources. */
export const SOURCE_CONDITION = '--conditions=steady-source';

/** `command args…`, run under `taskset -c cpu` when a CPU is given. */
export function pinnedCommand(
  cpu: string | number | undefined,
  command: string,
  args: readonly string[],
): [string, string[]] {
  return cpu === undefined ? [command, [...args]] : ['taskset', ['-c', String(cpu), command, ...args]];
}

const children = new Map<ChildProcess, NodeJS.Signals>();
let installed = false;

function killAll(): void {
  for (const [child, signal] of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}

/**
 * Remember `child` until it exits; kill it with `signal` if this process goes first
 * (SIGTERM for a process that must stop its own children, like nginx's master).
 */
export function trackChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  children.set(child, signal);
  child.once('exit', () => children.delete(child));
  if (installed) return;
  installed = true;
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Resolves true when `child` has exited (now or within `ms`), false when it is still running. */
export function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Send `signal` to `child` unless it has exited, and wait up to `ms` for its exit. */
export async function signalAndWait(child: ChildProcess, signal: NodeJS.Signals, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  child.kill(signal);
  return waitExit(child, ms);
}

/** SIGTERM, then SIGKILL if `child` has not exited within `ms`. */
export async function terminate(child: ChildProcess, ms: number): Promise<void> {
  if (!(await signalAndWait(child, 'SIGTERM', ms))) await signalAndWait(child, 'SIGKILL', ms);
}
