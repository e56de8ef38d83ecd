import { createUpstream, isInvalidOptionError, type Upstream } from '@steady/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeRedis, syncReply } from '../test/fake-redis.ts';
import { redisFleet, type RedisFleet } from './redis-fleet.ts';
import { SYNC } from './scripts.ts';

const FLUSH = 500;
let redis: FakeRedis;
let fleet: RedisFleet;
let upstreams: Upstream[];

function join(name = 'payments', options = {}): Upstream {
  const upstream = createUpstream({ origin: 'http://127.0.0.1:9', name, fleet, ...options });
  upstreams.push(upstream);
  return upstream;
}

/** Let setImmediate and resolved promises run. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  redis = new FakeRedis();
  fleet = redisFleet({ redis: redis.asClient(), flushInterval: FLUSH, name: 'spec' });
  upstreams = [];
});
afterEach(async () => {
  await Promise.all(upstreams.map((u) => u.destroy()));
  vi.useRealTimers();
});

describe('redisFleet: the sync loop', () => {
  it('syncs at once on join, then once per flush period: one command per upstream per round trip', async () => {
    join('a');
    join('b');
    await settle();
    expect(redis.pipelines).toHaveLength(1);
    // Redis does not know the script yet: EVAL loads it; later syncs use EVALSHA.
    expect(redis.pipelines[0]!.commands.map((c) => c.command)).toEqual(['eval', 'eval']);
    redis.pipelines[0]!.answer([
      [null, syncReply({ instances: 3 })],
      [null, syncReply({ instances: 3 })],
    ]);
    await settle();
    expect(upstreams[0]!.stats().fleet).toMatchObject({ connected: true, instances: 3, lastSyncAgeMs: 0 });
    await vi.advanceTimersByTimeAsync(FLUSH);
    expect(redis.pipelines).toHaveLength(2);
    expect(redis.pipelines[1]!.commands.map((c) => c.command)).toEqual(['evalsha', 'evalsha']);
    expect(redis.pipelines[1]!.commands[0]!.args[0]).toBe(SYNC.sha);
    expect(redis.subscriber.channels).toEqual(['steady:{spec}:events']);
  });

  it('a Redis that does not answer: local decisions one flush period after the sync was sent; never two syncs in flight; a late answer reconnects', async () => {
    const upstream = join();
    await settle();
    redis.pipelines[0]!.answer([[null, syncReply({ instances: 2, lease: 5 })]]);
    await settle();
    expect(upstream.stats().retry?.budget?.fleet).toMatchObject({ granted: 5 });

    await vi.advanceTimersByTimeAsync(FLUSH); // sync #2 sent, no answer
    expect(redis.pipelines).toHaveLength(2);
    expect(upstream.stats().fleet?.connected).toBe(true);
    await vi.advanceTimersByTimeAsync(FLUSH - 1);
    expect(upstream.stats().fleet?.connected).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(upstream.stats().fleet).toMatchObject({ connected: false, localForMs: 0 });
    expect(upstream.stats().retry?.budget?.fleet).toBeNull(); // the budget decides locally
    await vi.advanceTimersByTimeAsync(5 * FLUSH);
    expect(redis.pipelines).toHaveLength(2); // still waiting on the one in flight

    redis.pipelines[1]!.answer([[null, syncReply({ instances: 2, lease: 3 })]]);
    await settle();
    expect(upstream.stats().fleet?.connected).toBe(true);
    expect(upstream.stats().retry?.budget?.fleet).toMatchObject({ granted: 3 });
    await vi.advanceTimersByTimeAsync(FLUSH);
    expect(redis.pipelines).toHaveLength(3);
  });

  it('a failed sync carries its counts to the next one; NOSCRIPT (a restarted Redis) reloads the script at once', async () => {
    const upstream = join();
    await settle();
    redis.pipelines[0]!.answer([[null, syncReply()]]);
    await settle();
    await upstream.execute(async () => 'done'); // one call: the budget counts it
    await vi.advanceTimersByTimeAsync(FLUSH);
    // [script, 5, ...5 keys, id, ttl, calls delta, ...]
    expect(redis.pipelines[1]!.commands[0]!.args[9]).toBe(1);
    redis.pipelines[1]!.fail(new Error('Connection is closed.'));
    await settle();
    expect(upstream.stats().fleet?.connected).toBe(false);
    await vi.advanceTimersByTimeAsync(FLUSH);
    expect(redis.pipelines[2]!.commands[0]!.args[9]).toBe(1); // carried, not lost
    redis.pipelines[2]!.answer([[new Error('NOSCRIPT No matching script.'), null]]);
    await settle();
    expect(redis.pipelines).toHaveLength(4);
    expect(redis.pipelines[3]!.commands[0]!.command).toBe('eval');
  });

  it('the client closing its connection makes the fleet local at once', async () => {
    const upstream = join();
    await settle();
    redis.pipelines[0]!.answer([[null, syncReply()]]);
    await settle();
    redis.emit('close');
    expect(upstream.stats().fleet?.connected).toBe(false);
  });

  it('another instance’s announcement triggers a sync; its own does not', async () => {
    join();
    await settle();
    redis.pipelines[0]!.answer([[null, syncReply()]]);
    await settle();
    redis.subscriber.emit('message', 'steady:{spec}:events', `payments\n${fleet.instanceId}`);
    await settle();
    expect(redis.pipelines).toHaveLength(1);
    redis.subscriber.emit('message', 'steady:{spec}:events', 'payments\nanother-instance');
    await settle();
    expect(redis.pipelines).toHaveLength(2);
  });

  it('the last upstream to close stops the timer, the pub/sub connection and the listener (the client stays yours)', async () => {
    const upstream = join();
    await settle();
    redis.pipelines[0]!.answer([[null, syncReply()]]);
    await settle();
    expect(redis.listenerCount('close')).toBe(1);
    await upstream.close();
    expect(redis.calls.map((c) => c.command)).toEqual(['eval']); // LEAVE
    expect(redis.subscriber.disconnected).toBe(true);
    expect(redis.listenerCount('close')).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * FLUSH);
    expect(redis.pipelines).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('two open upstreams of one name cannot share a fleet', () => {
    join('x');
    let error: unknown;
    try {
      join('x');
    } catch (e) {
      error = e;
    }
    expect(isInvalidOptionError(error)).toBe(true);
    expect((error as { option: string }).option).toBe('fleet');
  });
});
