import { AxiosError } from 'axios';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpstreamEvents } from '@steady/core';
import { deadOrigin } from '@steady/fault-server';
import { createAxios, getUpstream } from '../src/index.ts';
import { rejection } from './helpers.ts';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function track<T extends Parameters<typeof getUpstream>[0]>(api: T): T {
  closers.push(() => getUpstream(api).destroy());
  return api;
}

describe('a fallback answers an axios call (core’s rule, in axios’ terms)', () => {
  it('createAxios({ fallback }) with a plain value: it is response.data as is, status 200', async () => {
    const api = track(createAxios({ origin: await deadOrigin(), retry: false, fallback: () => ({ cached: [1, 2] }) }));
    const res = await api.get('/x');
    expect([res.status, res.data, res.headers['content-type']]).toEqual([200, { cached: [1, 2] }, 'application/json']);
    expect(res.request).toMatchObject({ fallback: true });
    const text = await api.get('/x', { steady: { fallback: () => 'plain text' } });
    expect([text.data, text.headers['content-type']]).toEqual(['plain text', 'text/plain; charset=utf-8']);
    // Like any body, the value then goes through axios' transformResponse (JSON-looking text is parsed).
    expect((await api.get('/x', { steady: { fallback: () => '42' } })).data).toBe(42);
  });

  it('a Response is read like the upstream answer: status, headers, responseType, validateStatus', async () => {
    const api = track(createAxios({ origin: await deadOrigin(), retry: false }));
    const res = await api.get('/x', {
      steady: { fallback: () => Response.json({ from: 'cache' }, { headers: { 'x-cache': 'hit' } }) },
    });
    expect([res.status, res.data, res.headers['x-cache']]).toEqual([200, { from: 'cache' }, 'hit']);
    const buffer = await api.get('/x', {
      responseType: 'arraybuffer',
      steady: { fallback: () => new Response('raw') },
    });
    expect(Buffer.isBuffer(buffer.data) && buffer.data.toString()).toBe('raw');
    const refused = await rejection(api.get('/x', { steady: { fallback: () => new Response('no', { status: 503 }) } }));
    expect(refused).toBeInstanceOf(AxiosError);
    expect(refused.response?.status).toBe(503);
  });

  it('the per-call fallback gets the AxiosError and runs in core: one `fallback` event per answer', async () => {
    const api = track(createAxios({ origin: await deadOrigin(), retry: false }));
    const events: UpstreamEvents['fallback'][] = [];
    getUpstream(api).on('fallback', (e) => events.push(e));
    let seen: unknown;
    const res = await api.get('/x', {
      steady: {
        fallback: (error) => {
          seen = error;
          return 'spare';
        },
      },
    });
    expect(res.data).toBe('spare');
    expect(seen).toBeInstanceOf(AxiosError);
    expect(seen).toMatchObject({ code: 'STEADY_CONNECT' });
    expect(events).toEqual([expect.objectContaining({ code: 'STEADY_CONNECT', method: 'GET' })]);
  });

  it('a fallback that answers undefined fails with STEADY_INVALID_OPTION (an AxiosError), the failure as cause', async () => {
    const api = track(createAxios({ origin: await deadOrigin(), retry: false, fallback: () => undefined as never }));
    const error = await rejection(api.get('/x'));
    expect(error).toBeInstanceOf(AxiosError);
    expect(error.code).toBe('STEADY_INVALID_OPTION');
    expect(error.cause).toMatchObject({ option: 'fallback', cause: { code: 'STEADY_CONNECT' } });
    const perCall = await rejection(api.get('/x', { steady: { fallback: () => undefined as never } }));
    expect(perCall.code).toBe('STEADY_INVALID_OPTION');
  });
});
