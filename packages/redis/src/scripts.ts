/**
 * The Lua scripts a fleet runs, and the keys they touch. Every key of one upstream shares a
 * hash tag (`{fleet:upstream}`) and expires; times are the Redis server's (`TIME`), so the
 * instances' clocks never need to agree.
 */
import { createHash } from 'node:crypto';

/** Keys of one upstream in one fleet. */
export interface UpstreamKeys {
  /** ZSET instance id → last sync (server ms): live instances. */
  readonly instances: string;
  /** ZSET instance id → end of its own open period (server ms): the breaker votes. */
  readonly votes: string;
  /** STRING: the fleet is isolated (refreshed by every isolated instance). */
  readonly isolated: string;
  /** STRING counter: bumped by a successful probe and by a reset (instances close when it moves). */
  readonly seq: string;
  /** STRING counter with expiry: half-open probe tokens handed out in the current round. */
  readonly probes: string;
  /** Prefix of the budget's HASH buckets (`<prefix>:<bucket number>`, fields c and r). */
  readonly budget: string;
}

/** The keys of `upstream` in the fleet `fleet`, under `prefix`. */
export function upstreamKeys(prefix: string, fleet: string, upstream: string): UpstreamKeys {
  const base = `${prefix}:{${fleet}:${upstream}}`;
  return {
    instances: `${base}:instances`,
    votes: `${base}:votes`,
    isolated: `${base}:isolated`,
    seq: `${base}:seq`,
    probes: `${base}:probes`,
    budget: `${base}:budget`,
  };
}

/** The pub/sub channel of a fleet: `<upstream>\n<instance id>` on every state change. */
export function eventsChannel(prefix: string, fleet: string): string {
  return `${prefix}:{${fleet}}:events`;
}

/**
 * One instance's periodic sync of one upstream, atomically.
 *
 * KEYS: instances, votes, isolated, seq, probes
 * ARGV: 1 instance id, 2 instance TTL ms, 3 calls delta, 4 retries delta, 5 budget prefix,
 *       6 budget window ms, 7 budget buckets, 8 own vote: remaining open ms (0: none),
 *       9 probe failed (1/0), 10 half-open probes, 11 locally isolated (1/0),
 *       12 seq last seen (-1: unknown), 13 event: '' | 'closed' | 'reset',
 *       14 channel ('' : do not publish), 15 message, 16 longest open period ms,
 *       17 budget ratio ('' : no budget), 18 budget reserve, 19 lease granted at the last sync
 * Returns: { server now ms, live instances, {id, until, ...} votes, isolated 0/1, seq,
 *            fleet calls, fleet retries, lease granted now }
 *
 * The budget leases: a sync counts this instance's unused lease back, then grants it a share
 * (`1 / instances`, rounded up) of what the fleet has left, counted as spent until the next
 * sync. Leases are handed out one script at a time, so together they never exceed the budget.
 */
export const SYNC_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = ARGV[1]
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, id)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
local instances = redis.call('ZCARD', KEYS[1])

local current = tonumber(redis.call('GET', KEYS[4]) or '0')
local inSeq = ARGV[12] == '-1' or tonumber(ARGV[12]) == current
local event = ARGV[13]
if event == 'closed' or event == 'reset' then
  redis.call('INCR', KEYS[4])
  redis.call('PEXPIRE', KEYS[4], 86400000)
  redis.call('DEL', KEYS[2], KEYS[5])
  if event == 'reset' then redis.call('DEL', KEYS[3]) end
end

local vote = tonumber(ARGV[8])
if vote > 0 and inSeq then
  redis.call('ZADD', KEYS[2], now + vote, id)
  local longest = tonumber(ARGV[16])
  if redis.call('PTTL', KEYS[2]) < longest then redis.call('PEXPIRE', KEYS[2], longest) end
  if ARGV[9] == '1' then
    redis.call('SET', KEYS[5], ARGV[10], 'PX', vote)
  end
else
  redis.call('ZREM', KEYS[2], id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local votes = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')

if ARGV[11] == '1' and inSeq then
  redis.call('SET', KEYS[3], id, 'PX', math.max(60000, ttl))
end
local isolated = redis.call('EXISTS', KEYS[3])
local seq = tonumber(redis.call('GET', KEYS[4]) or '0')

local fleetCalls, fleetRetries, grant = 0, 0, 0
if ARGV[17] ~= '' then
  local window = tonumber(ARGV[6])
  local buckets = tonumber(ARGV[7])
  local width = window / buckets
  local bucket = math.floor(now / width)
  local key = ARGV[5] .. ':' .. bucket
  local calls = tonumber(ARGV[3])
  local retries = tonumber(ARGV[4]) - tonumber(ARGV[19])
  if calls ~= 0 then redis.call('HINCRBY', key, 'c', calls) end
  if retries ~= 0 then redis.call('HINCRBY', key, 'r', retries) end
  for b = bucket - buckets + 1, bucket do
    local v = redis.call('HMGET', ARGV[5] .. ':' .. b, 'c', 'r')
    fleetCalls = fleetCalls + tonumber(v[1] or '0')
    fleetRetries = fleetRetries + tonumber(v[2] or '0')
  end
  local left = tonumber(ARGV[17]) * fleetCalls + tonumber(ARGV[18]) - fleetRetries
  if left >= 1 then
    grant = math.ceil(left / math.max(1, instances))
    if grant > left then grant = math.floor(left) end
    redis.call('HINCRBY', key, 'r', grant)
  end
  if calls ~= 0 or retries ~= 0 or grant > 0 then redis.call('PEXPIRE', key, math.ceil(window + width)) end
end

if ARGV[14] ~= '' then redis.call('PUBLISH', ARGV[14], ARGV[15]) end
return { now, instances, votes, isolated, seq, fleetCalls, fleetRetries, grant }
`;

/**
 * Take one half-open probe token of the current round. A round starts with the first token
 * asked for and lasts `ttl` ms (the asker's open period); it hands out at most `max` tokens.
 *
 * KEYS: probes. ARGV: 1 max, 2 round length ms. Returns 1 (token granted) or 0.
 */
export const PROBE_SCRIPT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n <= tonumber(ARGV[1]) then return 1 end
return 0
`;

/**
 * Leave: forget this instance's liveness and vote.
 * KEYS: instances, votes. ARGV: 1 instance id.
 */
export const LEAVE_SCRIPT = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;

/** A script and its SHA-1, for EVALSHA with a fallback to EVAL after a Redis restart. */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

export const SYNC = script(SYNC_SCRIPT);
export const PROBE = script(PROBE_SCRIPT);
export const LEAVE = script(LEAVE_SCRIPT);
