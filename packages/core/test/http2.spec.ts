import {
  ghostScenario,
  goawayScenario,
  spawnH2Server,
  startH2Server,
  TEST_TLS,
  type H2Caller,
  type H2Server,
  type SpawnedH2Server,
} from '@steady/fault-server';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  isNetworkError,
  isTimeoutError,
  type Upstream,
  type UpstreamOptions,
  type UpstreamResponse,
} from '../src/index.ts';
import { pause, useHarness } from './harness.ts';

const { defer, upstream } = useHarness();

async function h2Server(tls = true): Promise<H2Server> {
  const s = await startH2Server({ tls });
  defer(() => s.close());
  return s;
}

function h2Upstream(url: string, options: Partial<UpstreamOptions> = {}) {
  return upstream({
    origin: url,
    ...options,
    pool: { http2: true, tls: { ca: TEST_TLS.cert }, ...options.pool },
  });
}

async function text(res: UpstreamResponse): Promise<string> {
  return res.body.text();
}

/** Poll `read` until it returns true, for at most `ms`. */
async function until(read: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await read())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await pause(20);
  }
}

describe('HTTP/2 negotiation', () => {
  it('an https server that only speaks HTTP/1.1 is still reached, over HTTP/1.1 (ALPN)', async () => {
    const server = https.createServer(TEST_TLS, (req, res) => res.end(`HTTP/${req.httpVersion}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    defer(() => new Promise((resolve) => server.close(resolve)));
    const up = h2Upstream(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
    expect(await text(await up.request('/'))).toBe('HTTP/1.1');
  });
});

describe('HTTP/2 multiplexing', () => {
  it.each([
    ['TLS with ALPN h2', true],
    ['cleartext h2c (prior knowledge)', false],
  ])('%s: 100 concurrent calls share 1 connection', async (_name, tls) => {
    const s = await h2Server(tls);
    const up = h2Upstream(s.url, { pool: { connections: 1 } });
    const results = await Promise.all(
      Array.from({ length: 100 }, () => up.request('/x', { query: { latency: 50 } }).then(text)),
    );
    expect(results.every((body) => body.length > 100)).toBe(true);
    expect(s.counters()).toMatchObject({ sessions: 1, requests: 100 });
    expect(s.counters().maxConcurrentStreams).toBeGreaterThanOrEqual(50);
    expect(up.stats().pool).toMatchObject({ socketsOpened: 1, peakSockets: 1 });
  });

  it('connections default to 2 with HTTP/2, and a warm connection takes 100 calls before a second opens', async () => {
    const s = await h2Server();
    const up = h2Upstream(s.url);
    expect(up.options.pool.connections).toBe(2);
    expect(up.options.pool.http2).toEqual({ pingInterval: 10_000, maxConcurrentStreams: 100 });
    await text(await up.request('/warm'));
    await Promise.all(Array.from({ length: 99 }, () => up.request('/x', { query: { latency: 30 } }).then(text)));
    expect(s.counters().sessions).toBe(1);
    expect(up.stats().pool.socketsOpened).toBe(1);
  });
});

/** The core client of the shared HTTP/2 scenarios; POST bodies are streams, fresh per attempt. */
function caller(up: Upstream): H2Caller {
  return {
    get: async (path) => {
      const res = await up.request(path);
      await res.body.dump();
      return res.statusCode;
    },
    post: async (path, body, id) => {
      const res = await up.request(path, {
        method: 'POST',
        // A stream body: undici cannot replay it itself after a GOAWAY, Steady must.
        body: () => Readable.from([body]),
        headers: { 'x-request-id': id, 'content-type': 'application/json' },
      });
      await res.body.dump();
      return res.statusCode;
    },
  };
}

describe('HTTP/2 graceful GOAWAY during load (a server restart)', () => {
  it('streams the server did not process are replayed as not-sent; a processed POST is never sent twice', async () => {
    const s = await h2Server();
    const up = h2Upstream(s.url, { retry: { retries: 3 } });
    const notSent: string[] = [];
    up.on('retry', (e) => notSent.push(e.reason));
    const { gets, posts, counters } = await goawayScenario(caller(up), s, 400, 40);
    expect(counters.sessions).toBeGreaterThanOrEqual(3); // one connection per server generation at least
    expect(gets.filter((o) => o !== 'ok')).toEqual([]);
    // Every POST was processed exactly once: none lost, none replayed after processing.
    expect(Object.values(posts).filter((o) => o !== 'ok')).toEqual([]);
    expect(Object.keys(posts).filter((id) => counters.byRequestId[id] !== 1)).toEqual([]);
    // Streams above the GOAWAY's last stream id were refused unprocessed: retried as not-sent
    // (STEADY_CONNECT), whatever their method, and the breaker did not count them.
    expect(notSent.length).toBeGreaterThan(0);
    expect(notSent.every((reason) => reason === 'STEADY_CONNECT' || reason === 'STEADY_NETWORK')).toBe(true);
    expect(up.stats().breaker).toMatchObject({ state: 'closed' });
  });
});

/** An h2 server in a child process (to be paused) and an upstream with a 200 ms PING and a 800 ms deadline. */
async function ghostSetup(): Promise<{ child: SpawnedH2Server; up: Upstream }> {
  const child = await spawnH2Server({ tls: true });
  defer(() => child.kill());
  const up = h2Upstream(child.url, {
    pool: { http2: { pingInterval: 200 } },
    timeouts: { total: 800 },
    retry: false,
    breaker: false,
  });
  return { child, up };
}

describe('HTTP/2 peer that stops answering (SIGSTOP: no FIN, no RST)', () => {
  it('calls end by their deadline, PING finds the dead connection, the next calls use a new one', async () => {
    const { child, up } = await ghostSetup();
    const result = await ghostScenario(caller(up), child, () => up.stats().pool);
    expect(result.warmSockets).toBe(1);
    expect(result.errors.every((e) => isTimeoutError(e) && e.phase === 'total')).toBe(true);
    expect(result.elapsed).toBeLessThan(2_500);
    // PINGs went unanswered: the connection was destroyed within max(2 × 200, 1 000) ms plus a tick.
    expect(result.detected).toBe(true);
    expect(up.stats().pool.pingTimeouts).toBe(1);
    expect(result.recovered).toBe(true);
    expect(result.after.filter((status) => status === 200)).toHaveLength(20);
    expect(result.opened).toBeGreaterThanOrEqual(2);
    expect(up.stats().inFlight).toBe(0);
  });

  it('a new server on the same port serves the next calls after the paused one is killed', async () => {
    const { child, up } = await ghostSetup();
    await text(await up.request('/warm'));
    child.pause();
    const stalled = await up.request('/x').catch((e: unknown) => e);
    expect(isTimeoutError(stalled)).toBe(true);
    await until(() => up.stats().pool.pingTimeouts === 1, 5_000);
    await child.kill();
    const next = await spawnH2Server({ tls: true, port: child.port });
    defer(() => next.kill());
    await until(async () => {
      try {
        await text(await up.request('/after'));
        return true;
      } catch (error) {
        expect(isNetworkError(error) || isTimeoutError(error)).toBe(true);
        return false;
      }
    });
    expect((await next.counters()).requests).toBeGreaterThanOrEqual(1);
  });
});
