import type { AxiosError, AxiosInstance } from 'axios';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ghostScenario,
  goawayScenario,
  multiplexScenario,
  spawnH2Server,
  startFaultServer,
  startH2Server,
  TEST_TLS,
  type H2Caller,
} from '@steady/fault-server';
import type { UpstreamOptions } from '@steady/core';
import { createAxios, getUpstream } from '../src/index.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function h2Axios(origin: string, options: Partial<UpstreamOptions> = {}): AxiosInstance {
  const api = createAxios({
    origin,
    ...options,
    pool: { http2: true, tls: { ca: TEST_TLS.cert }, ...options.pool },
  } as Parameters<typeof createAxios>[0]);
  cleanups.push(() => getUpstream(api).destroy());
  return api;
}

function caller(api: AxiosInstance): H2Caller {
  return {
    get: async (path) => (await api.get(path)).status,
    post: async (path, body, id) =>
      (await api.post(path, body, { headers: { 'x-request-id': id, 'content-type': 'application/json' } })).status,
  };
}

describe('HTTP/2 through createAxios()', () => {
  it.each([
    ['TLS with ALPN', true],
    ['cleartext h2c', false],
  ])('%s: 100 concurrent calls share 1 connection', async (_name, tls) => {
    const server = await startH2Server({ tls });
    cleanups.push(() => server.close());
    const api = h2Axios(server.url, { pool: { connections: 1 } });
    const { statuses, counters } = await multiplexScenario(caller(api), server);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(counters.sessions).toBe(1);
    expect(counters.maxConcurrentStreams).toBeGreaterThanOrEqual(50);
    expect(getUpstream(api).stats().pool.socketsOpened).toBe(1);
  });

  it('graceful GOAWAY during load: every call succeeds, every POST is processed exactly once', async () => {
    const server = await startH2Server();
    cleanups.push(() => server.close());
    const api = h2Axios(server.url, { retry: { retries: 3 } });
    const { gets, posts, counters } = await goawayScenario(caller(api), server);
    expect(counters.sessions).toBeGreaterThanOrEqual(3);
    expect(gets.filter((o) => o !== 'ok')).toEqual([]);
    // Every POST was processed exactly once: none lost, none replayed after processing.
    expect(Object.values(posts).filter((o) => o !== 'ok')).toEqual([]);
    expect(Object.keys(posts).filter((id) => counters.byRequestId[id] !== 1)).toEqual([]);
    expect(getUpstream(api).stats().breaker).toMatchObject({ state: 'closed' });
  });

  it('a peer paused with SIGSTOP: calls end by their deadline (STEADY_TIMEOUT), PING replaces the connection', async () => {
    const child = await spawnH2Server();
    cleanups.push(() => child.kill());
    const api = h2Axios(child.url, {
      pool: { http2: { pingInterval: 200 } },
      timeouts: { total: 800 },
      retry: false,
      breaker: false,
    });
    const up = getUpstream(api);
    const result = await ghostScenario(caller(api), child, () => up.stats().pool);
    expect(result.warmSockets).toBe(1);
    expect(result.errors.map((e) => (e as AxiosError).code)).toEqual(result.errors.map(() => 'STEADY_TIMEOUT'));
    expect(result.elapsed).toBeLessThan(2_500);
    expect(result.detected).toBe(true);
    expect(result.recovered).toBe(true);
    expect(result.after.filter((s) => s === 200)).toHaveLength(20);
    expect(result.opened).toBeGreaterThanOrEqual(2);
    expect(up.stats().inFlight).toBe(0);
  });
});

describe('hedged requests through createAxios()', () => {
  it('per upstream, and per call with config.steady.hedge', async () => {
    const server = await startFaultServer({
      routes: { '/a': [{ latency: 3_000 }, {}], '/b': [{ latency: 3_000 }, {}] },
    });
    cleanups.push(() => server.close());
    const hedging = createAxios({ origin: server.url, hedge: { delay: 40 } });
    cleanups.push(() => getUpstream(hedging).destroy());
    const started = Date.now();
    expect((await hedging.get('/a')).status).toBe(200);
    expect(getUpstream(hedging).stats().hedge).toMatchObject({ sent: 1, won: 1 });
    const plain = createAxios({ origin: server.url });
    cleanups.push(() => getUpstream(plain).destroy());
    expect((await plain.get('/b', { steady: { hedge: { delay: 40 } } })).status).toBe(200);
    expect(getUpstream(plain).stats().hedge).toMatchObject({ sent: 1, won: 1 });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(server.counters().byPath).toMatchObject({ '/a': 2, '/b': 2 });
  });
});
