import ky from 'ky';
import createClient from 'openapi-fetch';
import { describe, expect, it } from 'vitest';
import { createFetch } from '../src/index.ts';
import { rejection, useHarness } from './harness.ts';

const { server, defer, agent: agentFor } = useHarness();

describe('agent.fetch: WHATWG fetch on Steady', () => {
  it('takes a string, a URL or a global Request and returns a standard Response', async () => {
    const s = await server();
    const agent = agentFor();
    const a = await agent.fetch(`${s.url}/echo?x=1`);
    expect(a).toBeInstanceOf(Response);
    expect(a.status).toBe(200);
    expect(a.url).toBe(`${s.url}/echo?x=1`);
    expect(await a.json()).toMatchObject({ method: 'GET', url: '/echo?x=1' });
    const b = await agent.fetch(new URL(`${s.url}/echo`), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-app': 'shop' },
      body: JSON.stringify({ n: 1 }),
    });
    expect(await b.json()).toMatchObject({ method: 'POST', body: '{"n":1}', headers: { 'x-app': 'shop' } });
    const c = await agent.fetch(new Request(`${s.url}/echo`, { method: 'PUT', body: 'hi' }));
    expect(await c.json()).toMatchObject({ method: 'PUT', body: 'hi' });
    const head = await agent.fetch(`${s.url}/x`, { method: 'HEAD' });
    expect(head.body).toBeNull();
    expect(agent.stats().origins[s.origin]!.calls.requests).toBe(4);
  });

  it('sends what fetch sends: default headers, text/plain for a string body, every headers shape', async () => {
    const s = await server();
    const agent = agentFor();
    const url = new URL(`${s.url}/echo#frag`);
    const seen = async (res: Promise<Response>) =>
      (await (await res).json()) as { method: string; headers: Record<string, string>; body: string };
    const a = await seen(agent.fetch(url, { method: 'post', body: 'plain' }));
    expect(a).toMatchObject({ method: 'POST', body: 'plain' });
    expect(a.headers).toMatchObject({
      'content-type': 'text/plain;charset=UTF-8',
      accept: '*/*',
      'accept-encoding': 'gzip, deflate, br',
      'user-agent': 'node',
    });
    expect(url.hash).toBe('#frag'); // the caller's URL is not changed
    const b = await seen(agent.fetch(`${s.url}/echo`, { headers: [['X-Pair', '1']], method: 'DELETE' }));
    expect(b).toMatchObject({ method: 'DELETE', headers: { 'x-pair': '1' } });
    const c = await seen(agent.fetch(`${s.url}/echo`, { headers: new Headers({ Accept: 'application/json' }) }));
    expect(c.headers.accept).toBe('application/json');
    const d = await seen(agent.fetch(`${s.url}/echo`, { method: 'PUT', body: new URLSearchParams({ q: '1' }) }));
    expect(d).toMatchObject({
      body: 'q=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    });
    const bad = await rejection(agent.fetch(`${s.url}/echo`, { method: 'GET', body: 'no' }));
    expect(bad).toBeInstanceOf(TypeError);
    expect(s.counters().byPath['/echo']).toBe(4);
  });

  it('streams the response body and decodes gzip', async () => {
    const s = await server();
    s.route('/big', { body: { bytes: 256 * 1024 }, chunked: true });
    s.route('/gz', { body: 'zipped text', gzip: true });
    const agent = agentFor();
    const res = await agent.fetch(`${s.url}/big`);
    const reader = res.body!.getReader();
    let total = 0;
    let chunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      chunks++;
    }
    expect(total).toBe(256 * 1024);
    expect(chunks).toBeGreaterThan(1);
    const gz = await agent.fetch(`${s.url}/gz`);
    expect(gz.headers.get('content-encoding')).toBeNull();
    expect(await gz.text()).toBe('zipped text');
  });

  it("follows redirects across origins, each through that origin's upstream; 'manual' and 'error' modes", async () => {
    const [a, b] = await Promise.all([server(), server()]);
    a.route('/go', { redirect: { location: `${b.url}/landing`, status: 302 } });
    const agent = agentFor();
    const res = await agent.fetch(`${a.url}/go`, { headers: { authorization: 'Bearer secret', 'x-keep': '1' } });
    expect(res.status).toBe(200);
    expect(res.redirected).toBe(true);
    expect(res.url).toBe(`${b.url}/landing`);
    await res.arrayBuffer();
    const stats = agent.stats();
    expect(stats.origins[a.origin]!.calls.requests).toBe(1);
    expect(stats.origins[b.origin]!.calls.requests).toBe(1);

    b.route('/who', { echo: true });
    a.route('/to-who', { redirect: { location: `${b.url}/who`, status: 307 } });
    const echoed = await agent.fetch(`${a.url}/to-who`, { headers: { authorization: 'Bearer secret', 'x-keep': '1' } });
    const seen = (await echoed.json()) as { headers: Record<string, string> };
    // A cross-origin hop drops credentials, as fetch does.
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers['x-keep']).toBe('1');

    const manual = await agent.fetch(`${a.url}/go`, { redirect: 'manual' });
    expect(manual.status).toBe(302);
    expect(manual.headers.get('location')).toBe(`${b.url}/landing`);
    const error = await rejection(agent.fetch(`${a.url}/go`, { redirect: 'error' }));
    expect(error).toBeInstanceOf(TypeError);
    expect(b.counters().byPath['/landing']).toBe(1);
  });

  it('one total deadline covers every redirect hop', async () => {
    const s = await server();
    s.route('/1', { latency: 150, redirect: { location: '/2' } });
    s.route('/2', { latency: 150, redirect: { location: '/3' } });
    s.route('/3', { latency: 150 });
    const agent = agentFor({ defaults: { retry: false } });
    const error = await rejection(agent.fetch(`${s.url}/1`, { steady: { timeout: 350 } }));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).cause).toMatchObject({ code: 'STEADY_TIMEOUT', phase: 'total' });
    const ok = await agent.fetch(`${s.url}/1`, { steady: { timeout: 3_000 } });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
  });

  it("rejects like fetch: TypeError('fetch failed') with the SteadyError as cause; an abort rejects with the signal's reason", async () => {
    const s = await server();
    s.route('/hang', { hang: true });
    const agent = agentFor({ defaults: { retry: false, timeouts: { total: 300 } } });
    const timeout = await rejection(agent.fetch(`${s.url}/hang`));
    expect(timeout).toBeInstanceOf(TypeError);
    expect((timeout as Error).message).toBe('fetch failed');
    expect((timeout as Error).cause).toMatchObject({ code: 'STEADY_TIMEOUT' });

    const controller = new AbortController();
    const pending = agent.fetch(`${s.url}/hang`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const aborted = await rejection(pending);
    expect((aborted as Error).name).toBe('AbortError');

    const port = s.port;
    await s.close();
    const refused = await rejection(agent.fetch(`http://127.0.0.1:${port}/x`));
    expect((refused as Error).cause).toMatchObject({ code: 'STEADY_CONNECT' });
  });

  it('a body that fails mid-way rejects its read like fetch: the Steady error, or the caller reason when it aborted', async () => {
    const s = await server();
    s.route('/reset', { body: { bytes: 64 * 1024 }, chunked: true, resetAfterBytes: 1_000 });
    s.route('/stall', { body: { bytes: 64 * 1024 }, chunked: true, stallAfterBytes: 1_000 });
    const agent = agentFor({ defaults: { retry: false, timeouts: { total: 2_000 } } });
    for (const read of ['text', 'json', 'arrayBuffer', 'bytes'] as const) {
      const res = await agent.fetch(`${s.url}/reset`);
      expect(res.status).toBe(200);
      const failure = await rejection(res[read]());
      expect(failure).toMatchObject({ code: expect.stringMatching(/^STEADY_/) });
      expect(res.bodyUsed).toBe(true);
    }
    const controller = new AbortController();
    const stalled = await agent.fetch(`${s.url}/stall`, { signal: controller.signal });
    const reading = stalled.text();
    const reason = new Error('caller gave up');
    setTimeout(() => controller.abort(reason), 50);
    expect(await rejection(reading)).toBe(reason);
    // Nothing was left behind: every call settled, no socket is held by an unread body.
    expect(agent.stats().totals.inFlight).toBe(0);
  });

  it('a large body arrives whole through text(), the web stream and a Node stream of it; an unread one does not hold the socket', async () => {
    const s = await server();
    s.route('/big', { body: { bytes: 3 * 1024 * 1024 }, chunked: true });
    const agent = agentFor({ defaults: { pool: { connections: 1 } } });
    expect((await (await agent.fetch(`${s.url}/big`)).text()).length).toBe(3 * 1024 * 1024);
    let streamed = 0;
    for await (const part of (await agent.fetch(`${s.url}/big`)).body!) streamed += part.byteLength;
    expect(streamed).toBe(3 * 1024 * 1024);
    // Cancelled unread: the one pooled socket serves the next call.
    const unread = await agent.fetch(`${s.url}/big`);
    await unread.body!.cancel();
    expect((await agent.fetch(`${s.url}/big`)).status).toBe(200);
    expect(agent.stats().totals.inFlight).toBe(0);
  });

  it("the call's deadline still bounds a body read after the response resolved", async () => {
    const s = await server();
    s.route('/stall', { body: { bytes: 64 * 1024 }, chunked: true, stallAfterBytes: 1_000 });
    const agent = agentFor({ defaults: { retry: false, timeouts: { total: 300 } } });
    const res = await agent.fetch(`${s.url}/stall`);
    const started = Date.now();
    expect(await rejection(res.text())).toMatchObject({ code: 'STEADY_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(2_000);
    const streamed = await agent.fetch(`${s.url}/stall`);
    const reader = streamed.body!.getReader();
    const failure = await (async () => {
      for (;;) {
        try {
          if ((await reader.read()).done) return undefined;
        } catch (error) {
          return error;
        }
      }
    })();
    expect(failure).toMatchObject({ code: 'STEADY_TIMEOUT' });
  });

  it("works as ky's `fetch` option", async () => {
    const s = await server();
    s.route('/users/42', { body: { json: { id: 42 } } });
    s.route('/missing', { status: 404 });
    const agent = agentFor();
    const api = ky.create({ prefix: s.url, fetch: agent.fetch, retry: 0 });
    expect(await api.get('users/42').json()).toEqual({ id: 42 });
    const error = await rejection(api.get('missing'));
    expect((error as { name: string }).name).toBe('HTTPError');
    expect(agent.stats().origins[s.origin]!.calls.requests).toBe(2);
  });

  it('works as the `fetch` of an SDK-style client (openapi-fetch)', async () => {
    const s = await server();
    s.route('/pets/7', { body: { json: { id: 7, name: 'Rex' } } });
    interface paths {
      '/pets/{id}': {
        get: {
          parameters: { path: { id: number } };
          responses: { 200: { content: { 'application/json': { id: number; name: string } } } };
        };
      };
    }
    const fetch = createFetch({ defaults: { retry: { retries: 1 } } });
    defer(() => fetch.agent.destroy());
    const client = createClient<paths>({ baseUrl: s.url, fetch });
    const { data, response } = await client.GET('/pets/{id}', { params: { path: { id: 7 } } });
    expect(response.status).toBe(200);
    expect(data).toEqual({ id: 7, name: 'Rex' });
    expect(fetch.agent.stats().origins[s.origin]!.calls.requests).toBe(1);
  });
});
