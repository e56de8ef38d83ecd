import { describe, expect, it } from 'vitest';
import { assertSupportedNode } from './node-check.ts';

describe('assertSupportedNode', () => {
  it.each(['22.19.0', '22.23.3', '23.0.0', '24.21.0', '30.1.2'])('accepts Node %s', (version) => {
    expect(() => assertSupportedNode(version)).not.toThrow();
  });

  it.each(['20.20.2', '20.19.0', '22.18.9', '22.0.0', '18.20.8'])(
    'refuses Node %s, naming both versions',
    (version) => {
      expect(() => assertSupportedNode(version)).toThrow(
        expect.objectContaining({
          message: `Steady needs Node ≥ 22.19 (this is ${version})`,
          code: 'STEADY_UNSUPPORTED_NODE',
        }),
      );
    },
  );
});
