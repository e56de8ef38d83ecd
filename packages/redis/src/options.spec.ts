import { isInvalidOptionError } from '@steady/core';
import { describe, expect, it } from 'vitest';
import { FakeRedis } from '../test/fake-redis.ts';
import { DEFAULT_REDIS_FLEET_OPTIONS, resolveRedisFleetOptions } from './options.ts';

const redis = new FakeRedis().asClient();

function rejection(input: unknown): { option: string; message: string } {
  try {
    resolveRedisFleetOptions(input);
  } catch (error) {
    expect(isInvalidOptionError(error)).toBe(true);
    return error as { option: string; message: string };
  }
  throw new Error('accepted');
}

describe('redisFleet options', () => {
  it('takes defaults', () => {
    expect(resolveRedisFleetOptions({ redis })).toEqual({ redis, ...DEFAULT_REDIS_FLEET_OPTIONS });
    expect(DEFAULT_REDIS_FLEET_OPTIONS).toEqual({ name: 'default', quorum: 2, flushInterval: 500, prefix: 'steady' });
  });

  it.each([
    [undefined, 'redisFleet'],
    [{}, 'redis'],
    [{ redis: {} }, 'redis'],
    [{ redis: 'redis://localhost' }, 'redis'],
    [{ redis, quorum: 0 }, 'quorum'],
    [{ redis, quorum: 1.5 }, 'quorum'],
    [{ redis, flushInterval: 100 }, 'flushInterval'],
    [{ redis, flushInterval: 5000 }, 'flushInterval'],
    [{ redis, name: '' }, 'name'],
    [{ redis, name: 'a b' }, 'name'],
    [{ redis, prefix: 'x{y}' }, 'prefix'],
    [{ redis, quorom: 2 }, 'quorom'],
  ])('rejects %j naming `%s`', (input, option) => {
    expect(rejection(input).option).toBe(option);
  });

  it('says the range and the value', () => {
    expect(rejection({ redis, flushInterval: 100 }).message).toBe(
      '`flushInterval` must be an integer in 250…1000 (received 100)',
    );
  });
});
