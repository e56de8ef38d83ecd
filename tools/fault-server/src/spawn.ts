/**
 * Run the fault-server CLI as a child process: {@link spawnFaultServer}.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Path of the CLI script. */
export const CLI_PATH = fileURLToPath(new URL('./cli.ts', import.meta.url));

/** The ready line the CLI prints. */
export interface ReadyLine {
  url: string;
  port: number;
  lbUrl?: string;
  pid: number;
}

/** A fault server running in a child process. Fields update after {@link SpawnedFaultServer.restart}. */
export interface SpawnedFaultServer extends ReadyLine {
  /** Send `signal` (default SIGTERM); resolves when the child has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kill the child and spawn a new one on the same port(s): an upstream restart. */
  restart(): Promise<void>;
}

function withOption(args: string[], name: string, value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === name) {
      i++;
      continue;
    }
    if (arg.startsWith(`${name}=`)) continue;
    out.push(arg);
  }
  return [...out, name, value];
}

function launch(args: string[]): Promise<{ child: ChildProcess; ready: ReadyLine }> {
  const child = spawn(process.execPath, [CLI_PATH, ...args, '--exit-with-parent'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const lines = createInterface({ input: child.stdout! });
    const onExit = (code: number | null, signal: string | null): void => {
      reject(new Error(`fault-server exited before ready (code ${code}, signal ${signal}): ${stderr.trim()}`));
    };
    child.once('exit', onExit);
    child.once('error', reject);
    lines.once('line', (line) => {
      child.off('exit', onExit);
      lines.close();
      child.stdout?.resume();
      try {
        resolve({ child, ready: JSON.parse(line) as ReadyLine });
      } catch {
        child.kill('SIGKILL');
        reject(new Error(`fault-server printed an unexpected line: ${line}`));
      }
    });
  });
}

function killChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/**
 * Spawn the CLI with `process.execPath`, wait for its ready line, and return a handle.
 * The child gets `--exit-with-parent`, so it dies when this process does.
 */
export async function spawnFaultServer(args: string[] = []): Promise<SpawnedFaultServer> {
  let currentArgs =
    args.includes('--port') || args.some((a) => a.startsWith('--port=')) ? args : [...args, '--port', '0'];
  let { child, ready } = await launch(currentArgs);
  const handle: SpawnedFaultServer = {
    ...ready,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => killChild(child, signal),
    restart: async () => {
      await killChild(child, 'SIGTERM');
      currentArgs = withOption(currentArgs, '--port', String(handle.port));
      if (handle.lbUrl !== undefined) currentArgs = withOption(currentArgs, '--lb-port', new URL(handle.lbUrl).port);
      ({ child, ready } = await launch(currentArgs));
      Object.assign(handle, ready);
    },
  };
  return handle;
}
