/**
 * Issue 12: every call settles exactly once, typed and bounded. One `describe` per defect
 * number, each against real servers on 127.0.0.1 (the fault server, a raw TCP server that
 * answers malformed HTTP, a self-signed `node:https` server) or a child process.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { captureWarnings, spawnFaultServer, startRawServer, waitFor, type RawServer } from '@steady/fault-server';
import { describe, expect, it } from 'vitest';
import {
  decodeBody,
  isProtocolError,
  isResponseTooLargeError,
  isTlsError,
  MAX_TIMER_DELAY,
  type Upstream,
} from '../src/index.ts';
import { pause, useHarness } from './harness.ts';

const h = useHarness();

/** The rejection of `promise` (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

/** Run a fixture in a fresh Node process; resolves with its exit code, stdout and wall time. */
function runFixture(name: string, args: string[]): Promise<{ code: number | null; out: string; ms: number }> {
  const file = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const started = Date.now();
  return new Promise((resolve) => {
    // No colours whatever the runner sets (Nx forces them for its tasks): the output is parsed.
    const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' };
    execFile(process.execPath, [file, ...args], { timeout: 15_000, env }, (error, stdout) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, ms: Date.now() - started });
    });
  });
}

async function raw(response: string | Buffer): Promise<RawServer> {
  const server = await startRawServer({ response });
  h.defer(() => server.close());
  return server;
}

/** Collect process warnings for the duration of a test. */
function warnings(): string[] {
  const captured = captureWarnings();
  h.defer(async () => captured.stop());
  return captured.names;
}

describe('defect 2: close() and destroy() reach calls in a retry backoff and in the bulkhead queue', () => {
  it.each([
    ['close', 505 + 400],
    ['destroy', 100],
  ])(
    '%s(): both calls settle as STEADY_CLOSED when it resolves, nothing is left in flight, the process exits',
    async (mode, bound) => {
      // The first call sleeps on `Retry-After: 6`, the second waits in the bulkhead's queue.
      const { code, out, ms } = await runFixture('settle-on-close.ts', [mode]);
      expect(code).toBe(0);
      const report = JSON.parse(out) as {
        closeMs: number;
        inFlightAfterClose: number;
        settled: Array<{ code: string; at: number }>;
        stats: { inFlight: number; bulkhead: { running: number; queued: number } };
        resources: string[];
      };
      expect(report.settled.map((s) => s.code)).toEqual(['STEADY_CLOSED', 'STEADY_CLOSED']);
      expect(report.inFlightAfterClose).toBe(0);
      expect(report.stats.bulkhead).toMatchObject({ running: 0, queued: 0 });
      // close() waits for closeTimeout (500 ms) and no longer; destroy() is immediate.
      expect(report.closeMs).toBeLessThan(mode === 'close' ? 1_500 : 500);
      for (const s of report.settled) expect(s.at).toBeLessThan(bound + 1_000);
      expect(report.resources).toEqual([]);
      // Far less than the 6 s Retry-After: no timer kept the process alive.
      expect(ms).toBeLessThan(5_500);
    },
  );

  it('destroy() fails a call whose held response body is unread, and frees its socket', async () => {
    const server = await h.server({ routes: { '/big': { body: { bytes: 4 << 20 } } } });
    const up = h.upstream({ origin: server.url, timeouts: { total: 60_000 } });
    const res = await up.request('/big');
    await up.destroy();
    const error = await rejection(res.body.text());
    expect(error.code).toBe('STEADY_CLOSED');
    expect(up.stats()).toMatchObject({ inFlight: 0, pool: { socketsOpen: 0 } });
  });
});

describe('defect 3: deadlines above 2^31-1 ms are refused with the range named, never fire after 1 ms', () => {
  it('timeouts.total: 3e9 is refused at construction; Infinity and 2^31-1 are accepted', async () => {
    const server = await h.server();
    expect(() => h.upstream({ origin: server.url, timeouts: { total: 3e9 } })).toThrow(
      /`timeouts.total` must be a number of milliseconds in 1…2147483647 .*or Infinity for no deadline \(received 3000000000\)/,
    );
    expect(h.upstream({ origin: server.url, timeouts: { total: Infinity } }).options.timeouts.total).toBe(Infinity);
    const seen = warnings();
    const up = h.upstream({ origin: server.url, timeouts: { total: MAX_TIMER_DELAY } });
    const res = await up.request('/ok');
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(seen).not.toContain('TimeoutOverflowWarning');
  });

  it('a per-call timeout: 3e9 is STEADY_INVALID_OPTION naming `timeout`, sends nothing and emits no TimeoutOverflowWarning', async () => {
    const server = await h.server({ routes: { '/slow': { latency: 50 } } });
    const up = h.upstream({ origin: server.url });
    const seen = warnings();
    const error = await rejection(up.request('/slow', { timeout: 3e9 }));
    expect(error).toMatchObject({ code: 'STEADY_INVALID_OPTION', option: 'timeout' });
    expect(error.message).toContain('2147483647');
    expect(server.counters().requests).toBe(0);
    await pause(20);
    expect(seen).not.toContain('TimeoutOverflowWarning');
    // Infinity means "no deadline" and the call completes.
    const res = await up.request('/slow', { timeout: Infinity });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });
});

describe('defect 4: per-call options are validated where they enter', () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['timeout: NaN', { timeout: Number.NaN }, 'timeout', 'STEADY_INVALID_OPTION'],
    ["timeout: '100'", { timeout: '100' }, 'timeout', 'STEADY_INVALID_OPTION'],
    ['timeout: -5', { timeout: -5 }, 'timeout', 'STEADY_INVALID_OPTION'],
    ['timeout: 0', { timeout: 0 }, 'timeout', 'STEADY_INVALID_OPTION'],
    ['signal: {}', { signal: {} }, 'signal', 'STEADY_INVALID_OPTION'],
    ['method: 42', { method: 42 }, 'method', 'STEADY_INVALID_OPTION'],
    ["fallback: 'x'", { fallback: 'x' }, 'fallback', 'STEADY_INVALID_OPTION'],
    ["retry: 'no'", { retry: 'no' }, 'retry', 'STEADY_INVALID_OPTION'],
    ['breaker: true', { breaker: true }, 'breaker', 'STEADY_INVALID_OPTION'],
    ["idempotent: 'yes'", { idempotent: 'yes' }, 'idempotent', 'STEADY_INVALID_OPTION'],
    ['headersTimeout: -1', { headersTimeout: -1 }, 'headersTimeout', 'STEADY_INVALID_OPTION'],
    ['bodyTimeout: NaN', { bodyTimeout: Number.NaN }, 'bodyTimeout', 'STEADY_INVALID_OPTION'],
  ];

  it.each(cases)(
    'request(path, { %s }) → %s naming the option, nothing sent',
    async (_label, options, option, code) => {
      const server = await h.server();
      const up = h.upstream({ origin: server.url, timeouts: { total: 500 } });
      const error = await rejection(up.request('/x', options as never));
      expect(error).toMatchObject({ code, option });
      expect(error.message).toContain(`\`${option}\``);
      expect(server.counters().requests).toBe(0);
      expect(up.stats().inFlight).toBe(0);
    },
  );

  it('execute() validates its options the same way (timeout NaN, method 42, signal {})', async () => {
    const server = await h.server();
    const up = h.upstream({ origin: server.url });
    let attempts = 0;
    const attempt = async () => ++attempts;
    for (const [options, option] of [
      [{ timeout: Number.NaN }, 'timeout'],
      [{ method: 42 }, 'method'],
      [{ signal: {} }, 'signal'],
      [{ fallback: 1 }, 'fallback'],
    ] as const) {
      const error = await rejection(up.execute(attempt, options as never));
      expect(error).toMatchObject({ code: 'STEADY_INVALID_OPTION', option });
    }
    expect(attempts).toBe(0);
  });

  it('a valid per-call timeout still bounds the call: a 1.5 s body under timeout 200 fails at about 200 ms', async () => {
    const server = await h.server({ routes: { '/slow': { latency: 1_500 } } });
    const up = h.upstream({ origin: server.url, timeouts: { total: 500 } });
    const started = Date.now();
    const error = await rejection(up.request('/slow', { timeout: 200 }));
    expect(error).toMatchObject({ code: 'STEADY_TIMEOUT', phase: 'total' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('defect 5: malformed responses are STEADY_PROTOCOL with the original as cause, never retried', () => {
  it('a malformed chunk size (undici HTTPParserError)', async () => {
    const server = await raw('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n');
    const up = h.upstream({ origin: server.url });
    const error = await rejection(up.request('/x').then((res) => res.body.text()));
    expect(isProtocolError(error)).toBe(true);
    expect(error.code).toBe('STEADY_PROTOCOL');
    expect((error.cause as Error).name).toBe('HTTPParserError');
    expect(server.requests()).toBe(1);
  });

  it('a status line `HTTP/1.1 001 X` (undici AssertionError)', async () => {
    const server = await raw('HTTP/1.1 001 X\r\ncontent-length: 0\r\n\r\n');
    const up = h.upstream({ origin: server.url });
    const error = await rejection(up.request('/x').then((res) => res.body.text()));
    expect(error.code).toBe('STEADY_PROTOCOL');
    expect(error.cause).toBeInstanceOf(Error);
    expect(server.requests()).toBe(1);
    expect(up.stats().retry?.retries).toBe(0);
  });

  it('a body shorter than its content-length', async () => {
    const server = await raw('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort');
    const up = h.upstream({ origin: server.url });
    const error = await rejection(up.request('/x').then((res) => res.body.text()));
    expect(['STEADY_PROTOCOL', 'STEADY_NETWORK']).toContain(error.code);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('a corrupt gzip body read with decodeBody (zlib Z_DATA_ERROR)', async () => {
    const server = await raw('HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 12\r\n\r\nnot gzip!!!!');
    const up = h.upstream({ origin: server.url });
    const res = await up.request('/x');
    const decoded = decodeBody(res.body, res.headers['content-encoding'], {
      maxSize: up.options.pool.maxResponseSize,
      context: { upstream: up.name, method: 'GET', url: `${up.origin}/x` },
    })!;
    const error = await rejection(
      (async () => {
        for await (const chunk of decoded) void chunk;
      })(),
    );
    expect(error.code).toBe('STEADY_PROTOCOL');
    expect((error.cause as { code?: string }).code).toBe('Z_DATA_ERROR');
    expect(error.message).toContain(up.name);
  });
});

describe('defect 6: caller errors are caller errors: typed, not retried, not counted, escaped', () => {
  async function upstreamOn(): Promise<{ up: Upstream; requests: () => number }> {
    const server = await h.server();
    const up = h.upstream({
      origin: server.url,
      retry: { baseDelay: 1, maxDelay: 2, budget: false },
      breaker: { consecutiveFailures: 1 },
    });
    return { up, requests: () => server.counters().requests };
  }

  it('a body that disagrees with its content-length is STEADY_INVALID_REQUEST, not STEADY_CONNECT', async () => {
    const { up, requests } = await upstreamOn();
    const error = await rejection(
      up.request('/x', { method: 'PUT', body: 'abc', headers: { 'content-length': '10' } }),
    );
    expect(error.code).toBe('STEADY_INVALID_REQUEST');
    expect(requests()).toBe(0);
    expect(up.stats().retry?.retries).toBe(0);
    expect(up.stats().breaker).toMatchObject({ state: 'closed', calls: 0, failures: 0 });
  });

  it('an upload stream that errors is STEADY_INVALID_REQUEST with its error as cause, not "connection lost"', async () => {
    const { up } = await upstreamOn();
    let reads = 0;
    const body = new Readable({
      read() {
        if (reads++ === 0) this.push('first chunk');
        else this.destroy(new Error('disk failed'));
      },
    });
    const error = await rejection(up.request('/x', { method: 'PUT', body }));
    expect(error.code).toBe('STEADY_INVALID_REQUEST');
    expect((error.cause as Error).message).toBe('disk failed');
    expect(up.stats().breaker).toMatchObject({ state: 'closed', calls: 0, failures: 0 });
    expect(up.stats().retry?.retries).toBe(0);
  });

  it('an async-iterable body that throws is a caller error too', async () => {
    const { up } = await upstreamOn();
    async function* body() {
      yield new TextEncoder().encode('part');
      throw new Error('generator failed');
    }
    const error = await rejection(up.request('/x', { method: 'POST', body: body() }));
    expect(error.code).toBe('STEADY_INVALID_REQUEST');
    expect((error.cause as Error).message).toBe('generator failed');
    expect(up.stats().breaker).toMatchObject({ state: 'closed', calls: 0 });
  });

  it('a method with CR/LF is STEADY_INVALID_REQUEST; the message carries it escaped, no raw CR/LF', async () => {
    const { up, requests } = await upstreamOn();
    const error = await rejection(up.request('/x', { method: 'GET\r\nX-Injected: 1' }));
    expect(error.code).toBe('STEADY_INVALID_REQUEST');
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.message).toContain('GET\\r\\nX-Injected: 1');
    expect(requests()).toBe(0);
    // And through execute(), whose method only names the call: escaped in any error it gets.
    const viaExecute = await rejection(
      up.execute(async () => Promise.reject(new Error('x')), { method: 'GE\nT', retry: false }),
    );
    expect(viaExecute.message).not.toMatch(/[\r\n]/);
  });
});

describe('defect 7: pool.maxResponseSize bounds every response body (STEADY_RESPONSE_TOO_LARGE, socket freed)', () => {
  it('is validated, documented default 64 MiB', async () => {
    const server = await h.server();
    expect(h.upstream({ origin: server.url }).options.pool.maxResponseSize).toBe(64 * 1024 * 1024);
    for (const bad of [0, 1.5, -1, '1mb', Number.NaN]) {
      expect(() => h.upstream({ origin: server.url, pool: { maxResponseSize: bad as number } })).toThrow(
        expect.objectContaining({ code: 'STEADY_INVALID_OPTION', option: 'pool.maxResponseSize' }),
      );
    }
    expect(h.upstream({ origin: server.url, pool: { maxResponseSize: Infinity } }).options.pool.maxResponseSize).toBe(
      Infinity,
    );
  });

  it('an endless (chunked, no content-length) body fails while read, and its socket is destroyed', async () => {
    const server = await h.server({ routes: { '/endless': { body: { bytes: 8_000_000 }, chunked: true } } });
    const up = h.upstream({ origin: server.url, pool: { maxResponseSize: 1_000_000 } });
    const res = await up.request('/endless');
    const error = await rejection(res.body.text());
    expect(isResponseTooLargeError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'STEADY_RESPONSE_TOO_LARGE', limit: 1_000_000 });
    await waitFor(() => up.stats().pool.socketsOpen === 0 && server.openSockets() === 0);
    // The upstream is fine: nothing counted against it.
    expect(up.stats().breaker).toMatchObject({ failures: 0 });
  });

  it('a declared content-length above the bound fails the call at once', async () => {
    const server = await h.server({ routes: { '/big': { body: { bytes: 2_000_000 } } } });
    const up = h.upstream({ origin: server.url, pool: { maxResponseSize: 1_000_000 } });
    const error = await rejection(up.request('/big'));
    expect(error.code).toBe('STEADY_RESPONSE_TOO_LARGE');
    expect(server.counters().requests).toBe(1);
    await waitFor(() => up.stats().pool.socketsOpen === 0);
  });

  it('a gzip bomb read with decodeBody stops at the decoded bound', async () => {
    const server = await h.server({ routes: { '/bomb': { body: { bytes: 8_000_000 }, gzip: true } } });
    const up = h.upstream({ origin: server.url, pool: { maxResponseSize: 1_000_000 } });
    const res = await up.request('/bomb');
    expect(Number(res.headers['content-length'])).toBeLessThan(1_000_000);
    const decoded = decodeBody(res.body, res.headers['content-encoding'], {
      maxSize: up.options.pool.maxResponseSize,
    })!;
    const error = await rejection(
      (async () => {
        for await (const chunk of decoded) void chunk;
      })(),
    );
    expect(error.code).toBe('STEADY_RESPONSE_TOO_LARGE');
    await waitFor(() => up.stats().pool.socketsOpen === 0 || up.stats().pool.free === up.stats().pool.socketsOpen);
  });

  it('bodies within the bound are untouched', async () => {
    const server = await h.server({ routes: { '/ok': { body: { bytes: 900_000 }, chunked: true } } });
    const up = h.upstream({ origin: server.url, pool: { maxResponseSize: 1_000_000 } });
    const text = await (await up.request('/ok')).body.text();
    expect(text.length).toBe(900_000);
  });
});

describe('defect 8: deadline timers are unref’d; an unread body the deadline dumps is not a failed call', () => {
  it('the core README quick start (a POST whose body is never read) exits by itself promptly', async () => {
    const server = await spawnFaultServer();
    h.defer(() => server.kill());
    const { code, out, ms } = await runFixture('readme-quick-start.ts', [server.url]);
    expect(code).toBe(0);
    expect(out).toMatch(/^200 /);
    // From the end of the script to the process's exit: before the fix it lingered until the
    // POST's 5 s total deadline fired; plain undici exits at once.
    const lingered = Number(/lingered (\d+) ms/.exec(out)?.[1]);
    expect(lingered).toBeLessThan(1_000);
    expect(ms).toBeLessThan(12_000);
  });

  it('an unread body dumped at the deadline: no timeout event, no failed call, nothing for the breaker', async () => {
    const server = await h.server({ routes: { '/big': { body: { bytes: 2 << 20 } } } });
    const up = h.upstream({ origin: server.url, timeouts: { total: 300 } });
    const timeouts: unknown[] = [];
    up.on('timeout', (event) => timeouts.push(event));
    const res = await up.request('/big', { method: 'POST', body: '{}' });
    expect(res.statusCode).toBe(200);
    await waitFor(() => res.body.destroyed);
    await pause(50);
    expect(timeouts).toEqual([]);
    expect(up.stats().calls).toMatchObject({ succeeded: 1, failed: 0, timeouts: { total: 0 } });
    expect(up.stats().breaker).toMatchObject({ failures: 0, calls: 1 });
    await waitFor(() => up.stats().pool.socketsOpen === 0);
  });

  it('a body being read when the deadline fires still fails with STEADY_TIMEOUT total', async () => {
    const server = await h.server({ routes: { '/stall': { body: { bytes: 10_000 }, stallAfterBytes: 100 } } });
    const up = h.upstream({ origin: server.url, timeouts: { total: 300 } });
    const timeouts: unknown[] = [];
    up.on('timeout', (event) => timeouts.push(event));
    const res = await up.request('/stall');
    const error = await rejection(res.body.text());
    expect(error).toMatchObject({ code: 'STEADY_TIMEOUT', phase: 'total' });
    expect(timeouts).toHaveLength(1);
  });
});

describe('defect 9: waiting for a local socket never counts against the upstream', () => {
  it('50 unread 1 MiB bodies on a pool of 4: the breaker stays closed and later calls succeed', async () => {
    const server = await h.server({ routes: { '/big': { body: { bytes: 1 << 20 } }, '/small': {} } });
    const up = h.upstream({ origin: server.url, pool: { connections: 4 }, timeouts: { total: 1_000 }, retry: false });
    const transitions: unknown[] = [];
    up.on('breakerStateChange', (event) => transitions.push(event));
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => up.request('/big')));
    // Most calls waited for a socket held by an unread body and hit the total deadline.
    const timedOut = outcomes.filter((o) => o.status === 'rejected').length;
    expect(timedOut).toBeGreaterThan(30);
    // Let every aborted attempt reach the breaker (they settle after the calls do).
    await waitFor(() => up.stats().pool.running === 0 && up.stats().pool.pending === 0);
    await pause(300);
    expect(transitions).toEqual([]);
    expect(up.stats().breaker?.state).toBe('closed');
    const later = await Promise.allSettled(
      Array.from({ length: 8 }, async () => (await up.request('/small')).body.text()),
    );
    expect(later.filter((o) => o.status === 'fulfilled')).toHaveLength(8);
  });
});

describe('defect 10: a TLS certificate that does not verify is STEADY_TLS: not retried, not a breaker failure', () => {
  const cert = readFileSync(new URL('./fixtures/tls/cert.pem', import.meta.url));
  const key = readFileSync(new URL('./fixtures/tls/key.pem', import.meta.url));

  async function selfSigned(): Promise<{ origin: string; connections: () => number }> {
    let connections = 0;
    const server = createHttpsServer({ cert, key }, (_req, res) => res.end('ok'));
    server.on('connection', () => connections++);
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    h.defer(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const { port } = server.address() as { port: number };
    return { origin: `https://localhost:${port}`, connections: () => connections };
  }

  it('a self-signed certificate: STEADY_TLS, one handshake per call, the breaker counts nothing', async () => {
    const { origin, connections } = await selfSigned();
    const up = h.upstream({ origin, breaker: { consecutiveFailures: 2 }, retry: { baseDelay: 1, maxDelay: 2 } });
    for (let i = 0; i < 3; i++) {
      const error = await rejection(up.request('/x'));
      expect(isTlsError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'STEADY_TLS', causeCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      expect(error.message).toContain('certificate');
    }
    expect(connections()).toBe(3);
    expect(up.stats().retry?.retries).toBe(0);
    expect(up.stats().breaker).toMatchObject({ state: 'closed', calls: 0, failures: 0 });
  });

  it('the same server verifies with its certificate as `pool.tls.ca` (the fixture is sound)', async () => {
    const { origin } = await selfSigned();
    const up = h.upstream({ origin, pool: { tls: { ca: cert } } });
    const res = await up.request('/x');
    expect(await res.body.text()).toBe('ok');
  });
});
