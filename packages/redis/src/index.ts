// Public API of @steady/redis. Explicit named exports only.
export { redisFleet, RedisFleet } from './redis-fleet.ts';
export { DEFAULT_REDIS_FLEET_OPTIONS, type RedisFleetOptions, type ResolvedRedisFleetOptions } from './options.ts';
