import { describe, expect, it } from 'vitest';
import { parseDemoArgs } from './args.ts';

describe('parseDemoArgs', () => {
  it('has defaults for a terminal and shorter acts with --quick', () => {
    expect(parseDemoArgs([], true)).toEqual({
      json: false,
      actMs: 6000,
      lbIdleMs: 400,
      burst: 2000,
      poolSize: 10,
      tty: true,
    });
    expect(parseDemoArgs(['--quick'], false)).toMatchObject({ actMs: 1500, lbIdleMs: 200, tty: false });
  });

  it('never draws in place with --json or --no-tty', () => {
    expect(parseDemoArgs(['--json'], true)).toMatchObject({ json: true, tty: false });
    expect(parseDemoArgs(['--no-tty'], true)).toMatchObject({ tty: false });
  });

  it('names the flag, the range and the value of a bad number', () => {
    expect(() => parseDemoArgs(['--burst', '5'])).toThrow('--burst must be an integer in 10…10000 (received 5)');
    expect(() => parseDemoArgs(['--bogus'])).toThrow(/bogus/);
    expect(parseDemoArgs(['--help'])).toBe('help');
  });
});
