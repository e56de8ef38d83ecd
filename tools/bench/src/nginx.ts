/**
 * The fast upstream of the throughput section: our own nginx (one worker pinned to one core,
 * access log off, keep-alive for a million requests, the 1 KiB JSON document on every path,
 * `stub_status` on `/nginx_status`), started from a generated config in a temp dir with
 * `daemon off` as a child process and stopped by its own pid. A system nginx is never touched.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_BODY } from '@steady/fault-server';
import { pinnedCommand, terminate, trackChild } from './children.ts';
import { sleep } from './context.ts';

/** Path of the status page in the generated config. */
export const NGINX_STATUS_PATH = '/nginx_status';

/** What the config is generated from. */
export interface NginxConfigOptions {
  /** The temp dir: pid file, error log and temp paths live here. */
  dir: string;
  port: number;
  /** CPU the single worker is pinned to, or undefined for no pinning. */
  cpu: number | undefined;
  /** The body served on every path (no `'`, `\` or `$`: it goes into a `return` string). */
  body: string;
}

/** `worker_cpu_affinity` mask for one CPU: CPU 0 → `1`, CPU 2 → `100`. */
export function affinityMask(cpu: number): string {
  return `1${'0'.repeat(cpu)}`;
}

/** The nginx.conf text (pure). Throws when the body cannot be put into a `return` string. */
export function nginxConfig(o: NginxConfigOptions): string {
  if (/['\\$]/.test(o.body)) throw new Error("nginx body must not contain ', \\ or $");
  const tmp = (name: string): string => `${name}_temp_path ${join(o.dir, `${name}_temp`)};`;
  return [
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    ...(o.cpu === undefined ? [] : [`worker_cpu_affinity ${affinityMask(o.cpu)};`]),
    `pid ${join(o.dir, 'nginx.pid')};`,
    `error_log ${join(o.dir, 'error.log')} warn;`,
    'worker_shutdown_timeout 1s;',
    'events { worker_connections 4096; multi_accept on; }',
    'http {',
    '  access_log off;',
    '  keepalive_requests 1000000;',
    '  keepalive_timeout 65s;',
    '  server_tokens off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${tmp(name)}`),
    '  server {',
    `    listen 127.0.0.1:${o.port} backlog=4096;`,
    `    location = ${NGINX_STATUS_PATH} { stub_status; }`,
    `    location / { default_type application/json; return 200 '${o.body}'; }`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The counters of `stub_status`. */
export interface NginxStatus {
  active: number;
  accepts: number;
  requests: number;
}

/** Parse a `stub_status` page (pure); throws on anything else. */
export function parseNginxStatus(text: string): NginxStatus {
  const active = /Active connections:\s*(\d+)/.exec(text);
  const counts = /server accepts handled requests\s+(\d+)\s+(\d+)\s+(\d+)/.exec(text);
  if (!active || !counts) throw new Error(`not a stub_status page: ${JSON.stringify(text.slice(0, 80))}`);
  return { active: Number(active[1]), accepts: Number(counts[1]), requests: Number(counts[3]) };
}

/** The nginx binary to use, or undefined when none is installed. */
export function findNginx(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  const found = which.status === 0 ? which.stdout.trim() : '';
  if (found) return found;
  return ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'].find((p) => existsSync(p));
}

/** A running nginx of ours. */
export interface NginxProcess {
  readonly url: string;
  readonly pid: number;
  readonly version: string;
  status(): Promise<NginxStatus>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 2_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

async function launchOnce(
  binary: string,
  cpu: number | undefined,
): Promise<{ child: ChildProcess; dir: string; url: string } | { error: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'steady-bench-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ dir, port, cpu, body: DEFAULT_BODY.toString('utf8') }));
  const args = ['-p', `${dir}/`, '-c', conf, '-e', join(dir, 'error.log')];
  const [command, argv] = pinnedCommand(cpu, binary, args);
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  // SIGTERM, not SIGKILL, on the bench's exit: the master then stops its worker.
  trackChild(child, 'SIGTERM');
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    try {
      parseNginxStatus(await getText(url + NGINX_STATUS_PATH));
      return { child, dir, url };
    } catch {
      await sleep(100);
    }
  }
  await terminate(child, 3_000);
  let log = '';
  try {
    log = readFileSync(join(dir, 'error.log'), 'utf8');
  } catch {
    // no log written
  }
  rmSync(dir, { recursive: true, force: true });
  return { error: (stderr + log).trim().split('\n').slice(-3).join(' | ') || `exit ${child.exitCode}` };
}

/** Start our nginx (3 attempts on fresh ports) and wait until its status page answers. */
export async function startNginx(binary: string, cpu: number | undefined): Promise<NginxProcess> {
  const version =
    (spawnSync(binary, ['-v'], { encoding: 'utf8' }).stderr ?? '').trim().replace(/^nginx version: /, '') || 'nginx';
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const launched = await launchOnce(binary, cpu);
    if ('error' in launched) {
      lastError = launched.error;
      continue;
    }
    const { child, dir, url } = launched;
    return {
      url,
      pid: child.pid!,
      version,
      status: async () => parseNginxStatus(await getText(url + NGINX_STATUS_PATH)),
      stop: async () => {
        await terminate(child, 3_000);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  throw new Error(`nginx did not start: ${lastError}`);
}
