import { describe, expect, it } from 'vitest';
import { NODE_FLOOR, nodeTooOld } from './node-version.ts';

describe('nodeTooOld', () => {
  it('accepts the floor and anything newer', () => {
    for (const version of [NODE_FLOOR, '22.19.1', '22.20.0', '23.0.0', '24.21.0', 'v26.1.0'])
      expect(nodeTooOld(version), version).toBeUndefined();
  });

  it('refuses anything older, with a clear sentence', () => {
    for (const version of ['22.18.9', '22.0.0', '20.20.2', 'v18.19.0'])
      expect(nodeTooOld(version), version).toMatch(/^steady needs Node\.js 22\.19\.0 or newer; this is Node\.js \d/);
    expect(nodeTooOld('v20.20.2')).toContain('this is Node.js 20.20.2.');
  });
});
