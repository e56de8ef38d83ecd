import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultServer } from './index.ts';
import type { FaultServer } from './index.ts';
import { errorCode, httpRequest } from './test-helpers.ts';

const servers: FaultServer[] = [];
async function start(): Promise<FaultServer> {
  const server = await startFaultServer();
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** GET `url` and collect body bytes until `ms` pass without progress or the socket fails. */
function readPartial(
  url: string,
  ms: number,
): Promise<{ status: number; received: number; error?: string; ended: boolean }> {
  return new Promise((resolve, reject) => {
    let onError: (e: Error) => void = reject;
    const req = request(url, { agent: false }, (res) => {
      let received = 0;
      let timer = setTimeout(() => finish(), ms);
      let done = false;
      const finish = (error?: string, ended = false): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, received, ended, ...(error ? { error } : {}) });
      };
      onError = (e) => finish(errorCode(e) ?? e.message);
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        clearTimeout(timer);
        timer = setTimeout(() => finish(), ms);
      });
      res.on('error', (e) => finish(errorCode(e) ?? e.message));
      res.on('end', () => finish(undefined, true));
    });
    req.on('error', (e) => onError(e));
    req.end();
  });
}

describe('fault server: faults', () => {
  it('hang never sends headers; the client gives up', async () => {
    const server = await start();
    server.route('/hang', { hang: true });
    const started = performance.now();
    await expect(fetch(`${server.url}/hang`, { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(server.counters().requests).toBe(1);
  });

  it('stallAfterBytes sends headers and N bytes, then nothing', async () => {
    const server = await start();
    server.route('/stall', { stallAfterBytes: 100 });
    const result = await readPartial(`${server.url}/stall`, 150);
    expect(result).toEqual({ status: 200, received: 100, ended: false });
  });

  it('resetAfterBytes sends N bytes then RSTs: the client sees an error', async () => {
    const server = await start();
    server.route('/reset', { resetAfterBytes: 200 });
    const result = await readPartial(`${server.url}/reset`, 1000);
    expect(result.status).toBe(200);
    expect(result.ended).toBe(false);
    expect(result.received).toBe(200);
    expect(result.error).toBe('ECONNRESET');
    await expect(fetch(`${server.url}/reset`).then((r) => r.arrayBuffer())).rejects.toThrow();
  });

  it('resetBeforeResponse reads and counts the body, then RSTs without answering', async () => {
    const server = await start();
    server.route('/drop', { resetBeforeResponse: true });
    const error = await httpRequest(`${server.url}/drop`, {
      method: 'POST',
      body: 'x'.repeat(50_000),
      agent: false,
    }).catch((e: unknown) => e);
    expect(errorCode(error)).toBe('ECONNRESET');
    expect(server.counters()).toMatchObject({ requests: 1, bodiesReceived: 1 });
  });

  it('closeAfterResponse sends connection: close and closes the socket', async () => {
    const server = await start();
    server.route('/bye', { closeAfterResponse: true });
    const res = await httpRequest(`${server.url}/bye`);
    expect(res.headers.connection).toBe('close');
    await expect.poll(() => server.openSockets()).toBe(0);
  });
});
