import { MockAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { fallbackAnswer, isWholeResponse, WholeResponse } from '../src/index.ts';
import { rejection, useHarness } from './harness.ts';

const { server, upstream, defer } = useHarness();

describe('request(path, { wholeBody: true }): the body is read inside the call', () => {
  it('resolves with the whole response: status, headers, bytes read once; nothing is left in flight', async () => {
    const s = await server({
      routes: { '/doc': { body: { json: { ok: true, n: 7 } }, headers: { 'x-kind': 'doc' } } },
    });
    const up = upstream({ origin: s.url });
    const res = await up.request('/doc', { wholeBody: true });
    expect(isWholeResponse(res)).toBe(true);
    expect(res).toBeInstanceOf(WholeResponse);
    expect(res.statusCode).toBe(200);
    expect(res.statusText).toBe('OK');
    expect(res.headers['x-kind']).toBe('doc');
    // The call settled with its body: no call, deadline or socket is held for it.
    expect(up.inFlight).toBe(0);
    expect(up.stats().pool.running).toBe(0);
    expect(res.body.bodyUsed).toBe(false);
    expect(await res.body.json()).toEqual({ ok: true, n: 7 });
    expect(res.body.bodyUsed).toBe(true);
    await expect(res.body.text()).rejects.toThrow(TypeError);
  });

  it('text(), arrayBuffer(), bytes(), take() and stream() give the same bytes; an empty body is empty', async () => {
    const s = await server({ routes: { '/b': { body: { bytes: 3000 }, chunked: true }, '/empty': { status: 204 } } });
    const up = upstream({ origin: s.url });
    const plain = await (await up.request('/b')).body.bytes();
    const read = async (how: (body: WholeResponse['body']) => Promise<Uint8Array> | Uint8Array) => {
      const res = await up.request('/b', { wholeBody: true });
      if (!isWholeResponse(res)) throw new Error('not whole');
      return Buffer.from(await how(res.body));
    };
    expect(await read((b) => b.bytes())).toEqual(Buffer.from(plain));
    expect(await read(async (b) => new Uint8Array(await b.arrayBuffer()))).toEqual(Buffer.from(plain));
    expect(await read((b) => b.take())).toEqual(Buffer.from(plain));
    expect(await read(async (b) => Buffer.concat(await b.stream().toArray()))).toEqual(Buffer.from(plain));
    expect((await read(async (b) => Buffer.from(await b.text()))).length).toBe(plain.length);
    const empty = await up.request('/empty', { wholeBody: true });
    expect(empty.statusCode).toBe(204);
    expect(await empty.body.text()).toBe('');
  });

  it('text() and json() decode UTF-8 as undici does: a leading BOM is dropped', async () => {
    const s = await server({ routes: { '/bom': { body: '\ufeff{"ok":true}' } } });
    const up = upstream({ origin: s.url });
    const plain = await (await up.request('/bom')).body.text();
    expect(await (await up.request('/bom', { wholeBody: true })).body.text()).toBe(plain);
    expect(plain).toBe('{"ok":true}');
    expect(await (await up.request('/bom', { wholeBody: true })).body.json()).toEqual({ ok: true });
  });

  it('a reset mid-body fails the attempt: an idempotent GET is retried and succeeds', async () => {
    const s = await server({
      routes: { '/cut': [{ resetAfterBytes: 200, body: { bytes: 4096 } }, { body: { bytes: 4096 } }] },
    });
    const up = upstream({ origin: s.url, retry: { baseDelay: 1, maxDelay: 2 } });
    const res = await up.request('/cut', { wholeBody: true });
    expect(res.statusCode).toBe(200);
    expect((await res.body.bytes()).length).toBe(4096);
    expect(s.counters().byPath['/cut']).toBe(2);
    expect(up.stats().retry?.retries).toBe(1);
  });

  it('a reset mid-body on a POST is not retried: typed STEADY_NETWORK from request() itself', async () => {
    const s = await server({ routes: { '/pay': { resetAfterBytes: 200, body: { bytes: 4096 } } } });
    const up = upstream({ origin: s.url, retry: { baseDelay: 1, maxDelay: 2 } });
    const error = await rejection(up.request('/pay', { method: 'POST', body: '{}', wholeBody: true }));
    expect(error).toMatchObject({ code: 'STEADY_NETWORK', method: 'POST' });
    expect(s.counters().byPath['/pay']).toBe(1);
  });

  it('the total deadline covers the body: a body that stalls fails the call with STEADY_TIMEOUT', async () => {
    const s = await server({ routes: { '/stall': { stallAfterBytes: 100, body: { bytes: 4096 } } } });
    const up = upstream({ origin: s.url, timeouts: { total: 300 }, retry: false });
    const started = Date.now();
    const error = await rejection(up.request('/stall', { wholeBody: true }));
    expect(error).toMatchObject({ code: 'STEADY_TIMEOUT', phase: 'total' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(up.inFlight).toBe(0);
  });

  it('the caller aborting mid-body ends the call with STEADY_ABORTED', async () => {
    const s = await server({ routes: { '/stall': { stallAfterBytes: 100, body: { bytes: 4096 } } } });
    const up = upstream({ origin: s.url, retry: false });
    const controller = new AbortController();
    const pending = up.request('/stall', { wholeBody: true, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('navigated away')), 50);
    expect(await rejection(pending)).toMatchObject({ code: 'STEADY_ABORTED' });
  });

  it('pool.maxResponseSize bounds it: STEADY_RESPONSE_TOO_LARGE, not retried', async () => {
    const s = await server({ routes: { '/big': { body: { bytes: 50_000 } } } });
    const up = upstream({ origin: s.url, pool: { maxResponseSize: 10_000 } });
    const error = await rejection(up.request('/big', { wholeBody: true }));
    expect(error).toMatchObject({ code: 'STEADY_RESPONSE_TOO_LARGE' });
    expect(s.counters().byPath['/big']).toBe(1);
  });

  it("a fallback's answer stays undici's response data, marked as the fallback's", async () => {
    const s = await server({ routes: { '/down': { status: 503 } } });
    const up = upstream({ origin: s.url, retry: false, timeouts: { total: 100 } });
    const hang = await server({ routes: { '/hang': { hang: true } } });
    const slow = upstream({ origin: hang.url, retry: false, timeouts: { total: 100 } });
    const res = await slow.request('/hang', { wholeBody: true, fallback: () => ({ cached: true }) });
    expect(isWholeResponse(res)).toBe(false);
    expect(fallbackAnswer(res)?.value).toEqual({ cached: true });
    expect(await res.body.json()).toEqual({ cached: true });
    // An HTTP error status is a response like any other.
    const down = await up.request('/down', { wholeBody: true });
    expect(isWholeResponse(down)).toBe(true);
    expect(down.statusCode).toBe(503);
  });

  it("a user's transport (MockAgent) gets the same whole response", async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    defer(() => mock.close());
    mock.get('https://api.example.com').intercept({ path: '/x', method: 'GET' }).reply(200, { via: 'mock' });
    const up = upstream({ origin: 'https://api.example.com', transport: mock });
    const res = await up.request('/x', { wholeBody: true });
    expect(isWholeResponse(res)).toBe(true);
    expect(await res.body.json()).toEqual({ via: 'mock' });
  });

  it('a wholeBody that is not a boolean is a typed option error, and nothing is sent', async () => {
    const s = await server();
    const up = upstream({ origin: s.url });
    const error = await rejection(up.request('/', { wholeBody: 'yes' as unknown as boolean }));
    expect(error).toMatchObject({ code: 'STEADY_INVALID_OPTION', option: 'wholeBody' });
    expect(s.counters().requests).toBe(0);
  });
});
