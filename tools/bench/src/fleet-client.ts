/**
 * The `steady-fleet` row: Steady core with `redisFleet()` from `@steady/redis`, next to the
 * plain `steady` row in the same run (its "vs plain" ratio is fleet ÷ no fleet; the target is
 * ≥ 0.95×: nothing of the fleet is on a call's path). It starts its own redis-server on a free
 * loopback port (never the shared 6379), tracked with the bench's other children.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { trackChild } from './children.ts';
import { JSON_HEADERS, status, steadyOptions } from './client-kit.ts';
import type { ClientSpec } from './clients.ts';

let server: Promise<{ port: number; child: ChildProcess }> | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** One redis-server for the whole bench run, started on first use. */
function redisServer(): Promise<{ port: number; child: ChildProcess }> {
  server ??= (async () => {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    trackChild(child);
    await new Promise<void>((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'ENOENT' ? new Error('redis-server not found: apt-get install redis-server') : error),
      );
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Ready to accept connections')) resolve();
      });
    });
    child.stdout!.resume();
    return { port, child };
  })();
  return server;
}

export const steadyFleetClient: ClientSpec = {
  id: 'steady-fleet',
  label: 'Steady core + redisFleet()',
  steady: true,
  plain: 'steady',
  async create(setup) {
    const [{ createUpstream }, { redisFleet }, { Redis }, { port }] = await Promise.all([
      import('@steady/core'),
      import('@steady/redis'),
      import('ioredis'),
      redisServer(),
    ]);
    const redis = new Redis({ port, host: '127.0.0.1' });
    const fleet = redisFleet({ redis, name: 'bench' });
    const upstream = createUpstream({ ...steadyOptions(setup), fleet });
    return {
      get: (path, signal) => status(upstream.request(path, { signal })),
      post: (path, body, signal) =>
        status(upstream.request(path, { method: 'POST', body, signal, headers: JSON_HEADERS })),
      close: async () => {
        await upstream.destroy();
        redis.disconnect();
      },
      socketsOpened: () => upstream.stats().pool.socketsOpened,
    };
  },
};
