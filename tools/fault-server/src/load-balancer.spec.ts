import { Agent } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultServer, startLoadBalancer } from './index.ts';
import type { FaultServer, LoadBalancer, LoadBalancerOptions } from './index.ts';
import { errorCode, httpRequest, rawGet, sleep } from './test-helpers.ts';

const IDLE = 150;
const closers: Array<{ close(): Promise<void> }> = [];
const sockets: Socket[] = [];
const agents: Agent[] = [];

async function setup(
  onIdle: LoadBalancerOptions['onIdle'] = 'forget',
): Promise<{ server: FaultServer; lb: LoadBalancer; open: () => Socket }> {
  const server = await startFaultServer();
  closers.push(server);
  const lb = await startLoadBalancer({ target: server.url, idleTimeout: IDLE, onIdle });
  closers.push(lb);
  const open = (): Socket => {
    const socket = connect({ port: lb.port, host: '127.0.0.1' });
    sockets.push(socket);
    return socket;
  };
  return { server, lb, open };
}
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const agent of agents.splice(0)) agent.destroy();
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

describe('load balancer emulation', () => {
  it('proxies requests and keeps an active connection open', async () => {
    const { server, lb } = await setup();
    expect(lb.url).toBe(`http://127.0.0.1:${lb.port}`);
    const agent = new Agent({ keepAlive: true });
    agents.push(agent);
    for (let i = 0; i < 3; i++) {
      const res = await httpRequest(`${lb.url}/via-lb`, { agent });
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(1024);
    }
    expect(lb.counters()).toEqual({ connections: 1, forgotten: 0, resets: 0, ignored: 0, closed: 0 });
    expect(server.counters().byPath).toEqual({ '/via-lb': 3 });
  });

  it('silently forgets an idle connection, then RSTs the next bytes on it', async () => {
    const { server, lb, open } = await setup();
    const socket = open();
    let endedByPeer = false;
    socket.on('end', () => (endedByPeer = true));
    expect(await rawGet(socket, '/first')).toMatch(/^HTTP\/1\.1 200/);
    await expect.poll(() => lb.counters().forgotten, { timeout: 1000, interval: 20 }).toBe(1);
    await expect.poll(() => server.openSockets()).toBe(0); // the upstream side is gone...
    expect(endedByPeer).toBe(false); // ...but the client heard nothing
    expect(socket.destroyed).toBe(false);
    const error = await rawGet(socket, '/second').catch((e: unknown) => e);
    expect(errorCode(error)).toBe('ECONNRESET');
    expect(lb.counters()).toEqual({ connections: 1, forgotten: 1, resets: 1, ignored: 0, closed: 0 });
    expect(server.counters().requests).toBe(1);
  });

  it('makes a keep-alive node:http Agent fail with ECONNRESET on the reused socket', async () => {
    const { lb } = await setup();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    expect((await httpRequest(`${lb.url}/a`, { agent })).reusedSocket).toBe(false);
    await sleep(IDLE + 100);
    const error = await httpRequest(`${lb.url}/b`, { agent }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe('ECONNRESET');
    expect(lb.counters().resets).toBe(1);
  });

  it('reproduces the classic failure for a plain keep-alive fetch client', async () => {
    const { lb } = await setup();
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      if (i > 0) await sleep(IDLE * 2);
      try {
        const res = await fetch(`${lb.url}/classic`);
        await res.arrayBuffer();
        outcomes.push('ok');
      } catch (error) {
        outcomes.push(errorCode(error) ?? String(error));
      }
    }
    const failures = outcomes.filter((o) => o !== 'ok');
    expect(failures.length, outcomes.join(',')).toBeGreaterThanOrEqual(2);
    expect(lb.counters().resets).toBeGreaterThanOrEqual(2);
  });

  it("onIdle 'blackhole' forgets silently and ignores the next bytes, so a request hangs", async () => {
    const { server, lb, open } = await setup('blackhole');
    const socket = open();
    expect(await rawGet(socket, '/first')).toMatch(/^HTTP\/1\.1 200/);
    await expect.poll(() => lb.counters().forgotten, { timeout: 1000, interval: 20 }).toBe(1);
    const outcome = await Promise.race([rawGet(socket, '/second').catch(() => 'error'), sleep(300).then(() => 'hang')]);
    expect(outcome).toBe('hang');
    expect(lb.counters()).toMatchObject({ forgotten: 1, resets: 0, ignored: 1 });
    expect(server.counters().requests).toBe(1);
  });

  it("onIdle 'close' ends an idle connection with a FIN", async () => {
    const { lb, open } = await setup('close');
    const socket = open();
    let endedByPeer = false;
    socket.on('end', () => (endedByPeer = true));
    expect(await rawGet(socket, '/first')).toMatch(/^HTTP\/1\.1 200/);
    await expect.poll(() => endedByPeer, { timeout: 1000, interval: 20 }).toBe(true);
    expect(lb.counters()).toMatchObject({ forgotten: 0, resets: 0, closed: 1 });
  });
});
