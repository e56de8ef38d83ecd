import { startFaultServer, type FaultServer } from '@steady/fault-server';
import { HTTPError, isNetworkError, type KyInstance } from 'ky';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENTS, rejection, streamOf, type Client } from './helpers.ts';

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  bodyBytes: number;
}

describe.each(CLIENTS)('parity: %s', (_name, make) => {
  let server: FaultServer;
  let client: Client;
  let api: KyInstance;

  beforeEach(async () => {
    server = await startFaultServer();
    client = make(server);
    api = client.api;
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('GET .json() parses the body', async () => {
    const body = await api.get('anything').json<{ ok: boolean; source: string }>();
    expect(body.ok).toBe(true);
    expect(body.source).toBe('steady-fault-server');
  });

  it('sends the `json` option with its content type', async () => {
    const echo = await api.post('echo', { json: { a: 1, b: ['x'] } }).json<Echo>();
    expect(echo.method).toBe('POST');
    expect(echo.headers['content-type']).toBe('application/json');
    expect(JSON.parse(echo.body)).toEqual({ a: 1, b: ['x'] });
  });

  it('appends `searchParams` and resolves the input against `prefix`', async () => {
    const echo = await api.get('/echo', { searchParams: { q: 'a b', n: 2 } }).json<Echo>();
    expect(echo.url).toBe('/echo?q=a+b&n=2');
  });

  it('sends a string body and custom headers', async () => {
    const echo = await api.put('echo', { body: 'hello', headers: { 'x-one': '1' } }).json<Echo>();
    expect(echo).toMatchObject({ method: 'PUT', body: 'hello' });
    expect(echo.headers['x-one']).toBe('1');
  });

  it('streams a request body', async () => {
    const echo = await api.post('echo', { body: streamOf(['a', 'bc', 'def']) }).json<Echo>();
    expect(echo.body).toBe('abcdef');
  });

  it('streams a response body chunk by chunk', async () => {
    server.route('/big', { body: { bytes: 200_000 }, chunked: true });
    const response = await api.get('big');
    const reader = response.body!.getReader();
    let bytes = 0;
    let chunks = 0;
    for (let i = 0; i < 10_000; i++) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      chunks++;
    }
    expect(bytes).toBe(200_000);
    expect(chunks).toBeGreaterThan(1);
  });

  it('throws ky HTTPError with the response and parsed data', async () => {
    server.route('/missing', { status: 404, body: { json: { error: 'nope' } } });
    const error = await rejection(api.get('missing'));
    expect(error).toBeInstanceOf(HTTPError);
    const http = error as unknown as HTTPError;
    expect(http.response.status).toBe(404);
    expect(http.response.statusText).toBe('Not Found');
    expect(http.data).toEqual({ error: 'nope' });
  });

  it('resolves HTTP errors with throwHttpErrors: false', async () => {
    const response = await api.get('status/500', { throwHttpErrors: false, retry: 0 });
    expect(response.status).toBe(500);
  });

  it('runs hooks in ky order with ky semantics', async () => {
    const calls: string[] = [];
    const hooked = api.extend({
      hooks: {
        beforeRequest: [
          ({ request }) => {
            calls.push('beforeRequest');
            request.headers.set('x-hook', 'yes');
          },
        ],
        afterResponse: [
          ({ response }) => {
            calls.push(`afterResponse ${response.status}`);
          },
        ],
        beforeError: [
          ({ error }) => {
            calls.push('beforeError');
            error.message = `wrapped: ${error.message}`;
            return error;
          },
        ],
      },
    });
    const echo = await hooked.get('echo').json<Echo>();
    expect(echo.headers['x-hook']).toBe('yes');
    const error = await rejection(hooked.get('status/404'));
    expect(error.message).toMatch(/^wrapped: /);
    expect(calls).toEqual(['beforeRequest', 'afterResponse 200', 'beforeRequest', 'afterResponse 404', 'beforeError']);
  });

  it('lets afterResponse replace the response', async () => {
    const replaced = api.extend({
      hooks: { afterResponse: [() => new Response(JSON.stringify({ replaced: true }), { status: 200 })] },
    });
    expect(await replaced.get('echo').json()).toEqual({ replaced: true });
  });

  it.each(['gzip', 'deflate', 'brotli'] as const)('decodes a %s body', async (coding) => {
    server.route(`/${coding}`, { [coding]: true, body: 'compressed hello '.repeat(50) });
    const response = await api.get(coding);
    expect(await response.text()).toBe('compressed hello '.repeat(50));
  });

  it('follows a same-origin redirect', async () => {
    server.route('/old', { redirect: { location: '/echo?from=old', status: 301 } });
    const response = await api.get('old');
    expect(response.redirected).toBe(true);
    expect(response.url).toBe(`${server.url}/echo?from=old`);
    expect((await response.json<Echo>()).url).toBe('/echo?from=old');
  });

  it('turns a POST into a GET on 303', async () => {
    server.route('/form', { redirect: { location: '/echo', status: 303 } });
    const echo = await api.post('form', { json: { a: 1 } }).json<Echo>();
    expect(echo.method).toBe('GET');
    expect(echo.body).toBe('');
  });

  it('resends method and body on 307', async () => {
    server.route('/moved', { redirect: { location: '/echo', status: 307 } });
    const echo = await api.post('moved', { body: 'again' }).json<Echo>();
    expect(echo).toMatchObject({ method: 'POST', body: 'again' });
  });

  it("returns the 3xx with redirect: 'manual'", async () => {
    server.route('/old', { redirect: { location: '/echo' } });
    const response = await api.get('old', { redirect: 'manual', throwHttpErrors: false });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/echo');
  });

  it("rejects with ky's NetworkError with redirect: 'error'", async () => {
    server.route('/old', { redirect: { location: '/echo' } });
    const error = await rejection(api.get('old', { redirect: 'error', retry: 0 }));
    expect(isNetworkError(error)).toBe(true);
    expect((error.cause as Error).message).toBe('fetch failed');
  });

  it('answers HEAD and 204 with no body', async () => {
    const head = await api.head('anything');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const empty = await api.get('status/204');
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it("rejects with the signal's AbortError when the caller aborts", async () => {
    server.route('/slow', { hang: true });
    const controller = new AbortController();
    const pending = api.get('slow', { signal: controller.signal, retry: 0 });
    setTimeout(() => controller.abort(), 30);
    const error = await rejection(pending);
    expect(error.name).toBe('AbortError');
  });

  it('errors the body with the AbortError when the caller aborts mid-body', async () => {
    server.route('/stall', { body: { bytes: 50_000 }, stallAfterBytes: 100 });
    const controller = new AbortController();
    const response = await api.get('stall', { signal: controller.signal, retry: 0 });
    const reading = response.arrayBuffer();
    controller.abort();
    const error = await rejection(reading);
    expect(error.name).toBe('AbortError');
  });

  it('rejects at once with an already-aborted signal, sending nothing', async () => {
    const error = await rejection(api.get('echo', { signal: AbortSignal.abort() }));
    expect(error.name).toBe('AbortError');
    expect(server.counters().requests).toBe(0);
  });
});
