import { isNetworkError, isInvalidOptionError, isTimeoutError } from '@steady/core';
import { describe, expect, it } from 'vitest';
import { probe } from '../src/index.ts';
import { CERT, LADDER, callWithGaps, useServers } from './helpers.ts';

const servers = useServers();
const FAST = { ladder: LADDER, responseTimeout: 1_000, samples: 2 };

describe('probe: the idle timeout of the path, within one rung', () => {
  it('a load balancer that silently forgets idle sockets (RST on the next request) at 800 ms', async () => {
    const s = await servers.server();
    const lb = await servers.lb(s.url, 800);
    const report = await probe({ origin: lb.url, ...FAST });

    expect(report.idle).toMatchObject({ aliveUpToMs: 500, closedByMs: 1_000, mode: 'silent', silentHow: 'rst' });
    expect(report.idle.rungs.map((r) => r.outcome)).toEqual(['alive', 'alive', 'reset', 'reset']);
    expect(report.finding).toBe(
      'idle sockets are silently dropped between 500 ms and 1 s (the next request gets an RST); the server advertises Keep-Alive: timeout=60',
    );
    expect(report.recommended).toEqual({
      origin: lb.url,
      loadBalancerIdleTimeout: 500,
      pool: { connectTimeout: expect.any(Number) as number },
    });
    expect(report.sockets).toBeLessThanOrEqual(16);
    expect(report.requests).toBeLessThanOrEqual(200);

    // Fed back into createUpstream: idle sockets are closed by the client before the LB forgets them.
    const resetsBefore = lb.counters().resets;
    const tuned = servers.upstream({ ...report.recommended, retry: false });
    expect(await callWithGaps(tuned, 3, 1_000)).toEqual({ failed: 0, replays: 0 });
    expect(lb.counters().resets).toBe(resetsBefore);
    // The control: core's defaults (30 s idle) keep the socket past the LB's 800 ms and meet the RST.
    const untuned = servers.upstream({ origin: lb.url, retry: false });
    expect((await callWithGaps(untuned, 3, 1_000)).replays).toBeGreaterThanOrEqual(1);
  });

  it('a path that drops idle sockets into a black hole (the next request hangs) at 800 ms', async () => {
    const s = await servers.server();
    const lb = await servers.lb(s.url, 800, 'blackhole');
    const report = await probe({ origin: lb.url, ...FAST });

    expect(report.idle).toMatchObject({ aliveUpToMs: 500, closedByMs: 1_000, mode: 'silent', silentHow: 'hang' });
    expect(report.idle.rungs.map((r) => r.outcome)).toEqual(['alive', 'alive', 'hang', 'hang']);
    expect(report.finding).toContain('silently dropped between 500 ms and 1 s (the next request hangs)');

    const tuned = servers.upstream({ ...report.recommended, retry: false, timeouts: { headers: 500 } });
    expect(await callWithGaps(tuned, 3, 1_000)).toEqual({ failed: 0, replays: 0 });
    expect(lb.counters().ignored).toBeGreaterThanOrEqual(2); // only the probe's own hung requests
  });

  it('a server that closes idle sockets with a FIN at 800 ms and advertises nothing', async () => {
    const s = await servers.server({ idleCloseAfter: 800 });
    const report = await probe({ origin: s.url, ...FAST });

    expect(report.keepAliveHint).toBeNull();
    expect(report.idle).toMatchObject({ aliveUpToMs: 500, closedByMs: 1_000, mode: 'fin', silentHow: null });
    expect(report.idle.rungs.slice(2)).toEqual([
      { idleMs: 1_000, outcome: 'closed', detail: 'fin' },
      { idleMs: 2_000, outcome: 'closed', detail: 'fin' },
    ]);
    expect(report.finding).toBe(
      'idle sockets are closed between 500 ms and 1 s, with a FIN a keep-alive client notices',
    );

    const tuned = servers.upstream({ ...report.recommended, retry: false });
    expect(await callWithGaps(tuned, 3, 1_000)).toEqual({ failed: 0, replays: 0 });
  });

  it('a server with a Keep-Alive: timeout=1 hint that closes at 1.5 s', async () => {
    const s = await servers.server({ keepAliveTimeout: 1_500 });
    const report = await probe({ origin: s.url, ...FAST });

    expect(report.keepAliveHint).toEqual({ timeoutMs: 1_000, max: null });
    expect(report.keepAlive).toBe(true);
    expect(report.idle).toMatchObject({ aliveUpToMs: 1_000, closedByMs: 2_000, mode: 'fin' });
    expect(report.finding).toBe(
      'idle sockets are closed between 1 and 2 s, with a FIN a keep-alive client notices; the server advertises Keep-Alive: timeout=1',
    );
    expect(report.recommended.loadBalancerIdleTimeout).toBe(1_000);

    const tuned = servers.upstream({ ...report.recommended, retry: false });
    expect(await callWithGaps(tuned, 3, 1_700)).toEqual({ failed: 0, replays: 0 });
  });

  it('a path with no idle timeout below the longest rung: mode none, idle capped at that rung', async () => {
    const s = await servers.server();
    const report = await probe({ origin: s.url, ...FAST, ladder: [100, 300] });
    expect(report.idle).toMatchObject({ aliveUpToMs: 300, closedByMs: null, mode: 'none', silentHow: null });
    expect(report.finding).toBe(
      'idle sockets stay usable for at least 300 ms (the longest rung); the server advertises Keep-Alive: timeout=60',
    );
    expect(report.recommended.pool).toEqual({ idleTimeout: 300, connectTimeout: expect.any(Number) as number });
    expect(report.recommended.loadBalancerIdleTimeout).toBeUndefined();
  });
});

describe('probe: connection facts', () => {
  it('counts requests per connection up to the server limit, reads max=, and sees Connection: close honoured', async () => {
    const s = await servers.server({ maxRequestsPerSocket: 5 });
    const report = await probe({ origin: s.url, ...FAST, ladder: [100] });
    expect(report.keepAliveHint).toEqual({ timeoutMs: 60_000, max: 5 });
    expect(report.requestsPerConnection).toEqual({ served: 5, limit: 100, endedBy: 'connection-close' });
    expect(report.connectionClose).toEqual({ echoed: true, honoured: true });
    expect(report.recommended.pool?.maxRequestsPerConnection).toBe(5);
    const tuned = servers.upstream({ ...report.recommended, retry: false });
    expect(await callWithGaps(tuned, 12, 0)).toEqual({ failed: 0, replays: 0 });
  });

  it('stops the request sequence at the bound given by --max-requests', async () => {
    const s = await servers.server();
    const report = await probe({ origin: s.url, ...FAST, ladder: [100], maxRequests: 10 });
    // 2 requests for the rung, 1 for the Connection: close check: 7 left for the sequence.
    expect(report.requestsPerConnection).toEqual({ served: 7, limit: 7, endedBy: null });
    expect(report.requests).toBe(10);
    expect(s.counters().requests).toBe(10);
    expect(s.counters().bodiesReceived).toBe(10);
  });

  it('sends only HEAD (default) or GET of --path, with no body', async () => {
    const s = await servers.server();
    const health = await probe({
      origin: s.url,
      ...FAST,
      ladder: [100],
      path: '/health?token=s3cret',
      method: 'GET',
      maxRequests: 10,
    });
    expect(s.counters().byPath).toEqual({ '/health': 10 });
    expect(health.path).toBe('/health?token=…');
    expect(JSON.stringify(health)).not.toContain('s3cret');
    const echo = await servers.server({ routes: { '/': { echo: true } } });
    const report = await probe({ origin: echo.url, ...FAST, ladder: [100], method: 'GET', maxRequests: 10 });
    expect(report.status).toBe(200);
  });

  it('measures TLS: version, handshake time and ALPN h2, and recommends pool.http2', async () => {
    const origin = await servers.tlsServer();
    const report = await probe({ origin, ...FAST, ladder: [100], ca: CERT, maxRequests: 10 });
    expect(report.tlsVersion).toBe('TLSv1.3');
    expect(report.alpn).toBe('h2');
    expect(report.h2).toBe(true);
    expect(report.tlsMs).toBeGreaterThan(0);
    expect(report.recommended.pool).toMatchObject({ http2: true });
    expect(report.idle.rungs[0]?.outcome).toBe('alive');
  });

  it('keeps TLS verification on: an unknown CA makes the origin unreachable', async () => {
    const origin = await servers.tlsServer();
    const error = await probe({ origin, ...FAST, ladder: [100] }).catch((e: unknown) => e);
    expect(isNetworkError(error) && error.code).toBe('STEADY_CONNECT');
  });

  it('goes through an HTTP forward proxy (absolute form for http:, a CONNECT tunnel for https:) and prints no credential', async () => {
    const s = await servers.server();
    const proxy = await servers.proxy({ host: '127.0.0.1', port: s.port });
    const proxyUrl = proxy.url.replace('http://', 'http://user:s3cret@');
    const report = await probe({ origin: s.url, ...FAST, ladder: [100], proxy: proxyUrl, maxRequests: 10 });
    expect(report.status).toBe(200);
    expect(report.proxy).toBe(proxy.url);
    expect(JSON.stringify(report)).not.toContain('s3cret');
    expect(proxy.auth.length).toBe(2); // the first request of the rung's and of the sequence's connection
    expect(new Set(proxy.auth)).toEqual(new Set([`Basic ${Buffer.from('user:s3cret').toString('base64')}`]));

    const tlsOrigin = await servers.tlsServer();
    const viaTunnel = await probe({
      origin: tlsOrigin,
      ...FAST,
      ladder: [100],
      proxy: proxyUrl,
      ca: CERT,
      maxRequests: 10,
    });
    expect(viaTunnel.tlsVersion).toBe('TLSv1.3');
    expect(proxy.tunnels).toBe(2 + 1 + 1); // samples, the rung, the sequence
  });
});

describe('probe: failures', () => {
  it('an unreachable origin rejects with STEADY_CONNECT, naming no more than the origin', async () => {
    const port = await servers.closedPort();
    const error = await probe({ origin: `http://127.0.0.1:${port}`, ...FAST }).catch((e: unknown) => e);
    expect(isNetworkError(error) && error.code).toBe('STEADY_CONNECT');
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
  });

  it('a TLS handshake that never completes rejects with a connect TimeoutError at connectTimeout', async () => {
    const plain = await servers.raw(() => {}); // accepts, never speaks TLS
    const started = Date.now();
    const error = await probe({ origin: plain.replace('http:', 'https:'), ...FAST, connectTimeout: 300 }).catch(
      (e: unknown) => e,
    );
    expect(isTimeoutError(error) && error.phase).toBe('connect');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a server that accepts but never answers fails within the response timeout (STEADY_NETWORK)', async () => {
    const origin = await servers.raw(() => {});
    const started = Date.now();
    const error = await probe({ origin, ...FAST, ladder: [100] }).catch((e: unknown) => e);
    expect(isNetworkError(error) && error.code).toBe('STEADY_NETWORK');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a hostile server streaming endless headers is cut off at the head bound', async () => {
    let sent = 0;
    const origin = await servers.raw((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      const timer = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer);
        sent += 4096;
        socket.write(`x-junk: ${'a'.repeat(4086)}\r\n`);
      }, 1);
      socket.on('close', () => clearInterval(timer));
    });
    const error = await probe({ origin, ...FAST, ladder: [100] }).catch((e: unknown) => e);
    expect(isNetworkError(error) && error.code).toBe('STEADY_NETWORK');
    expect(String((error as Error & { cause?: Error }).cause?.message)).toContain('response head too large');
    expect(sent).toBeLessThan(1024 * 1024);
  });

  it('refuses bad options before opening a socket', async () => {
    for (const [options, option] of [
      [{ origin: 'ftp://example.com' }, 'origin'],
      [{ origin: 'http://user:pw@example.com' }, 'origin'],
      [{ origin: 'http://example.com/path' }, 'origin'],
      [{ origin: 'http://example.com', path: 'no-slash' }, 'path'],
      [{ origin: 'http://example.com', ladder: [] }, 'ladder'],
      [{ origin: 'http://example.com', ladder: Array.from({ length: 12 }, (_, i) => (i + 1) * 100) }, 'ladder'],
      [{ origin: 'http://example.com', ladder: [5_000], maxIdle: 1_000 }, 'ladder'],
      [{ origin: 'http://example.com', maxRequests: 5 }, 'maxRequests'],
      [{ origin: 'http://example.com', proxy: 'socks5://p:1080' }, 'proxy'],
      [{ origin: 'http://example.com', proxy: 'https://p:443' }, 'proxy'],
    ] as const) {
      const error = await probe(options as never).catch((e: unknown) => e);
      expect(isInvalidOptionError(error) && error.option, JSON.stringify(options)).toBe(option);
      expect((error as Error).message).not.toContain('pw@');
    }
  });
});
