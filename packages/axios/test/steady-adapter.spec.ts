import type { Readable } from 'node:stream';
import axios, { AxiosError, isCancel } from 'axios';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUpstream, isTimeoutError, type Upstream } from '@steady/core';
import { startFaultServer, type FaultServer } from '@steady/fault-server';
import { createAxios, getUpstream, steadyAdapter } from '../src/index.ts';
import { rejection } from './helpers.ts';

describe('createAxios() and the Steady adapter', () => {
  let server: FaultServer;
  let upstream: Upstream | undefined;

  beforeEach(async () => {
    server = await startFaultServer({
      routes: {
        '/hang': { hang: true },
        '/away': { redirect: { location: 'http://127.0.0.1:1/elsewhere' } },
      },
    });
  });

  afterEach(async () => {
    await upstream?.close();
    upstream = undefined;
    await server.close();
  });

  function api(options: Parameters<typeof createAxios>[0] | undefined = undefined) {
    const instance = createAxios(options ?? { origin: server.url, retry: false });
    upstream = getUpstream(instance);
    return instance;
  }

  it('uses the origin as baseURL and sends through the upstream pool', async () => {
    const instance = api();
    expect(instance.defaults.baseURL).toBe(server.url);
    for (let i = 0; i < 10; i++) await instance.get('/');
    expect(upstream?.stats().calls.requests).toBe(10);
    expect(server.counters().connections).toBeLessThanOrEqual(2);
  });

  it('accepts absolute URLs on the same origin', async () => {
    const res = await api().get(`${server.url}/echo?x=1`);
    expect(res.data.url).toBe('/echo?x=1');
  });

  it('rejects another origin with ERR_BAD_REQUEST naming both origins, sending nothing', async () => {
    const error = await rejection(api().get('http://127.0.0.1:1/x'));
    expect(error).toBeInstanceOf(AxiosError);
    expect(error.code).toBe('ERR_BAD_REQUEST');
    expect(error.message).toContain('http://127.0.0.1:1');
    expect(error.message).toContain(server.url);
    expect(server.counters().requests).toBe(0);
  });

  it('rejects a redirect to another origin with the 3xx response attached', async () => {
    const error = await rejection(api().get('/away'));
    expect(error.code).toBe('ERR_BAD_REQUEST');
    expect(error.response?.status).toBe(302);
    expect(error.message).toContain('redirect');
  });

  it('maps the total deadline onto axios timeout: STEADY_TIMEOUT with the SteadyError as cause', async () => {
    const started = Date.now();
    const error = await rejection(api().get('/hang', { timeout: 100 }));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toBeInstanceOf(AxiosError);
    expect(error.code).toBe('STEADY_TIMEOUT');
    expect(isTimeoutError(error.cause)).toBe(true);
    expect(error.config?.url).toBe('/hang');
    expect(error.request).toMatchObject({ method: 'GET', path: '/hang' });
    expect(axios.isAxiosError(error)).toBe(true);
  });

  it('uses timeoutErrorMessage, and config.steady.timeout over axios timeout', async () => {
    const instance = api();
    const named = await rejection(instance.get('/hang', { timeout: 60, timeoutErrorMessage: 'too slow' }));
    expect(named.message).toBe('too slow');
    const started = Date.now();
    const steady = await rejection(instance.get('/hang', { timeout: 10_000, steady: { timeout: 60 } }));
    expect(steady.code).toBe('STEADY_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('surfaces a closed upstream as STEADY_CLOSED', async () => {
    const instance = api();
    await getUpstream(instance).close();
    const error = await rejection(instance.get('/'));
    expect(error.code).toBe('STEADY_CLOSED');
    expect(error.cause).toMatchObject({ code: 'STEADY_CLOSED' });
  });

  it('surfaces a refused connection as STEADY_CONNECT', async () => {
    const url = server.url;
    await server.close();
    const error = await rejection(api({ origin: url, retry: false }).get('/'));
    expect(error.code).toBe('STEADY_CONNECT');
    expect(error.cause).toMatchObject({ code: 'STEADY_CONNECT' });
  });

  it('answers with a per-call fallback as data', async () => {
    const res = await api().get('/hang', { timeout: 50, steady: { fallback: () => ({ cached: true }) } });
    expect(res.data).toEqual({ cached: true });
    expect(res.request).toMatchObject({ fallback: true });
  });

  it('shares an upstream, and plugs into an existing instance', async () => {
    upstream = createUpstream({ origin: server.url });
    const shared = createAxios({ upstream, axios: { headers: { 'x-app': 'a' } } });
    const plain = axios.create({ baseURL: server.url });
    plain.defaults.adapter = steadyAdapter(upstream);
    expect(getUpstream(shared)).toBe(upstream);
    expect(getUpstream(plain)).toBe(upstream);
    expect((await shared.get('/echo')).data.headers['x-app']).toBe('a');
    await plain.get('/');
    expect(upstream.stats().calls.requests).toBe(2);
  });

  it('accepts a baseURL path on the origin, refuses another origin', async () => {
    const instance = api({ origin: server.url, axios: { baseURL: '/v1' } });
    expect((await instance.get('/echo', { headers: { 'x-fault': '{"echo":true}' } })).data.url).toBe('/v1/echo');
    expect(() => createAxios({ origin: server.url, axios: { baseURL: 'http://example.com/' } })).toThrow(
      /axios\.baseURL/,
    );
    expect(() => getUpstream(axios.create())).toThrow(TypeError);
  });

  it('cancels a download in progress', async () => {
    const controller = new AbortController();
    const pending = api().get('/', {
      headers: { 'x-fault': JSON.stringify({ stallAfterBytes: 10 }) },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    expect(isCancel(await rejection(pending))).toBe(true);
  });

  it('cancels a streamed download (responseType stream) after the call resolved: the stream fails', async () => {
    const controller = new AbortController();
    const res = await api().get('/', {
      headers: { 'x-fault': JSON.stringify({ stallAfterBytes: 10 }) },
      signal: controller.signal,
      responseType: 'stream',
    });
    const stream = res.data as Readable;
    const failed = new Promise<unknown>((resolve) => stream.once('error', resolve));
    stream.resume();
    controller.abort();
    expect(await failed).toMatchObject({ code: 'STEADY_ABORTED' });
    expect(stream.destroyed).toBe(true);
  });
});
