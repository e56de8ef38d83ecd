/** Options of {@link redisFleet}, their defaults and their validation. */
import { InvalidOptionError, knownKeys } from '@steady/core';
import type { Redis } from 'ioredis';

/** Options of `redisFleet()`. */
export interface RedisFleetOptions {
  /**
   * Your ioredis client (standalone Redis). The fleet sends its scripts on it and opens one
   * more connection from it (`redis.duplicate()`) for pub/sub. You keep owning it: closing
   * the fleet never closes it.
   */
  redis: Redis;
  /**
   * The fleet's name: instances with the same name (and `prefix`) share state, per upstream name.
   * @default 'default'
   */
  name?: string;
  /**
   * How many instances must have opened their breaker on their own before the others open
   * too, 1…1000. With 1, a single instance's opening opens the fleet.
   * @default 2
   */
  quorum?: number;
  /**
   * How often each instance syncs every upstream with Redis (one pipelined round trip), ms,
   * 250…1000. Also how long a sync may take before the instance decides locally.
   * @default 500
   */
  flushInterval?: number;
  /**
   * First part of every key and channel name.
   * @default 'steady'
   */
  prefix?: string;
}

/** {@link RedisFleetOptions} after defaults. */
export interface ResolvedRedisFleetOptions {
  readonly redis: Redis;
  readonly name: string;
  readonly quorum: number;
  readonly flushInterval: number;
  readonly prefix: string;
}

/** Defaults of `redisFleet()`, each with its reason. */
export const DEFAULT_REDIS_FLEET_OPTIONS = Object.freeze({
  /** 'default': one fleet per Redis unless told otherwise. */
  name: 'default',
  /** 2: one instance with a bad network path cannot open the breaker of the whole fleet. */
  quorum: 2,
  /** 500 ms: two commands per second per upstream and instance; falls back to local within half a second. */
  flushInterval: 500,
  /** 'steady': keys read `steady:{<name>:<upstream>}:…`. */
  prefix: 'steady',
});

const KEYS = ['redis', 'name', 'quorum', 'flushInterval', 'prefix'] as const;
const METHODS = ['duplicate', 'pipeline', 'evalsha', 'eval', 'on', 'off'] as const;

/** Validate once, at `redisFleet()`; a bad option throws `InvalidOptionError` naming its path. */
export function resolveRedisFleetOptions(input: unknown): ResolvedRedisFleetOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidOptionError('redisFleet', 'an object of options with `redis`', input);
  }
  const options = input as Partial<RedisFleetOptions>;
  knownKeys('', options, KEYS);
  const redis = options.redis as unknown;
  if (
    typeof redis !== 'object' ||
    redis === null ||
    METHODS.some((m) => typeof (redis as Record<string, unknown>)[m] !== 'function')
  ) {
    throw new InvalidOptionError('redis', 'an ioredis client (new Redis(...))', redis);
  }
  const d = DEFAULT_REDIS_FLEET_OPTIONS;
  return Object.freeze({
    redis: redis as Redis,
    name: keyPart('name', options.name, d.name),
    quorum: integerIn('quorum', options.quorum, 1, 1000, d.quorum),
    flushInterval: integerIn('flushInterval', options.flushInterval, 250, 1000, d.flushInterval),
    prefix: keyPart('prefix', options.prefix, d.prefix),
  });
}

function integerIn(path: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(path, `an integer in ${min}…${max}`, value);
  }
  return value;
}

function keyPart(path: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^[A-Za-z0-9_.:-]{1,100}$/.test(value)) {
    throw new InvalidOptionError(path, 'a string of 1…100 letters, digits, _ . : or -', value);
  }
  return value;
}
