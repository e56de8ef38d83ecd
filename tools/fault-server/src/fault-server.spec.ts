import { Agent } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultServer } from './index.ts';
import type { FaultServer, FaultServerOptions } from './index.ts';
import { httpRequest } from './test-helpers.ts';

const servers: FaultServer[] = [];
const agents: Agent[] = [];
async function start(options?: FaultServerOptions): Promise<FaultServer> {
  const server = await startFaultServer(options);
  servers.push(server);
  return server;
}
function keepAliveAgent(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 10 });
  agents.push(agent);
  return agent;
}

afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('fault server: responses', () => {
  it('serves a deterministic 1024-byte JSON default body on unknown paths', async () => {
    const server = await start();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.origin).toBe(server.url);
    const res = await fetch(`${server.url}/anything?x=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('content-length')).toBe('1024');
    const text = await res.text();
    expect(Buffer.byteLength(text)).toBe(1024);
    expect(JSON.parse(text)).toMatchObject({ ok: true });
    const again = await (await fetch(`${server.url}/other`)).text();
    expect(again).toBe(text);
  });

  it('consumes a status sequence in order and repeats the last step', async () => {
    const server = await start({ routes: { '/flaky': [{ status: 503 }, { status: 500 }, { status: 200 }] } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${server.url}/flaky`)).status);
    expect(statuses).toEqual([503, 500, 200, 200, 200]);
    server.route('/flaky', [{ status: 429 }, { status: 201 }]);
    expect((await fetch(`${server.url}/flaky`)).status).toBe(429);
    expect((await fetch(`${server.url}/flaky`)).status).toBe(201);
  });

  it('sends extra headers such as retry-after, and /status/NNN answers NNN', async () => {
    const server = await start();
    server.route('/limited', { status: 429, headers: { 'retry-after': '1' }, body: 'slow down' });
    const res = await fetch(`${server.url}/limited`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.text()).toBe('slow down');
    expect((await fetch(`${server.url}/status/503`)).status).toBe(503);
    expect((await fetch(`${server.url}/status/204`)).status).toBe(204);
  });

  it('delays headers by latency', async () => {
    const server = await start({ routes: { '/slow': { latency: 120 } } });
    const started = performance.now();
    const res = await fetch(`${server.url}/slow`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  it('lets the x-fault header override the route, and rejects a bad one with 400', async () => {
    const server = await start({ routes: { '/r': { status: 200 } } });
    const res = await fetch(`${server.url}/r`, {
      headers: { 'x-fault': JSON.stringify({ status: 418, body: { json: { a: 1 } } }) },
    });
    expect(res.status).toBe(418);
    expect(await res.json()).toEqual({ a: 1 });
    const bad = await fetch(`${server.url}/r`, { headers: { 'x-fault': '{nope' } });
    expect(bad.status).toBe(400);
    await bad.text();
    expect((await fetch(`${server.url}/r`)).status).toBe(200);
  });

  it('echoes the request, and serves bytes, chunked, compressed and redirect bodies', async () => {
    const server = await start();
    const echo = await fetch(`${server.url}/echo?q=1`, { method: 'POST', body: 'héllo', headers: { 'x-a': 'b' } });
    expect(await echo.json()).toMatchObject({
      method: 'POST',
      url: '/echo?q=1',
      body: 'héllo',
      bodyBytes: 6,
      headers: { 'x-a': 'b' },
    });

    server.route('/bytes', { body: { bytes: 5000 }, chunked: true });
    const bytes = await fetch(`${server.url}/bytes`);
    expect(bytes.headers.get('transfer-encoding')).toBe('chunked');
    expect((await bytes.arrayBuffer()).byteLength).toBe(5000);

    for (const [flag, encoding] of [
      ['gzip', 'gzip'],
      ['deflate', 'deflate'],
      ['brotli', 'br'],
    ] as const) {
      const res = await fetch(`${server.url}/z`, { headers: { 'x-fault': JSON.stringify({ [flag]: true }) } });
      expect(res.headers.get('content-encoding')).toBe(encoding);
      expect(Buffer.byteLength(await res.text())).toBe(1024);
    }

    server.route('/moved', { redirect: { location: '/elsewhere', status: 307 } });
    const moved = await fetch(`${server.url}/moved`, { redirect: 'manual' });
    expect(moved.status).toBe(307);
    expect(moved.headers.get('location')).toBe('/elsewhere');
  });
});

describe('fault server: counters', () => {
  it('counts requests, bodies, paths and attempts per x-request-id', async () => {
    const server = await start();
    for (let i = 0; i < 3; i++) await (await fetch(`${server.url}/a`, { headers: { 'x-request-id': 'req-1' } })).text();
    await (
      await fetch(`${server.url}/b?x=1`, {
        method: 'POST',
        body: 'x'.repeat(10_000),
        headers: { 'x-request-id': 'req-2' },
      })
    ).text();
    expect(server.attempts('req-1')).toBe(3);
    expect(server.attempts('req-2')).toBe(1);
    expect(server.attempts('never')).toBe(0);
    const counters = server.counters();
    expect(counters).toMatchObject({ requests: 4, bodiesReceived: 4, byPath: { '/a': 3, '/b': 1 } });
    expect(JSON.parse(JSON.stringify(counters))).toEqual(counters);
    server.resetCounters();
    expect(server.counters()).toMatchObject({ connections: 0, requests: 0, bodiesReceived: 0, byPath: {} });
    expect(server.attempts('req-1')).toBe(0);
  });

  it('counts accepted sockets and the concurrency high-water mark', async () => {
    const server = await start({ routes: { '/slow': { latency: 50 } } });
    const agent = keepAliveAgent();
    for (let i = 0; i < 3; i++) await httpRequest(`${server.url}/x`, { agent });
    expect(server.counters().connections).toBe(1);
    expect(server.openSockets()).toBe(1);
    for (let i = 0; i < 2; i++) await httpRequest(`${server.url}/x`, { agent: false });
    expect(server.counters().connections).toBe(3);
    await Promise.all([1, 2, 3, 4].map(() => httpRequest(`${server.url}/slow`, { agent })));
    expect(server.counters().maxConcurrentSockets).toBeGreaterThanOrEqual(4);
    expect(server.openSockets()).toBe(4);
    server.closeIdleSockets();
    await expect.poll(() => server.openSockets()).toBe(0);
  });
});
