import { createAgent, isOriginRefusedError } from '@steady/core';
import { startFaultServer, type FaultServer } from '@steady/fault-server';
import ky from 'ky';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getAgent, getUpstream, withSteady } from '../src/index.ts';
import { rejection } from './helpers.ts';

let a: FaultServer;
let b: FaultServer;
const cleanups: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  [a, b] = await Promise.all([startFaultServer(), startFaultServer()]);
  a.route('/users/1', { body: { json: { id: 1, host: 'a' } } });
  b.route('/users/2', { body: { json: { id: 2, host: 'b' } } });
});

afterEach(async () => {
  for (const close of cleanups.splice(0).reverse()) await close();
  await Promise.all([a.close(), b.close()]);
});

describe('withSteady(ky) with no origin: every host through an agent', () => {
  it('withSteady(ky) sends absolute URLs to any origin, each on its own upstream, and owns the agent', async () => {
    const api = withSteady(ky);
    const agent = getAgent(api)!;
    cleanups.push(() => agent.destroy());
    expect(getUpstream(api)).toBeUndefined();
    expect(await api.get(`${a.url}/users/1`).json()).toEqual({ id: 1, host: 'a' });
    expect(await api.get(`${b.url}/users/2`).json()).toEqual({ id: 2, host: 'b' });
    const stats = agent.stats();
    expect(Object.keys(stats.origins).sort()).toEqual([a.origin, b.origin].sort());
    await agent.close();
    expect(agent.state).toBe('closed');
    for (let i = 0; i < 200 && a.openSockets() + b.openSockets() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(a.openSockets() + b.openSockets()).toBe(0);
  });

  it('withSteady(ky, { agent }) shares yours; ky retry maps onto the origin upstream', async () => {
    const agent = createAgent({ defaults: { retry: { retries: 2, baseDelay: 1, maxDelay: 2, budget: false } } });
    cleanups.push(() => agent.destroy());
    const api = withSteady(ky, { agent, ky: { headers: { 'x-app': 'shop' } } });
    expect(getAgent(api)).toBe(agent);
    a.route('/flaky', [{ status: 503 }, { status: 200, body: 'ok' }]);
    expect(await api.get(`${a.url}/flaky`).text()).toBe('ok');
    expect(a.counters().byPath['/flaky']).toBe(2);
    await rejection(api.get(`${a.url}/status/503`, { retry: 0, headers: { 'x-request-id': 'r0' } }));
    expect(a.attempts('r0')).toBe(1);
    const echoed = await api.get(`${b.url}/echo`).json<{ headers: Record<string, string> }>();
    expect(echoed.headers['x-app']).toBe('shop');
    expect(() => withSteady(ky, { agent, maxOrigins: 3 } as never)).toThrow(
      '`maxOrigins` must be absent when `agent` is given',
    );
  });

  it('agent options (allowOrigins) apply; a refused origin surfaces as STEADY_ORIGIN_REFUSED, nothing sent', async () => {
    const api = withSteady(ky, { allowOrigins: [a.origin], ky: { retry: 0 } });
    cleanups.push(() => getAgent(api)!.destroy());
    expect(await api.get(`${a.url}/users/1`).json()).toEqual({ id: 1, host: 'a' });
    const error = await rejection(api.get(`${b.url}/users/2`));
    expect(isOriginRefusedError(error)).toBe(true);
    expect(error.request).toBeInstanceOf(Request);
    expect(b.counters().connections).toBe(0);
  });

  it('a MockAgent transport: ky code tested with every policy applied', async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    cleanups.push(() => mock.close());
    const pool = mock.get('https://api.example.com');
    pool.intercept({ path: '/users/7', method: 'GET' }).reply(503, 'busy');
    pool.intercept({ path: '/users/7', method: 'GET' }).reply(200, { id: 7 });
    const api = withSteady(ky, {
      defaults: { transport: mock, retry: { baseDelay: 1, maxDelay: 2, budget: false } },
      ky: { prefix: 'https://api.example.com' },
    });
    cleanups.push(() => getAgent(api)!.destroy());
    expect(await api.get('users/7').json()).toEqual({ id: 7 });
    expect(getAgent(api)!.stats().totals.retries).toBe(1);
    mock.assertNoPendingInterceptors();
  });
});
