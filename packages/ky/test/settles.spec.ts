/**
 * Issue 12 through ky: the typed Steady error reaches the ky caller (the bridge's idiom: the
 * Steady error itself, ky's `request` attached, the original as `cause`), never a raw
 * RangeError, parser or zlib error. One `describe` per defect number, real servers on 127.0.0.1.
 */
import { MALFORMED_RESPONSES, captureWarnings, startFaultServer, startRawServer, waitFor } from '@steady/fault-server';
import ky, { type KyInstance } from 'ky';
import { afterEach, describe, expect, it } from 'vitest';
import { isProtocolError, isResponseTooLargeError, type UpstreamOptions } from '@steady/core';
import { getUpstream, withSteady } from '../src/index.ts';
import { rejection } from './helpers.ts';

/** Servers and clients made by a test, closed after it. */
const open: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});
const track = <T extends { close(): Promise<unknown> }>(item: T): T => (open.push(item), item);
const fault = async (options?: Parameters<typeof startFaultServer>[0]) => track(await startFaultServer(options));
const raw = async (response: string) => track(await startRawServer({ response }));

function api(origin: string, options: Omit<UpstreamOptions, 'origin'> = {}): KyInstance {
  const instance = withSteady(ky, { origin, ...options });
  track({ close: () => getUpstream(instance)!.destroy() });
  return instance;
}

describe('defect 3: a ky timeout above 2^31-1 ms never fires after 1 ms', () => {
  it('withSteady(ky, { ky: { timeout: 3e9 } }) is refused, naming ky.timeout and the range', async () => {
    const server = await fault();
    for (const name of ['timeout', 'totalTimeout'] as const) {
      expect(() => withSteady(ky, { origin: server.url, ky: { [name]: 3e9 } })).toThrow(
        expect.objectContaining({ code: 'STEADY_INVALID_OPTION', option: `ky.${name}` }),
      );
    }
  });

  it('a per-request timeout: 3e9 rejects with STEADY_INVALID_OPTION, sends nothing, no TimeoutOverflowWarning', async () => {
    const server = await fault({ routes: { '/slow': { latency: 50 } } });
    const warnings = captureWarnings();
    try {
      const error = await rejection(api(server.url).get('slow', { timeout: 3e9 }).text());
      expect(error.code).toBe('STEADY_INVALID_OPTION');
      expect(error.message).toContain('2147483647');
      expect(server.counters().requests).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(warnings.names).not.toContain('TimeoutOverflowWarning');
    } finally {
      warnings.stop();
    }
  });
});

describe('defect 5: malformed responses are STEADY_PROTOCOL through ky, the original kept as cause', () => {
  it('status 999 (a RangeError from `new Response`)', async () => {
    const server = await raw('HTTP/1.1 999 Weird\r\ncontent-length: 2\r\n\r\nhi');
    const error = await rejection(api(server.url, { retry: false }).get('x').text());
    expect(error.name).not.toBe('RangeError');
    expect(isProtocolError(error)).toBe(true);
    expect(error.message).toContain('999');
    expect(error.request).toBeInstanceOf(Request);
  });

  it.each(MALFORMED_RESPONSES)('%s', async (_label, response, originalName) => {
    const server = await raw(response);
    const error = await rejection(api(server.url).get('x').text());
    expect(error.code).toBe('STEADY_PROTOCOL');
    const original = error.cause as Error & { code?: string };
    expect(original.name).toBe(originalName);
    if (originalName === 'Error') expect(original.code).toBe('Z_DATA_ERROR');
    expect(server.requests()).toBe(1);
  });
});

describe('defect 7: pool.maxResponseSize bounds the decoded body through ky', () => {
  it('a gzip bomb through .text() fails with STEADY_RESPONSE_TOO_LARGE; the socket is not held', async () => {
    const server = await fault({ routes: { '/bomb': { body: { bytes: 8_000_000 }, gzip: true } } });
    const instance = api(server.url, { pool: { maxResponseSize: 1_000_000 } });
    const error = await rejection(instance.get('bomb').text());
    expect(isResponseTooLargeError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'STEADY_RESPONSE_TOO_LARGE', limit: 1_000_000 });
    const upstream = getUpstream(instance)!;
    // The compressed bytes were all read (the socket went back to the pool) or the socket was destroyed.
    await waitFor(() => upstream.stats().pool.running === 0, { what: 'the socket released' });
    expect(upstream.stats().pool).toMatchObject({ running: 0, pending: 0 });
  });

  it('an endless plain body through .text() fails at the bound too', async () => {
    const server = await fault({ routes: { '/endless': { body: { bytes: 8_000_000 }, chunked: true } } });
    const error = await rejection(
      api(server.url, { pool: { maxResponseSize: 1_000_000 } })
        .get('endless')
        .text(),
    );
    expect(error.code).toBe('STEADY_RESPONSE_TOO_LARGE');
  });
});
