import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/close-and-exit.ts', import.meta.url));

function run(mode: string): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    // If anything of Steady kept the process alive, the child would hit this timeout.
    execFile(process.execPath, [fixture, mode], { timeout: 10_000 }, (error, stdout) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, ms: Date.now() - started });
    });
  });
}

describe('nothing keeps the process alive after close()/destroy()', () => {
  it('close(): in-flight calls finish and the process exits by itself with no active handle', async () => {
    const { code, out } = await run('close');
    expect(code).toBe(0);
    const report = JSON.parse(out) as { fulfilled: number; rejected: number; state: string; resources: string[] };
    expect(report).toMatchObject({ fulfilled: 20, rejected: 0, state: 'closed' });
    expect(report.resources).toEqual([]);
  });

  it('destroy(): in-flight calls fail and the process exits by itself', async () => {
    const { code, out } = await run('destroy');
    expect(code).toBe(0);
    const report = JSON.parse(out) as { fulfilled: number; rejected: number; state: string };
    expect(report.rejected).toBe(20);
    expect(report.state).toBe('closed');
  });
});
