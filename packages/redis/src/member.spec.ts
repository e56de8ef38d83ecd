import type { BreakerState, FleetBreakerControl, FleetBudgetControl, FleetBudgetView } from '@steady/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { syncReply } from '../test/fake-redis.ts';
import { RedisFleetMember, type FleetLink } from './member.ts';

const NOW = 1_000_000;

function setup(quorum = 2) {
  const told: string[] = [];
  let state: BreakerState = 'closed';
  let openUntil = 0;
  const breaker: FleetBreakerControl = {
    get state() {
      if (state === 'open' && Date.now() >= openUntil) state = 'half-open';
      return state;
    },
    openFor: 1000,
    halfOpenProbes: 1,
    open: (until, reason) => {
      told.push(`open ${until - Date.now()} ${reason}`);
      state = 'open';
      openUntil = until;
    },
    close: (reason) => {
      told.push(`close ${reason}`);
      state = 'closed';
    },
    isolate: (reason) => {
      told.push(`isolate ${reason}`);
      state = 'isolated';
    },
  };
  const views: Array<FleetBudgetView | null> = [];
  const budget: FleetBudgetControl = {
    ratio: 0.2,
    window: 10_000,
    reserve: 50,
    take: () => ({ calls: 7, retries: 2 }),
    share: (view) => views.push(view),
  };
  const tokens: boolean[] = [];
  const link: FleetLink = {
    instanceId: 'me',
    quorum,
    flushInterval: 500,
    prefix: 'steady',
    name: 'spec',
    connected: true,
    localSince: null,
    syncSoon: () => told.push('syncSoon'),
    takeProbe: () => Promise.resolve(tokens.shift() ?? false),
    leave: () => told.push('leave'),
  };
  const member = new RedisFleetMember(link, { upstream: 'payments', breaker, budget });
  const setState = (s: BreakerState, until = 0) => {
    state = s;
    openUntil = until;
  };
  return { member, told, views, tokens, setState, link };
}

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RedisFleetMember', () => {
  it('names every key of an upstream under one hash tag', () => {
    const { member } = setup();
    expect(member.keys).toMatchObject({
      votes: 'steady:{spec:payments}:votes',
      budget: 'steady:{spec:payments}:budget',
    });
  });

  it('sends its own opening as a vote with the time left, and the counts the budget took', () => {
    const { member, told, setState } = setup();
    member.opened(1000, false);
    setState('open', NOW + 1000);
    expect(told).toEqual(['syncSoon']);
    vi.advanceTimersByTime(300);
    const request = member.prepare('chan');
    const args = request.args;
    expect(args[2]).toBe(7); // calls
    expect(args[3]).toBe(2); // retries
    expect(args[7]).toBe(700); // own vote: ms left
    expect(args[8]).toBe(0); // not a failed probe
    expect(args[13]).toBe('chan'); // announce it
    expect(request.keys).toHaveLength(5);
  });

  it('opens when a quorum of instances voted, until the quorum would end (server clock), and not below quorum', () => {
    const { member, told } = setup(2);
    const one = member.prepare('');
    member.apply(syncReply({ now: 5_000, votes: [['a', 6_000]] }), one);
    expect(told.filter((t) => t.startsWith('open'))).toEqual([]);
    member.apply(
      syncReply({
        now: 5_000,
        votes: [
          ['a', 6_000],
          ['b', 7_500],
          ['c', 5_400],
        ],
      }),
      one,
    );
    // Three votes; the second-latest ends in 1000 ms: then fewer than 2 remain.
    expect(told.filter((t) => t.startsWith('open'))).toEqual(['open 1000 fleet: 3 instances open (quorum 2)']);
    expect(member.stats()).toMatchObject({ openVotes: 3, quorum: 2 });
  });

  it('closes when the fleet’s sequence moves (a probe succeeded elsewhere, or a reset), and isolates when the fleet is isolated', () => {
    const { member, told, setState } = setup();
    const request = member.prepare('');
    member.apply(syncReply({ seq: 4 }), request); // first sight: no action
    setState('open', NOW + 10_000);
    member.apply(syncReply({ seq: 5 }), request);
    member.apply(syncReply({ seq: 5, isolated: true }), request);
    expect(told).toEqual(['close fleet: closed by another instance', 'isolate fleet: isolated by another instance']);
  });

  it('hands the budget the fleet totals and its lease, and null when out of reach', () => {
    const { member, views } = setup();
    member.apply(syncReply({ instances: 4, calls: 100, retries: 20, lease: 6 }), member.prepare(''));
    member.disconnected();
    expect(views).toEqual([{ calls: 100, retries: 20, instances: 4, granted: 6 }, null]);
  });

  it('half-open: probes only with a token from the fleet, asked at most twice per flush period', async () => {
    const { member, tokens, setState } = setup();
    member.apply(syncReply(), member.prepare(''));
    setState('half-open');
    tokens.push(false, true);
    expect(member.tryProbe()).toBe(false); // asks
    await vi.advanceTimersByTimeAsync(0);
    expect(member.tryProbe()).toBe(false); // too soon to ask again
    await vi.advanceTimersByTimeAsync(250);
    expect(member.tryProbe()).toBe(false); // asks again: granted
    await vi.advanceTimersByTimeAsync(0);
    expect(member.tryProbe()).toBe(true);
    expect(member.tryProbe()).toBe(false);
    expect(member.stats()).toMatchObject({ probesGranted: 1, probeTokens: 0 });
  });

  it('asks for its probe token as its open period ends, so the first half-open call can probe', async () => {
    const { member, tokens, setState } = setup();
    member.apply(syncReply(), member.prepare(''));
    setState('open', NOW + 1000);
    tokens.push(true);
    member.opened(1000, false);
    await vi.advanceTimersByTimeAsync(1001);
    expect(member.tryProbe()).toBe(true);
  });

  it('not connected: local rules (every probe allowed by the fleet)', () => {
    const { member, setState } = setup();
    setState('half-open');
    expect(member.tryProbe()).toBe(true);
  });

  it('a failed sync keeps its counts for the next one', () => {
    const { member } = setup();
    member.failed(member.prepare(''));
    const next = member.prepare('');
    expect(next.args[2]).toBe(14);
    expect(next.args[3]).toBe(4);
  });

  it('leaves once', () => {
    const { member, told } = setup();
    member.leave();
    member.leave();
    expect(told).toEqual(['leave']);
  });
});
