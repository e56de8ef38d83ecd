import { createUpstream, isInvalidRequestError, isTimeoutError, type Upstream } from '@steady/core';
import { startFaultServer, type FaultServer } from '@steady/fault-server';
import ky, { isNetworkError } from 'ky';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deadlineFromKy, getUpstream, retryFromKy, steadyFetch, steadyHooks } from '../src/index.ts';
import { rejection, steadyApi, streamOf } from './helpers.ts';

let server: FaultServer;
let upstream: Upstream;

beforeEach(async () => {
  server = await startFaultServer();
  upstream = createUpstream({ origin: server.url, retry: { retries: 2, baseDelay: 1, maxDelay: 5, budget: false } });
});

afterEach(async () => {
  await upstream.destroy();
  await server.close();
});

describe('steadyFetch', () => {
  it('takes a path, a URL or a Request, and returns a global Response', async () => {
    const fetch = steadyFetch(upstream);
    const byPath = await fetch('/echo?x=1', { method: 'POST', body: 'hi', headers: { 'x-a': 'b' } });
    expect(byPath).toBeInstanceOf(Response);
    expect(await byPath.json()).toMatchObject({
      method: 'POST',
      url: '/echo?x=1',
      body: 'hi',
      headers: { 'x-a': 'b' },
    });
    const byRequest = await fetch(new Request(`${server.url}/echo`, { method: 'DELETE' }));
    expect((await byRequest.json()) as object).toMatchObject({ method: 'DELETE' });
    expect(getUpstream(fetch)).toBe(upstream);
  });

  it("rejects a URL off the upstream's origin with STEADY_INVALID_REQUEST, sending nothing", async () => {
    const error = await rejection(steadyFetch(upstream)('http://example.invalid/x?token=secret'));
    expect(isInvalidRequestError(error)).toBe(true);
    expect(error.message).not.toContain('secret');
    expect(server.counters().requests).toBe(0);
  });

  it('does not follow a redirect to another origin', async () => {
    server.route('/away', { redirect: { location: 'http://example.invalid/elsewhere' } });
    const error = await rejection(steadyFetch(upstream)('/away'));
    expect(isInvalidRequestError(error)).toBe(true);
  });

  it('stops after 20 redirects like fetch (ky NetworkError through ky)', async () => {
    server.route('/loop', { redirect: { location: '/loop' } });
    const api = ky.create({ ...steadyHooks(upstream), prefix: server.url });
    const error = await rejection(api.get('loop'));
    expect(isNetworkError(error)).toBe(true);
    expect(((error.cause as Error).cause as Error).message).toBe('redirect count exceeded');
    expect(server.counters().byPath['/loop']).toBe(21);
  });

  it('drops content-encoding and content-length of a decoded body', async () => {
    server.route('/gz', { gzip: true, body: 'z'.repeat(4000) });
    const response = await steadyFetch(upstream)('/gz');
    expect(response.headers.has('content-encoding')).toBe(false);
    expect(response.headers.has('content-length')).toBe(false);
    expect(await response.text()).toBe('z'.repeat(4000));
  });

  it('errors the body stream when the connection drops mid-body', async () => {
    server.route('/cut', { body: { bytes: 50_000 }, resetAfterBytes: 1000 });
    const response = await steadyFetch(upstream)('/cut');
    await expect(response.arrayBuffer()).rejects.toBeDefined();
  });

  it('bounds reading the body by the total deadline (STEADY_TIMEOUT)', async () => {
    server.route('/stall', { body: { bytes: 50_000 }, stallAfterBytes: 100 });
    const api = steadyApi(server);
    const response = await api.get('stall', { timeout: 150 });
    const error = await rejection(response.arrayBuffer());
    expect(isTimeoutError(error)).toBe(true);
    await getUpstream(api)!.destroy();
  });
});

describe('request bodies', () => {
  it('retries a byte body but never a streamed one', async () => {
    server.route('/down', { status: 503 });
    const api = ky.create({ ...steadyHooks(upstream), prefix: server.url });
    await rejection(api.put('down', { body: 'bytes', headers: { 'x-request-id': 'bytes' } }));
    expect(server.attempts('bytes')).toBe(3);
    await rejection(api.put('down', { body: streamOf(['s', 't']), headers: { 'x-request-id': 'stream' } }));
    expect(server.attempts('stream')).toBe(1);
  });

  it('honours per-request Steady options from `context.steady`', async () => {
    server.route('/down', { status: 503 });
    const api = ky.create({ ...steadyHooks(upstream), prefix: server.url });
    await rejection(api.get('down', { context: { steady: { retry: false } }, headers: { 'x-request-id': 'off' } }));
    expect(server.attempts('off')).toBe(1);
    await rejection(
      api.post('down', { context: { steady: { idempotent: true } }, headers: { 'x-request-id': 'post' } }),
    );
    expect(server.attempts('post')).toBe(3);
  });
});

describe('ky option mapping', () => {
  it('maps ky `retry` onto a Steady retry override', () => {
    expect(retryFromKy(undefined)).toBeUndefined();
    expect(retryFromKy(0)).toBe(false);
    expect(retryFromKy(3)).toEqual({ retries: 3 });
    expect(retryFromKy(3)).toBe(retryFromKy(3)); // cached: validated once by the core
    expect(retryFromKy(99)).toEqual({ retries: 10 });
    expect(retryFromKy({ limit: 0 })).toBe(false);
    expect(retryFromKy({ limit: 1, statusCodes: [500], backoffLimit: 300, maxRetryAfter: 1000, jitter: true })).toEqual(
      {
        retries: 1,
        statuses: [500],
        maxDelay: 300,
        maxRetryAfter: 1000,
      },
    );
  });

  it('maps ky `timeout`/`totalTimeout` onto one deadline', () => {
    expect(deadlineFromKy(undefined, undefined)).toBeUndefined();
    expect(deadlineFromKy(false, false)).toBeUndefined();
    expect(deadlineFromKy(1000, false)).toBe(1000);
    expect(deadlineFromKy(false, 500)).toBe(500);
    expect(deadlineFromKy(1000, 500)).toBe(500);
  });
});

describe('withSteady URL resolution', () => {
  it('resolves relative inputs under the origin and uses a same-origin absolute URL as is', async () => {
    const api = ky.extend({}); // a plain instance to wrap
    const { withSteady } = await import('../src/index.ts');
    const steady = withSteady(api, { upstream });
    expect(await steady.post('echo').json()).toMatchObject({ url: '/echo' });
    expect(await steady.post('/echo').json()).toMatchObject({ url: '/echo' });
    expect(await steady.post(`${server.url}/echo?a=1`).json()).toMatchObject({ url: '/echo?a=1' });
    const prefixed = withSteady(api, { upstream, ky: { prefix: '/api', headers: { 'x-fault': '{"echo":true}' } } });
    expect(await prefixed.post('deep').json()).toMatchObject({ url: '/api/deep' });
  });

  it('refuses an absolute URL on another origin with STEADY_INVALID_REQUEST', async () => {
    const { withSteady } = await import('../src/index.ts');
    const steady = withSteady(ky, { upstream });
    const error = await steady.get('http://127.0.0.1:1/elsewhere').catch((e: unknown) => e);
    expect(isInvalidRequestError(error)).toBe(true);
    expect(server.counters().requests).toBe(0);
  });
});
