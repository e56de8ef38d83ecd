/**
 * Runs the demo as a child process, as `npm start -- --quick --json` would (no TTY),
 * and checks what it claims: Steady held in every act, and no child process is left.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { DemoSummary } from '../src/demo.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(args: string[], limitMs: number, onStdout?: (text: string, kill: () => void) => void): Promise<Run> {
  const child = spawn(process.execPath, ['--conditions=steady-source', MAIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout?.(stdout, () => child.kill('SIGINT'));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGINT'), limitMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ESRCH');
    return false;
  }
}

async function waitGone(pids: number[], limitMs: number): Promise<number[]> {
  const until = Date.now() + limitMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    alive = alive.filter(isAlive);
  }
  return alive;
}

describe('npm start --quick --json', () => {
  it('shows Steady holding in all six acts and leaves no child process', { timeout: 150_000 }, async () => {
    const run = await runDemo(['--quick', '--json'], 140_000);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as DemoSummary; // only JSON on stdout
    const { staleSockets, outage, hungUpstream, burst, deploy } = summary.acts;

    // Act 1: no idempotent Steady call failed on a stale socket; plain clients did fail.
    expect(staleSockets.clients['steady-axios'].failed).toBe(0);
    expect(staleSockets.clients['steady-ky'].failed).toBe(0);
    expect(staleSockets.replays).toBeGreaterThan(0);
    expect(staleSockets.clients.axios.failed + staleSockets.clients.fetch.failed).toBeGreaterThan(0);

    // Act 2: no Steady call was lost to the restart (each was served once the port was back, or
    // refused at once by a breaker that then closed again); plain clients failed.
    for (const name of ['steady-axios', 'steady-ky'] as const) {
      const tally = outage.clients[name];
      expect(tally.failed - tally.refused).toBe(0);
      expect(tally.ok).toBeGreaterThan(0);
    }
    expect(outage.breaker.closedAtEnd).toBe(true);
    expect(outage.breaker.recovered).toBe(outage.breaker.opened);
    expect(outage.clients.axios.failed + outage.clients.fetch.failed).toBeGreaterThan(0);

    // Act 3: every Steady call settled by its deadline; plain clients hung.
    for (const name of ['steady-axios', 'steady-ky'] as const) {
      const tally = hungUpstream.clients[name];
      expect(tally.hung).toBe(0);
      expect(hungUpstream.settledByDeadline[name]).toBe(tally.calls);
      expect(tally.maxMs).toBeLessThanOrEqual(hungUpstream.deadlineMs + hungUpstream.slackMs);
    }
    expect(hungUpstream.clients.fetch.hung).toBe(hungUpstream.clients.fetch.calls);

    // Act 4: Steady's sockets stay within the pool; the overflow is shed with STEADY_BULKHEAD_FULL.
    for (const name of ['steady-axios', 'steady-ky'] as const) {
      expect(burst.figures[name].maxSockets).toBeLessThanOrEqual(burst.poolSize);
      const tally = burst.clients[name];
      expect(tally.ok + (tally.errors.STEADY_BULKHEAD_FULL ?? 0)).toBe(burst.callsPerClient);
    }
    expect(burst.figures.fetch.maxSockets).toBeGreaterThan(burst.poolSize);

    // Act 5: nothing in flight was lost; calls after the close got STEADY_CLOSED.
    expect(deploy.lost['steady-axios']).toBe(0);
    expect(deploy.lost['steady-ky']).toBe(0);
    for (const tally of Object.values(deploy.afterClose)) {
      expect(tally.errors.STEADY_CLOSED).toBe(tally.calls);
    }

    // Act 6: one axios instance, three hosts: the healthy two served every call with their breakers
    // closed; the failing host's own breaker opened and refused calls at once (read from the metrics).
    const { manyHosts } = summary.acts;
    for (const host of ['payments', 'catalog'] as const) {
      expect(manyHosts.hosts[host].ok).toBe(manyHosts.hosts[host].calls);
      expect(manyHosts.metrics[host]).toMatchObject({ breakerState: 'closed', calls: manyHosts.hosts[host].calls });
      expect(manyHosts.metrics[host].events.breaker_opened ?? 0).toBe(0);
    }
    expect(manyHosts.metrics.search.events.breaker_opened).toBeGreaterThanOrEqual(1);
    expect(manyHosts.hosts.search.refused).toBeGreaterThan(0);
    expect(manyHosts.metrics.search.events.rejected).toBe(manyHosts.hosts.search.refused);
    expect(manyHosts.failingHostRequests).toBeLessThan(manyHosts.hosts.search.calls);

    expect(summary.ok).toBe(true);
    // 7 servers + 1 restart of the outage server.
    expect(summary.children.pids.length).toBeGreaterThanOrEqual(8);
    expect(await waitGone(summary.children.pids, 2000)).toEqual([]);
  });

  it('stops every child process on Ctrl-C', async () => {
    let sent = false;
    const run = await runDemo(['--quick'], 30_000, (text, kill) => {
      if (!sent && text.includes('Act 2/6')) {
        sent = true;
        kill();
      }
    });
    expect(sent).toBe(true);
    expect(run.code).toBe(130);
    const match = /stopped child processes (\[[\d,]*\])/.exec(run.stderr);
    const pids = JSON.parse(match?.[1] ?? '[]') as number[];
    expect(pids.length).toBeGreaterThanOrEqual(4);
    expect(await waitGone(pids, 3000)).toEqual([]);
  });

  it('rejects a bad flag with exit code 2 and a message naming it', async () => {
    const run = await runDemo(['--act-ms', '5'], 10_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--act-ms must be an integer in 500…60000 (received 5)');
    expect(run.stdout).toBe('');
  });
});
