import { describe, expect, it } from 'vitest';
import { REDIS_MISSING, startRedis } from './redis-server.ts';

describe('the test redis-server', () => {
  it('fails (never skips) with the install command when the binary is missing', async () => {
    await expect(startRedis('redis-server-that-is-not-installed')).rejects.toThrow(REDIS_MISSING);
    expect(REDIS_MISSING).toBe('redis-server not found: apt-get install redis-server');
  });
});
