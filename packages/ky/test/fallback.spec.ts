import { deadOrigin, startFaultServer, type FaultServer } from '@steady/fault-server';
import ky, { HTTPError, type KyInstance } from 'ky';
import { afterEach, describe, expect, it } from 'vitest';
import { getUpstream, steadyHooks, withSteady } from '../src/index.ts';
import { rejection } from './helpers.ts';

const apis: KyInstance[] = [];
const servers: FaultServer[] = [];

function track(api: KyInstance): KyInstance {
  apis.push(api);
  return api;
}

afterEach(async () => {
  await Promise.all(apis.splice(0).map((api) => getUpstream(api)?.destroy()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('a fallback reaches the ky caller as a Response', () => {
  it('the Response the fallback returns is the one ky resolves with (upstream-wide fallback)', async () => {
    let given: Response | undefined;
    const api = track(
      withSteady(ky, {
        origin: await deadOrigin(),
        retry: false,
        fallback: () => (given = new Response('x', { headers: { 'x-from': 'fallback' } })),
      }),
    );
    const response = await api.get('x');
    expect(response).toBe(given);
    expect(await response.text()).toBe('x');
    expect(response.headers.get('x-from')).toBe('fallback');
  });

  it('the issue one-liner: .text() of a fallback Response on a dead port', async () => {
    const api = track(withSteady(ky, { origin: await deadOrigin(), retry: false, fallback: () => new Response('x') }));
    expect(await api.get('x').text()).toBe('x');
  });

  it('a string, bytes or a JSON value becomes a 200 Response with its content-type', async () => {
    const api = track(withSteady(ky, { origin: await deadOrigin(), retry: false }));
    const text = await api.get('x', { context: { steady: { fallback: () => 'plain' } } });
    expect([text.status, text.headers.get('content-type'), await text.text()]).toEqual([
      200,
      'text/plain; charset=utf-8',
      'plain',
    ]);
    const json = await api.get('x', { context: { steady: { fallback: () => ({ cached: true }) } } }).json();
    expect(json).toEqual({ cached: true });
    const bytes = await api.get('x', { context: { steady: { fallback: () => new Uint8Array([7, 8]) } } }).bytes();
    expect([...bytes]).toEqual([7, 8]);
  });

  it('per call through steadyHooks too, and a fallback Response with an error status is ky’s HTTPError', async () => {
    const api = track(withSteady(ky, { origin: await deadOrigin(), retry: false }));
    const shared = ky.create({ ...steadyHooks(getUpstream(api)!), prefix: getUpstream(api)!.origin });
    const response = await shared.get('x', { context: { steady: { fallback: () => new Response('hooked') } } });
    expect(await response.text()).toBe('hooked');
    const error = await rejection(
      shared.get('x', { context: { steady: { fallback: () => new Response('gone', { status: 503 }) } } }),
    );
    expect(error).toBeInstanceOf(HTTPError);
    expect((error as unknown as HTTPError).response.status).toBe(503);
  });

  it('a fallback answering during a real outage: the server dies, the fallback answers, nothing is left open', async () => {
    const server = await startFaultServer({ routes: { '/x': { status: 200, body: 'live' } } });
    servers.push(server);
    const api = track(withSteady(ky, { origin: server.url, retry: false, fallback: () => 'stale copy' }));
    expect(await api.get('x').text()).toBe('live');
    await server.close();
    expect(await api.get('x').text()).toBe('stale copy');
    const upstream = getUpstream(api)!;
    await upstream.close();
    expect(upstream.stats().pool.connected).toBe(0);
  });

  it('a value that cannot be a response rejects with STEADY_INVALID_OPTION naming `fallback`', async () => {
    const api = track(withSteady(ky, { origin: await deadOrigin(), retry: false, fallback: () => undefined as never }));
    const error = await rejection(api.get('x').text());
    expect(error).toMatchObject({ code: 'STEADY_INVALID_OPTION', option: 'fallback' });
    expect(error.cause).toMatchObject({ code: 'STEADY_CONNECT' });
  });
});
