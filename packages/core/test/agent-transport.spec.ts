import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createProxy, type ProxyServer } from 'proxy';
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createUpstream, type UpstreamEvents } from '../src/index.ts';
import { rejection, useHarness } from './harness.ts';

const { server, defer, agent: agentFor } = useHarness();

/** A forward proxy (the `proxy` package) on 127.0.0.1 that counts what goes through it. */
async function startProxy(auth?: { user: string; password: string }) {
  const seen = { requests: 0, connects: 0, sockets: 0, openSockets: 0, maxOpenSockets: 0 };
  const proxy: ProxyServer = createProxy(createServer());
  proxy.on('request', () => seen.requests++);
  proxy.on('connect', () => seen.connects++);
  proxy.on('connection', (socket: Socket) => {
    seen.sockets++;
    seen.openSockets++;
    seen.maxOpenSockets = Math.max(seen.maxOpenSockets, seen.openSockets);
    socket.once('close', () => seen.openSockets--);
  });
  if (auth !== undefined) {
    const expected = 'Basic ' + Buffer.from(`${auth.user}:${auth.password}`).toString('base64');
    proxy.authenticate = (req: IncomingMessage) => req.headers['proxy-authorization'] === expected;
  }
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  defer(async () => {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  });
  return { url, seen };
}

/** A plain HTTP server on a Unix domain socket that records the Host of each request. */
async function startUnixServer() {
  const dir = mkdtempSync(join(tmpdir(), 'steady-uds-'));
  const socketPath = join(dir, 'server.sock');
  const hosts: string[] = [];
  let open = 0;
  let maxOpen = 0;
  const srv: Server = createServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    res.setHeader('content-type', 'text/plain');
    res.end(`hello ${req.headers.host ?? ''}`);
  });
  srv.keepAliveTimeout = 60_000;
  srv.on('connection', (socket: Socket) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    socket.once('close', () => open--);
  });
  srv.listen(socketPath);
  await once(srv, 'listening');
  defer(async () => {
    srv.closeAllConnections();
    await new Promise((resolve) => srv.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  return { socketPath, hosts, open: () => open, maxOpen: () => maxOpen };
}

describe('pool.proxy', () => {
  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    delete process.env.http_proxy;
    delete process.env.no_proxy;
  });

  it('sends through a forward proxy, keeping the pool bounded', async () => {
    const s = await server();
    s.route('/slow', { latency: 50 });
    const proxy = await startProxy();
    const agent = agentFor({ defaults: { pool: { proxy: proxy.url, connections: 2 } } });
    const results = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const res = await agent.request(`${s.url}/slow`);
        await res.body.dump();
        return res.statusCode;
      }),
    );
    expect(results).toEqual(Array(8).fill(200));
    expect(proxy.seen.requests).toBe(8);
    expect(proxy.seen.maxOpenSockets).toBeLessThanOrEqual(2);
    expect(s.counters().requests).toBe(8);
    const res = await agent.fetch(`${s.url}/echo`);
    expect(res.status).toBe(200);
    expect(proxy.seen.requests).toBe(9);
  });

  it("'env' honours HTTP_PROXY, and NO_PROXY keeps matching hosts direct", async () => {
    const s = await server();
    const proxy = await startProxy();
    process.env.HTTP_PROXY = proxy.url;
    delete process.env.NO_PROXY;
    const viaProxy = agentFor({ defaults: { pool: { proxy: 'env' } } });
    const res = await viaProxy.request(`${s.url}/x`);
    await res.body.dump();
    expect(proxy.seen.requests).toBe(1);

    process.env.NO_PROXY = '127.0.0.1';
    const direct = agentFor({ defaults: { pool: { proxy: 'env' } } });
    const res2 = await direct.request(`${s.url}/x`);
    await res2.body.dump();
    expect(res2.statusCode).toBe(200);
    expect(proxy.seen.requests).toBe(1);
    expect(s.counters().requests).toBe(2);
  });

  it('never shows proxy credentials in errors or events', async () => {
    const s = await server();
    const proxy = await startProxy({ user: 'svc', password: 'right-one' });
    const good = new URL(proxy.url);
    good.username = 'svc';
    good.password = 'right-one';
    const ok = agentFor({ defaults: { pool: { proxy: good.href }, retry: false } });
    const res = await ok.request(`${s.url}/x`);
    expect(res.statusCode).toBe(200);
    await res.body.dump();

    const bad = new URL(proxy.url);
    bad.username = 'svc';
    bad.password = 'hunter2';
    const events: unknown[] = [];
    const wrong = agentFor({ defaults: { pool: { proxy: bad.href }, retry: false } });
    for (const name of ['retry', 'rejected', 'breakerStateChange', 'replay'] as const)
      wrong.on(name, (e) => events.push(e));
    // undici turns the proxy's 407 into an error: typed, and without the password.
    const denied = await rejection(wrong.request(`${s.url}/x`));
    expect(denied).toMatchObject({ code: expect.stringMatching(/^STEADY_/) });
    expect(`${String(denied)} ${JSON.stringify(denied)}`).not.toContain('hunter2');
    expect(s.counters().requests).toBe(1);

    // The proxy is gone: a typed connect error, without the credentials.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const gone = agentFor({
      defaults: { pool: { proxy: 'http://svc:hunter2@127.0.0.1:9' }, retry: false },
    });
    const error = await rejection(gone.request(`${s.url}/x`));
    expect(error).toMatchObject({ code: expect.stringMatching(/^STEADY_(CONNECT|NETWORK)$/) });
    const text = `${String(error)} ${JSON.stringify(error)} ${String((error as Error).cause)} ${JSON.stringify(events)}`;
    expect(text).not.toContain('hunter2');
    expect(JSON.stringify(gone.stats())).not.toContain('hunter2');
  });
});

describe('pool.socketPath', () => {
  it('sends to a Unix domain socket; the origin still sets Host', async () => {
    const uds = await startUnixServer();
    const upstream = createUpstream({ origin: 'http://unix.internal', pool: { socketPath: uds.socketPath } });
    defer(() => upstream.destroy());
    const res = await upstream.request('/x');
    expect(await res.body.text()).toBe('hello unix.internal');

    const agent = agentFor({ origins: { 'http://docker.sock': { pool: { socketPath: uds.socketPath } } } });
    const viaFetch = await agent.fetch('http://docker.sock/v1.45/containers/json');
    expect(await viaFetch.text()).toBe('hello docker.sock');
    expect(uds.hosts).toEqual(['unix.internal', 'docker.sock']);
  });

  it('1,000 distinct origins with maxOrigins: live upstreams, sockets and memory stay bounded', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const uds = await startUnixServer();
    const maxOrigins = 20;
    const agent = agentFor({ maxOrigins, defaults: { pool: { socketPath: uds.socketPath } } });
    let maxLive = 0;
    const heapAt: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      const res = await agent.request(`http://origin-${i}.test/x`);
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      if (i % 25 === 0) maxLive = Math.max(maxLive, agent.stats().liveOrigins);
      if (i === 199 || i === 999) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        gc();
        heapAt.push(process.memoryUsage().heapUsed);
      }
    }
    const stats = agent.stats();
    expect(maxLive).toBe(maxOrigins);
    expect(stats.registry.created).toBe(1_000);
    expect(stats.registry.evicted).toBe(1_000 - maxOrigins);
    expect(uds.hosts.length).toBe(1_000);
    // Evicted upstreams close their sockets: never much more than maxOrigins open at once.
    expect(uds.maxOpen()).toBeLessThanOrEqual(maxOrigins + 5);
    // 800 more origins went through; a leak of one upstream each (pool, policies, timers) would
    // show as many megabytes.
    expect(heapAt[1]! - heapAt[0]!).toBeLessThan(4 * 1024 * 1024);
    await agent.close();
    expect(uds.open()).toBe(0);
  }, 90_000);
});

describe('transport: a Dispatcher in place of the sockets', () => {
  it('MockAgent with every policy still applied: retry, then the breaker', async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    defer(() => mock.close());
    const pool = mock.get('https://api.example.com');
    pool.intercept({ path: '/flaky', method: 'GET' }).reply(503, 'busy').times(2);
    pool.intercept({ path: '/flaky', method: 'GET' }).reply(200, { ok: true });
    pool.intercept({ path: '/down', method: 'GET' }).reply(500, 'no').persist();

    const agent = agentFor({
      defaults: {
        transport: mock,
        retry: { retries: 2, baseDelay: 1, maxDelay: 2, budget: false },
        breaker: { consecutiveFailures: 3 },
      },
    });
    const retries: UpstreamEvents['retry'][] = [];
    agent.on('retry', (e) => retries.push(e));
    const res = await agent.fetch('https://api.example.com/flaky');
    expect(await res.json()).toEqual({ ok: true });
    expect(retries).toHaveLength(2);

    const down = await agent.request('https://api.example.com/down', { retry: false });
    expect(down.statusCode).toBe(500);
    await down.body.dump();
    for (let i = 0; i < 2; i++)
      await (await agent.request('https://api.example.com/down', { retry: false })).body.dump();
    const open = await rejection(agent.request('https://api.example.com/down'));
    expect(open).toMatchObject({ code: 'STEADY_CIRCUIT_OPEN' });
    await agent.close();
    // The agent never closes a transport it does not own.
    expect(() => mock.assertNoPendingInterceptors()).not.toThrow();
  });

  it('rejects a transport combined with proxy or socketPath, and a non-dispatcher', () => {
    const mock = new MockAgent();
    defer(() => mock.close());
    expect(() => createUpstream({ origin: 'http://x.test', transport: mock, pool: { socketPath: '/tmp/x' } })).toThrow(
      /`pool.socketPath` must be absent when `transport` is given/,
    );
    expect(() => createUpstream({ origin: 'http://x.test', transport: {} as never })).toThrow(/`transport` must be/);
    expect(() =>
      createUpstream({ origin: 'http://x.test', pool: { proxy: 'http://p:3128', socketPath: '/tmp/x' } }),
    ).toThrow(/`pool.socketPath` must be absent when `pool.proxy` is given/);
  });
});
