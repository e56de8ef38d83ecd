import { ClosedError } from '@steady/core';
import { describe, expect, it } from 'vitest';
import { HttpStatusError, codeOf, newTally, record, runCall } from './outcome.ts';

describe('codeOf', () => {
  it('prefers a Steady code anywhere in the cause chain', () => {
    const wrapped = Object.assign(new Error('axios'), {
      code: 'STEADY_CLOSED',
      cause: new ClosedError({ upstream: 'x' }),
    });
    expect(codeOf(wrapped)).toBe('STEADY_CLOSED');
    expect(codeOf(new Error('ky', { cause: new ClosedError({ upstream: 'x' }) }))).toBe('STEADY_CLOSED');
  });

  it('names HTTP statuses, then the deepest socket code, then the error name', () => {
    expect(codeOf(new HttpStatusError(503))).toBe('HTTP_503');
    expect(codeOf(Object.assign(new Error('axios'), { code: 'ERR_BAD_RESPONSE', response: { status: 502 } }))).toBe(
      'HTTP_502',
    );
    const socket = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(codeOf(new TypeError('fetch failed', { cause: socket }))).toBe('UND_ERR_SOCKET');
    expect(codeOf(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(codeOf(Object.assign(new Error('canceled'), { code: 'ERR_CANCELED' }))).toBe('ERR_CANCELED');
    expect(codeOf(new RangeError('x'))).toBe('RangeError');
    expect(codeOf('nope')).toBe('UNKNOWN');
  });
});

describe('runCall', () => {
  it('reports success, failure codes and counts them', async () => {
    const tally = newTally();
    record(tally, await runCall(async () => 'ok', { watchdogMs: 1000 }));
    record(tally, await runCall(async () => Promise.reject(new HttpStatusError(500)), { watchdogMs: 1000 }));
    expect(tally).toMatchObject({ calls: 2, ok: 1, failed: 1, hung: 0, errors: { HTTP_500: 1 }, refused: 0 });
  });

  it('counts what Steady refused at once apart, with the slowest refusal and the slowest answer', () => {
    const tally = newTally();
    record(tally, { ok: true, ms: 12.4, hung: false });
    record(tally, { ok: false, code: 'STEADY_CIRCUIT_OPEN', ms: 0.6, hung: false });
    record(tally, { ok: false, code: 'STEADY_BULKHEAD_FULL', ms: 2.2, hung: false });
    record(tally, { ok: false, code: 'ECONNREFUSED', ms: 30, hung: false });
    expect(tally).toMatchObject({ calls: 4, ok: 1, failed: 3, refused: 2, refusedMaxMs: 2, okMaxMs: 12, maxMs: 30 });
  });

  it('gives up on a call that never settles, even one that ignores its signal', async () => {
    const started = Date.now();
    const outcome = await runCall(() => new Promise(() => {}), { watchdogMs: 50 });
    expect(outcome).toMatchObject({ ok: false, hung: true, code: 'HUNG' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('aborts the call through its signal when the extra signal fires', async () => {
    const controller = new AbortController();
    const pending = runCall(
      (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('cut')))),
      { watchdogMs: 5000, signal: controller.signal },
    );
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, hung: false, code: 'Error' });
  });
});
