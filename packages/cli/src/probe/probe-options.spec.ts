import { isInvalidOptionError } from '@steady/core';
import { describe, expect, it } from 'vitest';
import { probe } from './probe.ts';
import { resolveProbeOptions, type ProbeOptions } from './probe-options.ts';

const origin = 'http://127.0.0.1:9';

function rejection(options: unknown): { option: unknown; message: string } {
  try {
    resolveProbeOptions(options as ProbeOptions);
  } catch (error) {
    expect(isInvalidOptionError(error)).toBe(true);
    return { option: (error as { option?: unknown }).option, message: (error as Error).message };
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe('resolveProbeOptions', () => {
  it('rejects a missing or non-object options argument with STEADY_INVALID_OPTION, not a TypeError', async () => {
    for (const options of [undefined, null, 'http://127.0.0.1:9', [origin]]) {
      expect(rejection(options).message).toContain('`options` must be an object of options with `origin`');
    }
    // Through the public function too: a rejected promise, no socket opened.
    await expect(probe(undefined as unknown as ProbeOptions)).rejects.toMatchObject({ code: 'STEADY_INVALID_OPTION' });
  });

  it('rejects an unknown option (a typo) naming it and the known ones', () => {
    const { option, message } = rejection({ origin, ladr: [1_000] });
    expect(option).toBe('ladr');
    expect(message).toBe(
      '`ladr` must be a known option (one of origin, path, method, ladder, maxIdle, maxRequests, samples, connectTimeout, responseTimeout, proxy, ca) (received [1000])',
    );
  });

  it('rejects a ca that is not PEM text or a Buffer, or an array of them', () => {
    for (const ca of [5, '', Buffer.alloc(0), [], ['ok', 7], { pem: 'x' }]) {
      const { option, message } = rejection({ origin, ca });
      expect(option).toBe('ca');
      expect(message).toContain('`ca` must be a PEM string or Buffer, or a non-empty array of them');
    }
    const pem = '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n';
    for (const ca of [pem, Buffer.from(pem), [pem, Buffer.from(pem)]]) {
      expect(resolveProbeOptions({ origin, ca }).ca).toBe(ca);
    }
  });

  it('accepts every documented option, undefined included', () => {
    const resolved = resolveProbeOptions({
      origin,
      path: '/health',
      method: 'GET',
      ladder: [200, 100],
      maxIdle: 1_000,
      maxRequests: 20,
      samples: 1,
      connectTimeout: 1_000,
      responseTimeout: 1_000,
      proxy: undefined,
      ca: undefined,
    });
    expect(resolved.ladder).toEqual([100, 200]);
    expect(resolved.ca).toBeUndefined();
  });
});
