import { describe, expect, it } from 'vitest';
import { mergeOptions, resolveAgentOptions, upstreamOptionsFor } from './agent-options.ts';
import { checkedUrl, originOption, targetUrl } from './origin.ts';

describe('origin normalisation', () => {
  it('folds case, default ports and IDN, and refuses anything that is not an origin', () => {
    expect(originOption('o', 'HTTPS://API.Example.COM:443')).toBe('https://api.example.com');
    expect(originOption('o', 'http://a.example:80/')).toBe('http://a.example');
    expect(originOption('o', 'http://a.example:8080')).toBe('http://a.example:8080');
    expect(originOption('o', 'https://münchen.example')).toBe('https://xn--mnchen-3ya.example');
    expect(() => originOption('o', 'https://a.example/v1')).toThrow('`o` must be');
    expect(() => originOption('o', 'https://u:p@a.example')).toThrow(/\*\*\*@/);
    expect(() => originOption('o', 'ws://a.example')).toThrow('`o` must be');
    expect(() => originOption('o', 42)).toThrow('`o` must be');
  });

  it('targetUrl refuses relative URLs, other schemes and credentials with STEADY_INVALID_REQUEST', () => {
    expect(targetUrl('https://a.example/x?y=1', 'GET').href).toBe('https://a.example/x?y=1');
    expect(() => targetUrl('/x', 'GET')).toThrow(/not absolute/);
    expect(() => targetUrl('mailto:a@b.c', 'GET')).toThrow(/unsupported URL scheme/);
    expect(() => checkedUrl(new URL('https://u:secret@a.example/'), 'GET')).toThrow(/credentials/);
    try {
      targetUrl('https://u:secret@a.example/?token=t', 'GET');
    } catch (error) {
      expect((error as Error).message).not.toContain('secret');
      expect((error as { code: string }).code).toBe('STEADY_INVALID_REQUEST');
    }
  });
});

describe('agent options', () => {
  it('merges plain objects per key; false, functions, arrays and class instances replace', () => {
    const fn = () => true;
    const merged = mergeOptions(
      { retry: { retries: 3, statuses: [503] }, breaker: { consecutiveFailures: 2 }, pool: { connections: 4 } },
      { retry: { retries: 0, statuses: [500], shouldRetry: fn }, breaker: false, pool: { idleTimeout: 1_000 } },
    );
    expect(merged).toEqual({
      retry: { retries: 0, statuses: [500], shouldRetry: fn },
      breaker: false,
      pool: { connections: 4, idleTimeout: 1_000 },
    });
  });

  it('a fleet replaces as a whole, even a plain object (never merged key by key)', () => {
    const shared = { join: () => undefined, region: 'eu' };
    const own = { join: () => undefined };
    const merged = mergeOptions({ fleet: shared, retry: { retries: 1 } }, { fleet: own });
    expect(merged.fleet).toBe(own);
    expect(merged.retry).toEqual({ retries: 1 });
  });

  it('keys origins by their normalised form and names upstreams after the origin', () => {
    const resolved = resolveAgentOptions({
      defaults: { timeouts: { total: 900 } },
      origins: { 'HTTPS://Pay.Example:443': { name: 'payments' } },
    });
    expect([...resolved.origins.keys()]).toEqual(['https://pay.example']);
    expect(upstreamOptionsFor(resolved, 'https://pay.example')).toMatchObject({
      name: 'payments',
      origin: 'https://pay.example',
      timeouts: { total: 900 },
    });
    expect(upstreamOptionsFor(resolved, 'https://b.example')).toMatchObject({ name: 'https://b.example' });
    expect(resolved.maxOrigins).toBe(100);
    expect(resolved.originIdleTimeout).toBe(60_000);
  });

  it('allowOrigins: exact origins (normalised), RegExps without state, or a predicate', () => {
    const allow = resolveAgentOptions({ allowOrigins: ['https://A.example:443', /\.internal$/g] }).allow!;
    expect(allow('https://a.example')).toBe(true);
    expect(allow('http://a.example')).toBe(false);
    expect(allow('https://pay.internal')).toBe(true);
    expect(allow('https://pay.internal')).toBe(true); // no lastIndex carried over from the `g` flag
    expect(allow('https://pay.internal.evil.example')).toBe(false);
    const predicate = resolveAgentOptions({ allowOrigins: (o: string) => o.endsWith('.example') }).allow!;
    expect(predicate('https://x.example')).toBe(true);
    expect(predicate('https://x.other')).toBe(false);
  });
});
