import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after.ts';

const NOW = Date.parse('2024-05-01T12:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter('3', NOW)).toBe(3000);
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120_000);
  });

  it('reads the three HTTP-date forms', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 12:00:05 GMT', NOW)).toBe(5000);
    expect(parseRetryAfter('Wednesday, 01-May-24 12:00:10 GMT', NOW)).toBe(10_000);
    expect(parseRetryAfter('Wed May  1 12:00:30 2024', NOW)).toBe(30_000);
  });

  it('turns a past date into 0', () => {
    expect(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', NOW)).toBe(0);
  });

  it('defaults `now` to Date.now()', () => {
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    const delay = parseRetryAfter(inTenSeconds);
    expect(delay).toBeGreaterThan(8000);
    expect(delay).toBeLessThanOrEqual(10_000);
  });

  it.each([
    undefined,
    '',
    ' ',
    '-1',
    '1.5',
    '1e3',
    '0x10',
    'soon',
    'tomorrow 12:00',
    '2024-05-01T12:00:05Z',
    'Wed, 01 May 2024',
  ])('rejects %j', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});
