/**
 * Issue 12 through axios: every failure is an `AxiosError` whose `code` is the Steady code and
 * whose `cause` is the Steady error (itself keeping the original as its `cause`). One
 * `describe` per defect number, against real servers on 127.0.0.1.
 */
import { MALFORMED_RESPONSES, captureWarnings, startFaultServer, startRawServer } from '@steady/fault-server';
import { AxiosError, type AxiosInstance } from 'axios';
import { afterEach, describe, expect, it } from 'vitest';
import { isProtocolError, isResponseTooLargeError } from '@steady/core';
import { createAxios, getUpstream, type CreateAxiosOwnOptions } from '../src/index.ts';
import { rejection } from './helpers.ts';

/** Servers and clients made by a test, closed after it. */
const open: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});
const track = <T extends { close(): Promise<unknown> }>(item: T): T => (open.push(item), item);
const fault = async (options?: Parameters<typeof startFaultServer>[0]) => track(await startFaultServer(options));
const raw = async (response: string) => track(await startRawServer({ response }));

function api(origin: string, options: Omit<CreateAxiosOwnOptions, 'origin'> = {}): AxiosInstance {
  const instance = createAxios({ origin, ...options });
  track({ close: () => getUpstream(instance).destroy() });
  return instance;
}

describe('defect 3: an axios timeout above 2^31-1 ms never fires after 1 ms', () => {
  it('createAxios({ axios: { timeout: 3e9 } }) is refused, naming axios.timeout and the range', async () => {
    const server = await fault();
    expect(() => createAxios({ origin: server.url, axios: { timeout: 3e9 } })).toThrow(
      expect.objectContaining({ code: 'STEADY_INVALID_OPTION', option: 'axios.timeout' }),
    );
  });

  it('a per-request timeout: 3e9 is an AxiosError STEADY_INVALID_OPTION, sends nothing, no TimeoutOverflowWarning', async () => {
    const server = await fault({ routes: { '/slow': { latency: 50 } } });
    const warnings = captureWarnings();
    try {
      const error = await rejection(api(server.url).get('/slow', { timeout: 3e9 }));
      expect(error).toBeInstanceOf(AxiosError);
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

describe('defect 5: malformed responses are AxiosErrors with code STEADY_PROTOCOL, the original kept', () => {
  it.each(MALFORMED_RESPONSES)('%s', async (_label, response, originalName) => {
    const server = await raw(response);
    const error = await rejection(api(server.url).get('/x'));
    expect(error).toBeInstanceOf(AxiosError);
    expect(error.code).toBe('STEADY_PROTOCOL');
    expect(isProtocolError(error.cause)).toBe(true);
    const original = (error.cause as Error).cause as Error;
    expect(original.name).toBe(originalName);
    if (originalName === 'Error') expect((original as { code?: string }).code).toBe('Z_DATA_ERROR');
    expect(server.requests()).toBe(1);
  });
});

describe('defect 6: a method with CR/LF is a caller error, escaped in the message', () => {
  it('AxiosError STEADY_INVALID_REQUEST; no raw CR/LF anywhere in the message; nothing sent', async () => {
    const server = await fault();
    const error = await rejection(api(server.url).request({ method: 'GET\r\nX-Injected: 1', url: '/x' }));
    expect(error).toBeInstanceOf(AxiosError);
    expect(error.code).toBe('STEADY_INVALID_REQUEST');
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(server.counters().requests).toBe(0);
  });
});

describe('defect 7: pool.maxResponseSize bounds the decoded body; maxContentLength keeps working', () => {
  it('a gzip bomb fails with AxiosError STEADY_RESPONSE_TOO_LARGE at the decoded bound', async () => {
    const server = await fault({ routes: { '/bomb': { body: { bytes: 8_000_000 }, gzip: true } } });
    const instance = api(server.url, { pool: { maxResponseSize: 1_000_000 } });
    const error = await rejection(instance.get('/bomb'));
    expect(error.code).toBe('STEADY_RESPONSE_TOO_LARGE');
    expect(isResponseTooLargeError(error.cause)).toBe(true);
  });

  it('maxContentLength still rejects with axios’ own error', async () => {
    const server = await fault({ routes: { '/big': { body: { bytes: 5_000 }, gzip: true } } });
    const error = await rejection(api(server.url).get('/big', { maxContentLength: 1_000 }));
    expect(error.code).toBe(AxiosError.ERR_BAD_RESPONSE);
    expect(error.message).toBe('maxContentLength size of 1000 exceeded');
  });
});
