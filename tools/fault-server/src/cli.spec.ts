import { spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnFaultServer } from './index.ts';
import type { SpawnedFaultServer } from './index.ts';
import { CLI_PATH } from './spawn.ts';
import { errorCode, httpRequest } from './test-helpers.ts';

const children: SpawnedFaultServer[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')));
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('CLI', () => {
  it('prints one ready line, serves routes, and exits on SIGTERM leaving no child', async () => {
    const routes = JSON.stringify({ '/cli': { status: 202, body: 'from cli' } });
    const child = await spawnFaultServer(['--routes', routes, '--keep-alive-timeout', '3000']);
    children.push(child);
    expect(child.url).toBe(`http://127.0.0.1:${child.port}`);
    expect(child.lbUrl).toBeUndefined();
    expect(isAlive(child.pid)).toBe(true);
    const agent = new Agent({ keepAlive: true });
    const res = await httpRequest(`${child.url}/cli`, { agent });
    agent.destroy();
    expect(res.status).toBe(202);
    expect(res.body.toString()).toBe('from cli');
    expect(res.headers['keep-alive']).toBe('timeout=3');
    await child.kill();
    expect(isAlive(child.pid)).toBe(false);
    expect(errorCode(await httpRequest(child.url, { agent: false }).catch((e: unknown) => e))).toBe('ECONNREFUSED');
  });

  it('starts a load balancer with --lb-idle-timeout and restarts on the same ports', async () => {
    const child = await spawnFaultServer(['--lb-idle-timeout', '150', '--no-keep-alive-hint']);
    children.push(child);
    expect(child.lbUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const viaLb = await httpRequest(`${child.lbUrl}/x`, { agent: false });
    expect(viaLb.status).toBe(200);
    expect(viaLb.headers['keep-alive']).toBeUndefined();
    const { port, lbUrl, pid } = child;
    await child.restart();
    expect(child.pid).not.toBe(pid);
    expect(isAlive(pid)).toBe(false);
    expect(child.port).toBe(port);
    expect(child.lbUrl).toBe(lbUrl);
    expect((await httpRequest(`${child.url}/x`, { agent: false })).status).toBe(200);
  });

  it('exits when stdin closes with --exit-with-parent', async () => {
    const proc = spawn(process.execPath, [CLI_PATH, '--port', '0', '--exit-with-parent'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const [line] = (await once(createInterface({ input: proc.stdout }), 'line')) as [string];
    const ready = JSON.parse(line) as { url: string; port: number; pid: number };
    expect(ready).toMatchObject({ port: expect.any(Number), pid: proc.pid });
    const exited = once(proc, 'exit');
    proc.stdin.end();
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });

  it('rejects bad arguments with a usage message', async () => {
    await expect(spawnFaultServer(['--bogus'])).rejects.toThrow(/exited before ready.*Unknown option/s);
  });
});
