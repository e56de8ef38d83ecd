import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/shutdown-app.ts', import.meta.url));

interface Run {
  code: number | null;
  signal: string | null;
  lines: Array<Record<string, unknown>>;
  stderr: string;
}

function run(mode: 'close' | 'sigterm', platform: 'express' | 'fastify'): Promise<Run> {
  return new Promise((resolve) => {
    // Anything left open (socket, timer, listener) would keep the child alive until this timeout kills it.
    const child = execFile(
      process.execPath,
      ['--conditions=steady-source', '--no-warnings', fixture, mode, platform],
      { timeout: 10_000, killSignal: 'SIGKILL' },
      (_error, stdout, stderr) => {
        const lines = stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        resolve({ code: child.exitCode, signal: child.signalCode, lines, stderr });
      },
    );
  });
}

describe('shutdown in a real process', () => {
  it.each(['express', 'fastify'] as const)(
    'app.close() on %s: in-flight calls finish, later calls fail, and the process exits by itself',
    async (platform) => {
      const { code, signal, lines, stderr } = await run('close', platform);
      expect(stderr).toBe('');
      expect(signal).toBeNull();
      expect(code).toBe(0);
      expect(lines).toEqual([
        { event: 'closing', inFlight: 30 },
        { fulfilled: 30, rejected: 0, later: 'STEADY_CLOSED' },
        { event: 'closed', drained: true },
        { state: 'closed', resources: [] },
      ]);
    },
  );

  it('SIGTERM with enableShutdownHooks(): the upstream drains and closes before the process ends', async () => {
    const { signal, lines } = await run('sigterm', 'express');
    expect(signal).toBe('SIGTERM');
    expect(lines).toEqual([
      { event: 'closing', inFlight: 30 },
      { fulfilled: 30, rejected: 0, later: 'STEADY_CLOSED' },
      { event: 'closed', drained: true },
    ]);
  });
});
