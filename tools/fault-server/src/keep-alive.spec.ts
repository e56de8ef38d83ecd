import { Agent } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultServer } from './index.ts';
import type { FaultServer, FaultServerOptions } from './index.ts';
import { errorCode, httpRequest, rawGet } from './test-helpers.ts';

const servers: FaultServer[] = [];
const sockets: Socket[] = [];
const agents: Agent[] = [];
async function start(options?: FaultServerOptions): Promise<FaultServer> {
  const server = await startFaultServer(options);
  servers.push(server);
  return server;
}
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.once('error', reject);
    sockets.push(socket);
  });
}
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const agent of agents.splice(0)) agent.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('fault server: keep-alive', () => {
  it('advertises Keep-Alive: timeout=N by default and not with keepAliveHint: false', async () => {
    const hinted = await start({ keepAliveTimeout: 2_000 });
    expect((await httpRequest(hinted.url)).headers['keep-alive']).toBe('timeout=2');
    const silent = await start({ keepAliveTimeout: 2_000, keepAliveHint: false });
    const res = await httpRequest(silent.url);
    expect(res.headers['keep-alive']).toBeUndefined();
    expect(res.headers.connection).toBe('keep-alive');
  });

  it('idleCloseAfter closes idle sockets silently, without a hint', async () => {
    const server = await start({ idleCloseAfter: 150 });
    const socket = await open(server.port);
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
    const response = await rawGet(socket, '/x');
    const answeredAt = performance.now();
    expect(response).not.toMatch(/keep-alive: timeout/i);
    expect(response).toMatch(/^HTTP\/1\.1 200/);
    const elapsed = (await closed) - answeredAt;
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(elapsed).toBeLessThan(1000);
    await expect.poll(() => server.openSockets()).toBe(0);
  });

  it('closeIdleSockets leaves sockets with a request in flight alone', async () => {
    const server = await start({ routes: { '/slow': { latency: 150 } } });
    const idle = await open(server.port);
    await rawGet(idle, '/x');
    const busy = await open(server.port);
    const pending = rawGet(busy, '/slow');
    await expect.poll(() => server.counters().requests).toBe(2);
    const idleClosed = new Promise((resolve) => idle.once('close', resolve));
    server.closeIdleSockets();
    await idleClosed;
    expect(await pending).toMatch(/^HTTP\/1\.1 200/);
  });

  it('crash drops every socket and refuses connections; restart listens on the same port', async () => {
    const server = await start();
    const port = server.port;
    const agent = new Agent({ keepAlive: true });
    agents.push(agent);
    await httpRequest(server.url, { agent });
    expect(server.openSockets()).toBe(1);
    await server.crash();
    expect(server.openSockets()).toBe(0);
    expect(errorCode(await httpRequest(server.url, { agent: false }).catch((e: unknown) => e))).toBe('ECONNREFUSED');
    await server.restart();
    expect(server.port).toBe(port);
    expect((await httpRequest(server.url, { agent })).status).toBe(200);
    await server.close();
    await server.close();
    await expect(server.restart()).rejects.toThrow(/closed/);
  });

  it('maxRequestsPerSocket answers the last request with Connection: close and closes the socket', async () => {
    const server = await start({ maxRequestsPerSocket: 2 });
    const socket = await open(server.port);
    let ended = false;
    socket.on('end', () => (ended = true));
    expect(await rawGet(socket, '/1')).toMatch(/connection: keep-alive/i);
    expect(await rawGet(socket, '/2')).toMatch(/connection: close/i);
    await expect.poll(() => ended, { timeout: 1000, interval: 20 }).toBe(true);
    expect(server.counters()).toMatchObject({ connections: 1, requests: 2 });
  });
});
