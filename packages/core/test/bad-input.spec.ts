import { startFaultServer, type FaultServer } from '@steady/fault-server';
import { fetch as undiciFetch, request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstream, type Upstream } from '../src/index.ts';

let server: FaultServer;
let up: Upstream;
beforeAll(async () => {
  server = await startFaultServer();
  up = createUpstream({ origin: server.url, retry: { baseDelay: 1, maxDelay: 2 } });
});
afterAll(async () => {
  await up.close();
  await server.close();
});

describe('bad input at runtime is a typed error, never a crash, and nothing is sent', () => {
  it.each([
    ['a path without a leading slash', 'users', {}],
    ['a path with CR/LF', '/a\r\nHost: evil', {}],
    ['a header value with CR/LF', '/x', { headers: { 'x-a': 'b\r\nx-injected: 1' } }],
    ['a header name with a space', '/x', { headers: { 'bad name': '1' } }],
  ])('%s → STEADY_INVALID_REQUEST', async (_label, path, options) => {
    server.resetCounters();
    const error = await up.request(path, options).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STEADY_INVALID_REQUEST' });
    expect(server.counters().requests).toBe(0);
  });

  it('invalid requests do not trip the breaker nor spend retries', async () => {
    for (let i = 0; i < 10; i++) await up.request('/x', { headers: { 'x-a': 'b\nc' } }).catch(() => {});
    expect(up.stats().breaker).toMatchObject({ state: 'closed', failures: 0 });
    expect(up.stats().retry).toMatchObject({ retries: 0 });
  });
});

describe('per-call retry overrides are checked where the call enters', () => {
  it.each([
    ['a misspelt key', { retires: 3 }, 'retry.retires', 'one of retries, connectRetries, baseDelay'],
    ['retries out of range', { retries: 99 }, 'retry.retries', '0'],
    ['a budget of its own', { budget: { ratio: 1 } }, 'retry.budget', 'per upstream'],
    ['methods (use `idempotent`)', { methods: ['POST'] }, 'retry.methods', 'a known option'],
    ['statuses that are not statuses', { statuses: [42] }, 'retry.statuses', '100…599'],
  ])(
    '%s → STEADY_INVALID_OPTION naming the option; request() and execute() send nothing',
    async (_l, retry, option, text) => {
      server.resetCounters();
      const error = await up.request('/x', { retry } as never).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'STEADY_INVALID_OPTION', option });
      expect(String((error as Error).message)).toContain(text);
      expect(server.counters().requests).toBe(0);
      let attempts = 0;
      const viaExecute = await up.execute(async () => ++attempts, { retry } as never).catch((e: unknown) => e);
      expect(viaExecute).toMatchObject({ code: 'STEADY_INVALID_OPTION', option });
      expect(attempts).toBe(0);
    },
  );

  it('a valid override is used (resolved once per object) and retries as told', async () => {
    server.resetCounters();
    const retry = { retries: 1, baseDelay: 1, maxDelay: 1, statuses: [404] };
    const res = await up.request('/status/404', { retry });
    await res.body.dump();
    expect(res.statusCode).toBe(404);
    expect(server.counters().requests).toBe(2);
  });
});

describe('the dispatcher works with undici directly', () => {
  it('undici.request and undici.fetch reuse the tuned pool', async () => {
    const before = up.stats().pool.socketsOpened;
    const res = await undiciRequest(`${server.url}/a`, { dispatcher: up.dispatcher });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const fetched = await undiciFetch(`${server.url}/b`, { dispatcher: up.dispatcher });
    expect(fetched.status).toBe(200);
    expect((await fetched.text()).length).toBe(1024);
    expect(up.stats().pool.socketsOpened - before).toBeLessThanOrEqual(2);
  });
});
