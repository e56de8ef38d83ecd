import { describe, expect, it } from 'vitest';
import { fallbackAnswer, type UpstreamEvents, type UpstreamResponse } from '../src/index.ts';
import { deadOrigin } from '@steady/fault-server';
import { useHarness } from './harness.ts';

const { server, upstream } = useHarness();

describe('a fallback answers request() with response data (one rule for every adapter)', () => {
  it('a Response becomes response data with its status, headers and body; the answer is kept', async () => {
    const given = new Response('from cache', { status: 203, headers: { 'x-cache': 'hit', 'content-type': 'text/x' } });
    const events: UpstreamEvents['fallback'][] = [];
    const up = upstream({ origin: await deadOrigin(), retry: false, fallback: () => given });
    up.on('fallback', (e) => events.push(e));
    const res = await up.request('/x');
    expect(res.statusCode).toBe(203);
    expect(res.headers).toMatchObject({ 'x-cache': 'hit', 'content-type': 'text/x' });
    expect(await res.body.text()).toBe('from cache');
    expect(fallbackAnswer(res)?.value).toBe(given);
    expect(events).toEqual([expect.objectContaining({ code: 'STEADY_CONNECT', method: 'GET' })]);
    // The call settled with a value: it counts as succeeded, once.
    expect(up.stats().calls).toMatchObject({ requests: 1, succeeded: 1 });
  });

  it('a string, bytes or a JSON value is the body of a 200 with a matching content-type', async () => {
    const up = upstream({ origin: await deadOrigin(), retry: false });
    const text = await up.request('/x', { fallback: () => 'plain' });
    expect([text.statusCode, text.headers['content-type'], await text.body.text()]).toEqual([
      200,
      'text/plain; charset=utf-8',
      'plain',
    ]);
    const bytes = await up.request('/x', { fallback: () => new Uint8Array([1, 2, 3]) });
    expect(bytes.headers['content-type']).toBe('application/octet-stream');
    expect([...(await bytes.body.bytes())]).toEqual([1, 2, 3]);
    const json = await up.request('/x', { fallback: async () => ({ cached: true, items: [1] }) });
    expect(json.headers).toMatchObject({ 'content-type': 'application/json', 'content-length': '27' });
    expect(await json.body.json()).toEqual({ cached: true, items: [1] });
    expect(fallbackAnswer(json)?.value).toEqual({ cached: true, items: [1] });
    const nothing = await up.request('/x', { fallback: () => null });
    expect(await nothing.body.text()).toBe('null');
  });

  it('undici response data (another upstream answer) is used as is', async () => {
    const backup = await server({ routes: { '/x': { status: 200, body: 'backup' } } });
    const spare = upstream({ origin: backup.url });
    let answered: UpstreamResponse | undefined;
    const up = upstream({
      origin: await deadOrigin(),
      retry: false,
      fallback: async () => (answered = await spare.request('/x')),
    });
    const res = await up.request('/x');
    expect(res).toBe(answered);
    expect(await res.body.text()).toBe('backup');
    expect(fallbackAnswer(res)?.value).toBe(answered);
    expect(fallbackAnswer(answered!)?.value).toBe(answered);
  });

  it('a streaming Response body flows with backpressure, and HEAD gets no body', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(97);
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled++ === 32) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const up = upstream({ origin: await deadOrigin(), retry: false });
    const res = await up.request('/big', { fallback: () => new Response(stream) });
    // Nothing read yet: only what fills the body's buffers has been pulled, not the 2 MiB.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pulled).toBeLessThan(10);
    expect((await res.body.arrayBuffer()).byteLength).toBe(32 * 64 * 1024);
    const head = await up.request('/big', { method: 'HEAD', fallback: () => 'ignored' });
    expect(await head.body.text()).toBe('');
  });

  it('a value that cannot be a response fails the call with STEADY_INVALID_OPTION, the failure as cause', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const up = upstream({ origin: await deadOrigin(), retry: false });
    for (const bad of [undefined, () => 1, Symbol('x'), 10n, cyclic]) {
      const error = await up.request('/x', { fallback: () => bad as never }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'STEADY_INVALID_OPTION', option: 'fallback' });
      expect((error as Error).cause).toMatchObject({ code: 'STEADY_CONNECT' });
    }
  });

  it('execute() answers with its own per-call fallback only; the upstream fallback is for request()', async () => {
    const up = upstream({ origin: await deadOrigin(), retry: false, fallback: () => 'for request()' });
    const attempt = () => Promise.reject(new Error('attempt failed'));
    await expect(up.execute(attempt)).rejects.toThrow('attempt failed');
    await expect(up.execute<number>(attempt, { fallback: () => 42 })).resolves.toBe(42);
  });
});
