/**
 * Every child process the bench starts is tracked here and killed on exit, on SIGINT
 * and on SIGTERM, so an interrupted run leaves no upstream behind.
 */
import type { ChildProcess } from 'node:child_process';

/** The Node flag a child process needs so that '@steady/*' resolve to their TypeScript sources. */
export const SOURCE_CONDITION = '--conditions=steady-source';

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
