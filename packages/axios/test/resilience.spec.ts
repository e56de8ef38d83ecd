import http from 'node:http';
import axios from 'axios';
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultServer, startLoadBalancer, type FaultServer, type LoadBalancer } from '@steady/fault-server';
import { createAxios, getUpstream } from '../src/index.ts';
import type { AxiosError, AxiosInstance } from 'axios';

const IDLE = 150;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return 'OK';
  } catch (error) {
    return (error as AxiosError).code;
  }
}

describe('resilience through axios (fault server)', () => {
  let server: FaultServer | undefined;
  let lb: LoadBalancer | undefined;
  let api: AxiosInstance | undefined;

  afterEach(async () => {
    if (api) await getUpstream(api).close();
    await lb?.close();
    await server?.close();
    api = lb = server = undefined;
  });

  it('replays requests that hit a socket the load balancer forgot; plain axios fails', async () => {
    server = await startFaultServer();
    lb = await startLoadBalancer({ target: server.url, idleTimeout: IDLE });
    api = createAxios({ origin: lb.url });
    const agent = new http.Agent({ keepAlive: true });
    const plain = axios.create({ baseURL: lb.url, adapter: 'http', httpAgent: agent });
    let steadyFailures = 0;
    let plainFailures = 0;
    for (let i = 0; i < 20; i++) {
      const [steady, raw] = await Promise.all([codeOf(api.get('/')), codeOf(plain.get('/'))]);
      if (steady !== 'OK') steadyFailures++;
      if (raw !== 'OK') plainFailures++;
      await sleep(IDLE + 60);
    }
    agent.destroy();
    expect(steadyFailures).toBe(0);
    expect(getUpstream(api).stats().calls.replays).toBeGreaterThan(0);
    expect(plainFailures).toBeGreaterThan(0);
  }, 20_000);

  it('does not retry a POST dropped after its body was read: STEADY_NETWORK', async () => {
    server = await startFaultServer({ routes: { '/pay': { resetBeforeResponse: true } } });
    api = createAxios({ origin: server.url });
    let error: AxiosError | undefined;
    try {
      await api.post('/pay', { amount: 1 });
    } catch (caught) {
      error = caught as AxiosError;
    }
    expect(error?.code).toBe('STEADY_NETWORK');
    expect(error?.cause).toMatchObject({ code: 'STEADY_NETWORK' });
    expect(server.counters().bodiesReceived).toBe(1);
  });

  it('retries an idempotent GET on 503 inside one adapter call', async () => {
    server = await startFaultServer({ routes: { '/flaky': [{ status: 503 }, { status: 200, body: 'ok' }] } });
    api = createAxios({ origin: server.url, retry: { baseDelay: 1, maxDelay: 5 } });
    let interceptorRuns = 0;
    api.interceptors.request.use((config) => {
      interceptorRuns++;
      return config;
    });
    const res = await api.get('/flaky');
    expect(res.data).toBe('ok');
    expect(server.counters().byPath['/flaky']).toBe(2);
    expect(interceptorRuns).toBe(1);
  });

  it('retries a Buffer POST marked idempotent with a fresh body', async () => {
    server = await startFaultServer({ routes: { '/put': [{ status: 503 }, { echo: true }] } });
    api = createAxios({ origin: server.url, retry: { baseDelay: 1, maxDelay: 5 } });
    const res = await api.post('/put', Buffer.from('again'), { steady: { idempotent: true } });
    expect(res.data.body).toBe('again');
    expect(server.counters().bodiesReceived).toBe(2);
  });

  it('opens the breaker on an always-503 route: STEADY_CIRCUIT_OPEN', async () => {
    server = await startFaultServer({ routes: { '/down': { status: 503 } } });
    api = createAxios({
      origin: server.url,
      retry: false,
      breaker: { consecutiveFailures: 3, openFor: 10_000 },
    });
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < 6; i++) codes.push(await codeOf(api.get('/down')));
    expect(codes.slice(0, 3)).toEqual(['ERR_BAD_RESPONSE', 'ERR_BAD_RESPONSE', 'ERR_BAD_RESPONSE']);
    expect(codes.at(-1)).toBe('STEADY_CIRCUIT_OPEN');
    expect(server.counters().byPath['/down']).toBeLessThan(6);
    const bypass = await codeOf(api.get('/down', { steady: { breaker: false } }));
    expect(bypass).toBe('ERR_BAD_RESPONSE');
  });

  it('rejects a concurrent call when the bulkhead is full: STEADY_BULKHEAD_FULL', async () => {
    server = await startFaultServer({ routes: { '/slow': { latency: 200 } } });
    api = createAxios({ origin: server.url, bulkhead: { maxConcurrent: 1, maxQueued: 0 } });
    const first = api.get('/slow');
    const second = codeOf(api.get('/slow'));
    expect(await second).toBe('STEADY_BULKHEAD_FULL');
    expect((await first).status).toBe(200);
    expect(await codeOf(api.get('/slow', { steady: { bulkhead: false } }))).toBe('OK');
  });
  it('retries a GET whose connection is reset mid-body (the body is read inside the call); plain axios fails', async () => {
    server = await startFaultServer({
      routes: {
        '/cut': [{ resetAfterBytes: 200, body: { bytes: 4096 } }, { body: { bytes: 4096 } }],
        '/plain-cut': { resetAfterBytes: 200, body: { bytes: 4096 } },
      },
    });
    api = createAxios({ origin: server.url, retry: { baseDelay: 1, maxDelay: 2 } });
    const res = await api.get('/cut', { responseType: 'arraybuffer' });
    expect(res.status).toBe(200);
    expect((res.data as Buffer).length).toBe(4096);
    expect(server.counters().byPath['/cut']).toBe(2);
    expect(getUpstream(api).stats().retry?.retries).toBe(1);
    const agent = new http.Agent({ keepAlive: true });
    const plain = axios.create({ baseURL: server.url, adapter: 'http', httpAgent: agent });
    expect(await codeOf(plain.get('/plain-cut'))).not.toBe('OK');
    agent.destroy();
  });

  it("a streamed response (responseType 'stream') still streams: a reset mid-body fails the stream, not the call", async () => {
    server = await startFaultServer({ routes: { '/cut': { resetAfterBytes: 200, body: { bytes: 4096 } } } });
    api = createAxios({ origin: server.url, retry: { baseDelay: 1, maxDelay: 2 } });
    const res = await api.get('/cut', { responseType: 'stream' });
    expect(res.status).toBe(200);
    const error = await (async () => {
      try {
        for await (const _chunk of res.data as AsyncIterable<Buffer>) void _chunk;
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ code: 'STEADY_NETWORK' });
    expect(server.counters().byPath['/cut']).toBe(1);
  });
  it('a maxContentLength bound streams the body and stops at the limit (it is not read whole first)', async () => {
    server = await startFaultServer({ routes: { '/big': { body: { bytes: 8 * 1024 * 1024 }, chunked: true } } });
    api = createAxios({ origin: server.url, pool: { maxResponseSize: 1024 * 1024 } });
    // Read whole, the body would hit pool.maxResponseSize (STEADY_RESPONSE_TOO_LARGE) before the bound was checked.
    const error = (await api.get('/big', { maxContentLength: 1_000 }).catch((e: unknown) => e)) as AxiosError;
    expect(error.code).toBe('ERR_BAD_RESPONSE');
    expect(error.message).toBe('maxContentLength size of 1000 exceeded');
  });
});
