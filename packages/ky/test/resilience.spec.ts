import {
  isBulkheadFullError,
  isCircuitOpenError,
  isClosedError,
  isNetworkError as isSteadyNetworkError,
  isSteadyError,
  isTimeoutError as isSteadyTimeoutError,
} from '@steady/core';
import {
  startFaultServer,
  startLoadBalancer,
  waitFor,
  type FaultServer,
  type LoadBalancer,
} from '@steady/fault-server';
import ky, { HTTPError, isForceRetryError, isNetworkError, isTimeoutError, type KyInstance } from 'ky';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getUpstream } from '../src/index.ts';
import { rejection, steadyApi } from './helpers.ts';

let server: FaultServer;
let lb: LoadBalancer | undefined;
const apis: KyInstance[] = [];

function track(api: KyInstance): KyInstance {
  apis.push(api);
  return api;
}

beforeEach(async () => {
  server = await startFaultServer();
});

afterEach(async () => {
  await Promise.all(apis.splice(0).map((api) => getUpstream(api)?.destroy()));
  await lb?.close();
  lb = undefined;
  await server.close();
});

describe('one retry decision per attempt', () => {
  it('a 503 route gets exactly 1 + retries attempts, never ky × Steady', async () => {
    server.route('/down', { status: 503 });
    const retried: number[] = [];
    const api = track(
      steadyApi(server, {
        retry: { retries: 2, baseDelay: 1, maxDelay: 5, budget: false },
        ky: { hooks: { beforeRetry: [({ retryCount }) => void retried.push(retryCount)] } },
      }),
    );
    const error = await rejection(api.get('down', { headers: { 'x-request-id': 'r1' } }));
    expect(error).toBeInstanceOf(HTTPError);
    expect(server.attempts('r1')).toBe(3);
    expect(retried).toEqual([]); // beforeRetry never fires: Steady owns retries
  });

  it("maps ky's `retry` onto Steady's retries", async () => {
    server.route('/down', { status: 503 });
    const api = track(steadyApi(server, { breaker: false }));
    await rejection(api.get('down', { retry: 4, headers: { 'x-request-id': 'n' } }));
    expect(server.attempts('n')).toBe(5);
    await rejection(api.get('down', { retry: 0, headers: { 'x-request-id': 'zero' } }));
    expect(server.attempts('zero')).toBe(1);
    await rejection(api.get('down', { retry: { limit: 1, statusCodes: [500] }, headers: { 'x-request-id': 'codes' } }));
    expect(server.attempts('codes')).toBe(1); // 503 is not in statusCodes
    await rejection(api.get('down', { retry: { limit: 1 }, headers: { 'x-request-id': 'obj' } }));
    expect(server.attempts('obj')).toBe(2);
  });

  it('a ky.retry() from afterResponse is not retried by ky (ForceRetryError)', async () => {
    const api = track(steadyApi(server, { ky: { hooks: { afterResponse: [() => ky.retry()] } } }));
    const error = await rejection(api.get('anything', { headers: { 'x-request-id': 'forced' } }));
    expect(isForceRetryError(error)).toBe(true);
    expect(server.attempts('forced')).toBe(1);
  });

  it('retries a flaky GET into a success, and never retries a POST', async () => {
    server.route('/flaky', [{ status: 503 }, { status: 200, body: { json: { ok: 1 } } }]);
    const api = track(steadyApi(server));
    expect(await api.get('flaky').json()).toEqual({ ok: 1 });
    server.route('/down', { status: 503 });
    await rejection(api.post('down', { json: {}, headers: { 'x-request-id': 'post' } }));
    expect(server.attempts('post')).toBe(1);
  });
});

describe('one deadline', () => {
  it("ky's `timeout` is Steady's total deadline: STEADY_TIMEOUT, which ky's isTimeoutError recognises", async () => {
    server.route('/hang', { hang: true });
    const api = track(steadyApi(server));
    const started = Date.now();
    const error = await rejection(api.get('hang', { timeout: 150 }));
    const elapsed = Date.now() - started;
    expect(isSteadyTimeoutError(error)).toBe(true);
    expect(error.phase).toBe('total');
    expect(isTimeoutError(error)).toBe(true);
    expect(error.request).toBeInstanceOf(Request);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(2000);
  });

  it('the deadline covers every retry: a slow 503 is cut by `timeout`, not multiplied', async () => {
    server.route('/slow503', { status: 503, latency: 80 });
    const api = track(steadyApi(server, { retry: { retries: 10, baseDelay: 1, maxDelay: 5, budget: false } }));
    const started = Date.now();
    const error = await rejection(api.get('slow503', { timeout: 200, headers: { 'x-request-id': 'slow' } }));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(isSteadyTimeoutError(error) || error instanceof HTTPError).toBe(true);
    expect(server.attempts('slow')).toBeLessThanOrEqual(3);
  });

  it('`totalTimeout` maps to the same deadline (the smaller one wins)', async () => {
    server.route('/hang', { hang: true });
    const api = track(steadyApi(server, { ky: { timeout: 5000 } }));
    const started = Date.now();
    const error = await rejection(api.get('hang', { totalTimeout: 120 }));
    expect(isSteadyTimeoutError(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('stale sockets behind a load balancer', () => {
  it('20 sequential GETs spaced past the LB idle timeout: 0 failures, replays counted', async () => {
    lb = await startLoadBalancer({ target: server.url, idleTimeout: 150 });
    const api = track(steadyApi(lb));
    const upstream = getUpstream(api)!;
    let failures = 0;
    for (let i = 0; i < 20; i++) {
      if (i > 0) await sleep(170);
      try {
        await api.get('anything').json();
      } catch {
        failures++;
      }
    }
    expect(failures).toBe(0);
    expect(upstream.stats().calls.replays).toBeGreaterThanOrEqual(10);
    expect(lb.counters().resets).toBeGreaterThanOrEqual(10);
  }, 15_000);

  it('plain ky (global fetch, retry: 0) fails on the same load balancer', async () => {
    lb = await startLoadBalancer({ target: server.url, idleTimeout: 150 });
    const plain = ky.create({ prefix: lb.url, retry: 0 });
    let failures = 0;
    for (let i = 0; i < 6; i++) {
      if (i > 0) await sleep(170);
      await plain
        .get('anything')
        .json()
        .catch(() => failures++);
    }
    expect(failures).toBeGreaterThan(0);
  }, 10_000);

  it('a POST dropped after its body was read is not replayed', async () => {
    const api = track(steadyApi(server));
    await api.get('anything').json(); // warm a socket so the POST rides a reused one
    server.route('/drop', { resetBeforeResponse: true });
    server.resetCounters();
    const error = await rejection(api.post('drop', { json: { pay: 1 } }));
    expect(isSteadyNetworkError(error)).toBe(true);
    expect(error.code).toBe('STEADY_NETWORK');
    expect(isNetworkError(error)).toBe(true); // ky's guard matches Steady's NetworkError by name
    expect(error.cause).toBeDefined();
    expect(server.counters().bodiesReceived).toBe(1);
  });
});

describe('breaker, bulkhead and close reach the ky caller', () => {
  it('the breaker opens on an always-503 route: STEADY_CIRCUIT_OPEN, through beforeError', async () => {
    server.route('/down', { status: 503 });
    const seen: unknown[] = [];
    const api = track(
      steadyApi(server, {
        retry: false,
        breaker: { consecutiveFailures: 3, openFor: 10_000 },
        ky: {
          hooks: {
            beforeError: [
              ({ error }) => {
                seen.push(error);
                return error;
              },
            ],
          },
        },
      }),
    );
    const errors: Array<Error & Record<string, unknown>> = [];
    for (let i = 0; i < 6; i++) errors.push(await rejection(api.get('down')));
    expect(errors.slice(0, 3).every((e) => e instanceof HTTPError)).toBe(true);
    const open = errors.at(-1)!;
    expect(isCircuitOpenError(open)).toBe(true);
    expect(open.code).toBe('STEADY_CIRCUIT_OPEN');
    expect(open.request).toBeInstanceOf(Request);
    expect(seen).toContain(open);
    expect(server.counters().byPath['/down']).toBe(3);
  });

  it('bulkhead overflow fails fast with STEADY_BULKHEAD_FULL', async () => {
    server.route('/slow', { latency: 300 });
    const api = track(steadyApi(server, { bulkhead: { maxConcurrent: 1, maxQueued: 0 } }));
    const first = api.get('slow').text();
    await waitFor(() => server.counters().byPath['/slow'] === 1, { what: 'the first call at the server' });
    const error = await rejection(api.get('slow'));
    expect(isBulkheadFullError(error)).toBe(true);
    expect(error.code).toBe('STEADY_BULKHEAD_FULL');
    await first;
    expect(server.counters().byPath['/slow']).toBe(1);
  });

  it('a closed upstream rejects with STEADY_CLOSED', async () => {
    const api = track(steadyApi(server));
    await getUpstream(api)!.close();
    const error = await rejection(api.get('anything'));
    expect(isClosedError(error)).toBe(true);
    expect(isSteadyError(error)).toBe(true);
  });

  it('close() drains in-flight calls and leaves no socket open', async () => {
    server.route('/slow', { latency: 50 });
    const api = track(steadyApi(server));
    const upstream = getUpstream(api)!;
    const pending = Array.from({ length: 8 }, () => api.get('slow').json());
    await waitFor(() => server.counters().byPath['/slow'] === 8, { what: '8 calls at the server' });
    const closed = upstream.close();
    expect((await Promise.allSettled(pending)).every((r) => r.status === 'fulfilled')).toBe(true);
    await closed;
    expect(upstream.state).toBe('closed');
    expect(upstream.stats().pool.socketsOpen).toBe(0);
    await waitFor(() => server.openSockets() === 0, { what: 'the server to see every socket closed' });
  });
});
