import { describe, expect, it, vi } from 'vitest';
import { CircuitOpenError } from '../errors/errors.ts';
import { EventHub, type UpstreamEvents } from '../events/events.ts';
import { resolveFallbackOptions, withFallback } from './fallback.ts';
import { createTestContext } from './test-context.ts';

describe('fallback', () => {
  it('answers for a rejection and emits `fallback`', async () => {
    const events = new EventHub();
    const seen: Array<UpstreamEvents['fallback']> = [];
    events.on('fallback', (e) => seen.push(e));
    const ctx = createTestContext({ events });
    const error = new CircuitOpenError(100);
    const handler = vi.fn(async () => 'cached');
    const value = await withFallback(handler).execute(() => Promise.reject(error), ctx);
    expect(value).toBe('cached');
    expect(handler).toHaveBeenCalledWith(error, ctx);
    expect(seen).toEqual([
      { upstream: 'test', method: 'GET', url: 'http://upstream.test/items', code: 'STEADY_CIRCUIT_OPEN' },
    ]);
  });

  it('leaves successes alone and lets a throwing fallback propagate', async () => {
    const ctx = createTestContext();
    const handler = vi.fn(() => 'unused');
    await expect(withFallback(handler).execute(() => Promise.resolve(1), ctx)).resolves.toBe(1);
    expect(handler).not.toHaveBeenCalled();
    const fallbackError = new Error('no cache either');
    const policy = withFallback(() => {
      throw fallbackError;
    });
    await expect(policy.execute(() => Promise.reject(new Error('x')), ctx)).rejects.toBe(fallbackError);
  });

  it('validates the option', () => {
    expect(resolveFallbackOptions(undefined, 'fallback')).toBe(false);
    expect(resolveFallbackOptions(false, 'fallback')).toBe(false);
    const f = () => 1;
    expect(resolveFallbackOptions(f, 'fallback')).toBe(f);
    expect(() => resolveFallbackOptions('x', 'fallback')).toThrow('`fallback` must be a function');
  });
});
