import { AxiosError } from 'axios';
import { createAgent } from '@steady/core';
import { startFaultServer, type FaultServer } from '@steady/fault-server';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAxios, getAgent, getUpstream } from '../src/index.ts';

let a: FaultServer;
let b: FaultServer;
const cleanups: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  [a, b] = await Promise.all([startFaultServer(), startFaultServer()]);
});

afterEach(async () => {
  for (const close of cleanups.splice(0).reverse()) await close();
  await Promise.all([a.close(), b.close()]);
});

async function rejection(promise: Promise<unknown>): Promise<AxiosError> {
  try {
    await promise;
  } catch (error) {
    return error as AxiosError;
  }
  throw new Error('expected a rejection');
}

describe('createAxios() with no origin: every host through an agent', () => {
  it('sends absolute URLs to any origin, each on its own upstream; getAgent(api).close() drains it', async () => {
    const api = createAxios();
    const agent = getAgent(api);
    cleanups.push(() => agent.destroy());
    expect(() => getUpstream(api)).toThrow(TypeError);
    const one = await api.get(`${a.url}/echo`, { params: { q: 1 } });
    expect(one.data).toMatchObject({ url: '/echo?q=1' });
    const two = await api.post(`${b.url}/echo`, { n: 2 });
    expect(two.data).toMatchObject({ method: 'POST', body: '{"n":2}' });
    expect(Object.keys(agent.stats().origins).sort()).toEqual([a.origin, b.origin].sort());
    await agent.close();
    const closed = await rejection(api.get(`${a.url}/echo`));
    expect(closed.code).toBe('STEADY_CLOSED');
  });

  it("follows a redirect to another origin through that origin's upstream, dropping credentials", async () => {
    a.route('/go', { redirect: { location: `${b.url}/echo`, status: 302 } });
    const agent = createAgent();
    cleanups.push(() => agent.destroy());
    const api = createAxios({ agent });
    expect(getAgent(api)).toBe(agent);
    const hops: string[] = [];
    const res = await api.get(`${a.url}/go`, {
      headers: { authorization: 'Bearer secret', 'x-keep': '1' },
      beforeRedirect: (options) => hops.push(String(options.href)),
    });
    expect(hops).toEqual([`${b.url}/echo`]);
    expect(res.request.res.responseUrl).toBe(`${b.url}/echo`);
    expect(res.data.headers.authorization).toBeUndefined();
    expect(res.data.headers['x-keep']).toBe('1');
    expect(agent.stats().origins[b.origin]!.calls.requests).toBe(1);
  });

  it('agent options apply: allowOrigins refuses with STEADY_ORIGIN_REFUSED and nothing is sent', async () => {
    const api = createAxios({ allowOrigins: [a.origin], defaults: { retry: false } });
    cleanups.push(() => getAgent(api).destroy());
    expect((await api.get(`${a.url}/x`)).status).toBe(200);
    const refused = await rejection(api.get(`${b.url}/x`));
    expect(refused).toBeInstanceOf(AxiosError);
    expect(refused.code).toBe('STEADY_ORIGIN_REFUSED');
    expect((refused.cause as unknown as { origin: string }).origin).toBe(b.origin);
    expect(b.counters().connections).toBe(0);
    const relative = await rejection(api.get('/no-base'));
    expect(relative).toBeInstanceOf(AxiosError);
    expect(relative.code).toBe('ERR_INVALID_URL');
    expect(() => createAxios({ agent: createAgent(), maxOrigins: 2 } as never)).toThrow(
      '`maxOrigins` must be absent when `agent` is given',
    );
  });

  it('a MockAgent transport: axios code tested with every policy applied', async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    cleanups.push(() => mock.close());
    const pool = mock.get('https://api.example.com');
    pool.intercept({ path: '/orders/1', method: 'GET' }).reply(502, 'bad gateway');
    pool.intercept({ path: '/orders/1', method: 'GET' }).reply(200, { id: 1 });
    pool.intercept({ path: '/orders', method: 'POST' }).reply(503, 'busy');
    const api = createAxios({
      defaults: { transport: mock, retry: { baseDelay: 1, maxDelay: 2, budget: false } },
      axios: { baseURL: 'https://api.example.com' },
    });
    cleanups.push(() => getAgent(api).destroy());
    expect((await api.get('/orders/1')).data).toEqual({ id: 1 });
    // A POST is never replayed, whatever the status.
    expect((await rejection(api.post('/orders', { n: 1 }))).response?.status).toBe(503);
    expect(getAgent(api).stats().totals.retries).toBe(1);
    mock.assertNoPendingInterceptors();
  });
});
