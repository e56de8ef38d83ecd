import { spawnFaultServer, type SpawnedFaultServer } from '@steady/fault-server';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/index.ts';
import { useServers } from './helpers.ts';

const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const servers = useServers();
const spawned: SpawnedFaultServer[] = [];
afterEach(async () => {
  for (const s of spawned.splice(0)) await s.kill();
});

/** Run the real `steady` binary (from source, as `node bin.ts`) and collect its exit code and output. */
function steady(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=steady-source', BIN, ...args], {
      env: { ...process.env, NO_COLOR: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The same CLI in-process (what bin.ts runs), for the cases that need no separate process. */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
  });
  return { code, stdout, stderr };
}

const SHORT = ['--ladder', '0.2,0.5,1,2', '--response-timeout', '1s', '--samples', '2'];

describe('the steady binary', () => {
  it('--json against a separate fault-server process behind an LB that forgets at 800 ms: exit 0, one JSON object', async () => {
    const s = await spawnFaultServer(['--lb-idle-timeout', '800']);
    spawned.push(s);
    const run = await steady(['probe', s.lbUrl!, ...SHORT, '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(
      expect.arrayContaining(['origin', 'connectMs', 'tlsMs', 'alpn', 'keepAliveHint', 'idle', 'recommended']),
    );
    expect(report).toMatchObject({
      origin: s.lbUrl,
      tlsMs: null,
      alpn: null,
      keepAliveHint: { timeoutMs: 60_000, max: null },
      idle: { aliveUpToMs: 500, closedByMs: 1_000, mode: 'silent' },
      recommended: { origin: s.lbUrl, loadBalancerIdleTimeout: 500 },
    });
    expect(typeof report.connectMs).toBe('number');
  });

  it('prints the human report without colours when not on a TTY, and with them when asked', async () => {
    const s = await servers.server({ idleCloseAfter: 800 });
    const plain = await steady(['probe', s.url, ...SHORT]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).not.toContain('\u001b[');
    expect(plain.stdout).toContain('Finding: idle sockets are closed between 500 ms and 1 s, with a FIN');
    expect(plain.stdout).toMatch(/1 s\s+closed while idle \(FIN\)/);
    expect(plain.stdout).toContain(
      `const upstream = createUpstream({\n    origin: '${s.url}',\n    loadBalancerIdleTimeout: 500,`,
    );
    expect(plain.stderr).toContain('probing');

    const coloured = await inProcess(['probe', s.url, ...SHORT, '--color']);
    expect(coloured.stdout).toContain('\u001b[32malive\u001b[0m');
  });

  it('a usage error exits 1 with a message naming the flag, and the usage', async () => {
    const run = await steady(['probe', 'ftp://example.com']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('<origin> must be an http: or https: URL');
    expect(run.stderr).toContain('Usage: steady probe <origin>');
    expect(run.stdout).toBe('');
  });

  it('every usage error names the flag (in-process runCli, what the binary runs)', async () => {
    const cases: Array<[string[], string]> = [
      [['probe'], 'missing <origin>'],
      [['probe', 'http://127.0.0.1:1', '--max-idle', 'soon'], '--max-idle takes a duration'],
      [['probe', 'http://127.0.0.1:1', '--ladder', '1,2,3,4,5,6,7,8,9,10,11,12'], '--ladder must be at most 11 rungs'],
      [['probe', 'http://127.0.0.1:1', '--max-requests', '3'], '--max-requests must be an integer in 25…10000'],
      [['probe', 'http://127.0.0.1:1', '--path', 'x y'], '--path must be an absolute path'],
    ];
    for (const [args, message] of cases) {
      const run = await inProcess(args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toContain(message);
      expect(run.stdout).toBe('');
    }
  });

  it('never prints credentials: an origin with them is refused, a proxy keeps them to itself', async () => {
    const refused = await steady(['probe', 'https://admin:hunter2@api.example.com']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('https://***@api.example.com');
    expect(refused.stderr).not.toContain('hunter2');

    const s = await servers.server();
    const proxy = await servers.proxy({ host: '127.0.0.1', port: s.port });
    const withProxy = proxy.url.replace('http://', 'http://admin:hunter2@');
    for (const extra of [[], ['--json']]) {
      const run = await inProcess([
        'probe',
        s.url,
        '--ladder',
        '0.1',
        '--proxy',
        withProxy,
        '--max-requests',
        '10',
        ...extra,
      ]);
      expect(run.code).toBe(0);
      expect(run.stdout + run.stderr).not.toContain('hunter2');
      expect(run.stdout).toContain(proxy.url);
    }
    expect(proxy.auth.length).toBeGreaterThan(0);
  });

  it('an unreachable origin exits 2 (and says so in --json too)', async () => {
    const port = await servers.closedPort();
    const run = await steady(['probe', `http://127.0.0.1:${port}`, ...SHORT]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `http://127.0.0.1:${port}/ unreachable: cannot connect to 127.0.0.1:${port} (ECONNREFUSED)`,
    );
    const json = await inProcess(['probe', `http://127.0.0.1:${port}`, ...SHORT, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'STEADY_CONNECT' } });
  });

  it('--help and --version exit 0', async () => {
    const [help, version] = [await inProcess(['--help']), await steady(['--version'])];
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--max-idle <duration>');
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });
});
