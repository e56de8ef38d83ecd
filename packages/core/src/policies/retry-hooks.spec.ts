import { MockAgent } from 'undici';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { createUpstream } from '../upstream/upstream.ts';
import type { RetryContext } from './retry-options.ts';

const ORIGIN = 'https://api.example.com';
let mock: MockAgent;

function setup(times: number, method = 'GET') {
  mock = new MockAgent();
  mock.disableNetConnect();
  const pool = mock.get(ORIGIN);
  pool.intercept({ path: '/x', method }).reply(503, 'busy').times(times);
  pool.intercept({ path: '/x', method }).reply(200, 'ok');
}

afterEach(async () => {
  await mock.close();
});

describe('retry.shouldRetry / retry.onRetry', () => {
  it('shouldRetry narrows: false ends the call with its outcome; onRetry sees each retry', async () => {
    setup(3);
    const asked: RetryContext[] = [];
    const told: RetryContext[] = [];
    const up = createUpstream({
      origin: ORIGIN,
      transport: mock,
      retry: {
        retries: 5,
        baseDelay: 1,
        maxDelay: 1,
        budget: false,
        shouldRetry: (ctx) => {
          asked.push(ctx);
          return ctx.attempt < 2;
        },
        onRetry: (ctx) => told.push(ctx),
      },
    });
    const res = await up.request('/x');
    expect(res.statusCode).toBe(503);
    await res.body.dump();
    expect(asked.map((c) => c.attempt)).toEqual([1, 2]);
    expect(told).toEqual([expect.objectContaining({ attempt: 1, reason: 'status 503', status: 503, method: 'GET' })]);
    expect(up.stats().retry!.retries).toBe(1);
    await up.destroy();
  });

  it('can never make a non-idempotent request replayable', async () => {
    setup(1, 'POST');
    let asked = 0;
    const up = createUpstream({
      origin: ORIGIN,
      transport: mock,
      retry: { baseDelay: 1, budget: false, shouldRetry: () => (asked++, true) },
    });
    const res = await up.request('/x', { method: 'POST', body: 'charge' });
    expect(res.statusCode).toBe(503);
    await res.body.dump();
    expect(asked).toBe(0);
    expect(up.stats().retry!.retries).toBe(0);
    await up.destroy();
  });

  it('a throwing predicate counts as false; a throwing hook is ignored, each reported as a warning', async () => {
    // The warnings are expected: capture them (off the test output) and assert on them.
    const warnings: unknown[][] = [];
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation((...args: unknown[]) => {
      warnings.push(args);
    });
    onTestFinished(() => emitWarning.mockRestore());
    setup(1);
    const up = createUpstream({
      origin: ORIGIN,
      transport: mock,
      retry: {
        baseDelay: 1,
        budget: false,
        shouldRetry: () => {
          throw new Error('bug');
        },
      },
    });
    const res = await up.request('/x');
    expect(res.statusCode).toBe(503);
    await res.body.dump();
    await up.destroy();

    setup(1);
    const hooked = createUpstream({
      origin: ORIGIN,
      transport: mock,
      retry: {
        baseDelay: 1,
        budget: false,
        onRetry: () => {
          throw new Error('bug');
        },
      },
    });
    const ok = await hooked.request('/x');
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
    await hooked.destroy();
    expect(warnings).toEqual([
      ['steady: retry.shouldRetry threw: Error: bug', 'SteadyListenerWarning'],
      ['steady: retry.onRetry threw: Error: bug', 'SteadyListenerWarning'],
    ]);
  });

  it('validates the hooks at construction', () => {
    mock = new MockAgent();
    expect(() => createUpstream({ origin: ORIGIN, retry: { shouldRetry: true as never } })).toThrow(
      '`retry.shouldRetry` must be a function',
    );
    expect(() => createUpstream({ origin: ORIGIN, retry: { onRetry: 'x' as never } })).toThrow(
      '`retry.onRetry` must be a function',
    );
  });
});
