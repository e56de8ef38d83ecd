import { spawnH2Server, startH2Server, TEST_TLS, type H2Server } from '@steady/fault-server';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isNetworkError, isTimeoutError, type UpstreamOptions, type UpstreamResponse } from '../src/index.ts';
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

describe('HTTP/2 graceful GOAWAY during load (a server restart)', () => {
  it('streams the server did not process are replayed; a processed POST is never sent twice', async () => {
    const s = await h2Server();
    const up = h2Upstream(s.url, { retry: { retries: 3 } });
    const notSent: string[] = [];
    up.on('retry', (e) => notSent.push(e.reason));
    const outcomes: Array<'ok' | string> = [];
    let n = 0;
    const worker = async (): Promise<void> => {
      while (n < 400) {
        const i = n++;
        const post = i % 2 === 0;
        try {
          const res = await up.request('/w', {
            method: post ? 'POST' : 'GET',
            // A stream body, fresh per attempt: undici cannot replay it itself, Steady must.
            body: post ? () => Readable.from([`{"i":${i}}`]) : undefined,
            headers: { 'x-request-id': `r${i}` },
            query: { latency: 10 },
          });
          await res.body.dump();
          outcomes.push(res.statusCode === 200 ? 'ok' : `status ${res.statusCode}`);
        } catch (error) {
          outcomes.push((error as { code?: string }).code ?? String(error));
        }
      }
    };
    const load = Promise.all(Array.from({ length: 40 }, worker));
    await until(() => n >= 100);
    await s.restart();
    await until(() => n >= 250);
    await s.restart();
    await load;
    const counters = s.counters();
    expect(counters.sessions).toBeGreaterThanOrEqual(3); // one connection per server generation at least

    const failures = outcomes.filter((o) => o !== 'ok');
    expect(failures).toEqual([]);
    // Every request was processed, and no POST twice.
    for (let i = 0; i < 400; i++) {
      const seen = counters.byRequestId[`r${i}`] ?? 0;
      if (i % 2 === 0) expect(seen, `POST r${i}`).toBe(1);
      else expect(seen, `GET r${i}`).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('HTTP/2 peer that stops answering (SIGSTOP: no FIN, no RST)', () => {
  it('calls end by their deadline, PING finds the dead connection, the next calls use a new one', async () => {
    const child = await spawnH2Server({ tls: true });
    defer(() => child.kill());
    const up = h2Upstream(child.url, {
      pool: { http2: { pingInterval: 200 } },
      timeouts: { total: 800 },
      retry: false,
      breaker: false,
    });
    for (let i = 0; i < 3; i++) await text(await up.request('/warm'));
    expect(up.stats().pool).toMatchObject({ socketsOpened: 1, socketsOpen: 1 });

    child.pause();
    const started = Date.now();
    const stalled = await Promise.allSettled(Array.from({ length: 10 }, () => up.request('/x')));
    const elapsed = Date.now() - started;
    expect(stalled.every((r) => r.status === 'rejected' && isTimeoutError(r.reason))).toBe(true);
    expect(elapsed).toBeLessThan(2_500);

    // PINGs go unanswered: the connection is destroyed within max(2 × 200, 1 000) ms plus a tick.
    await until(() => up.stats().pool.pingTimeouts === 1 && up.stats().pool.socketsOpen === 0, 5_000);

    child.resume();
    await until(async () => {
      try {
        await text(await up.request('/after'));
        return true;
      } catch {
        return false;
      }
    });
    const results = await Promise.all(Array.from({ length: 20 }, () => up.request('/x').then(text)));
    expect(results).toHaveLength(20);
    expect(up.stats().pool.socketsOpened).toBeGreaterThanOrEqual(2);
    expect(up.stats().inFlight).toBe(0);
  });

  it('a new server on the same port serves the next calls after the paused one is killed', async () => {
    const child = await spawnH2Server({ tls: true });
    defer(() => child.kill());
    const up = h2Upstream(child.url, {
      pool: { http2: { pingInterval: 200 } },
      timeouts: { total: 800 },
      retry: false,
      breaker: false,
    });
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
