import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NetworkError, isCircuitOpenError, isInvalidOptionError } from '../errors/errors.ts';
import { EventHub, type UpstreamEvents } from '../events/events.ts';
import { createUpstream } from '../upstream/upstream.ts';
import {
  CircuitBreakerPolicy,
  resolveCircuitBreakerOptions,
  type ResolvedCircuitBreakerOptions,
} from './circuit-breaker.ts';
import type { Fleet, FleetMember, FleetMembership } from './fleet.ts';
import { RetryBudget } from './retry-budget.ts';
import { createTestContext, fakeResponse } from './test-context.ts';

/** A membership that records what the breaker tells it; probe tokens and connection set by the test. */
function fakeMembership() {
  const told: string[] = [];
  const state = { connected: true, tokens: 0 };
  const membership: FleetMembership = {
    opened: (openFor, probeFailed) => told.push(`opened ${openFor}${probeFailed ? ' after probe' : ''}`),
    closed: () => told.push('closed'),
    isolated: () => told.push('isolated'),
    reset: () => told.push('reset'),
    tryProbe: () => {
      told.push('tryProbe');
      if (!state.connected) return true;
      if (state.tokens === 0) return false;
      state.tokens--;
      return true;
    },
    get connected() {
      return state.connected;
    },
    stats: () => ({ connected: state.connected, instances: 1, lastSyncAgeMs: 0 }),
    leave: () => told.push('leave'),
  };
  return { told, state, membership };
}

function breakerWithFleet(options = {}) {
  const events = new EventHub();
  const changes: Array<UpstreamEvents['breakerStateChange']> = [];
  events.on('breakerStateChange', (e) => changes.push(e));
  const resolved = resolveCircuitBreakerOptions(
    { consecutiveFailures: 2, openFor: 1000, halfOpenProbes: 2, ...options },
    'breaker',
  ) as ResolvedCircuitBreakerOptions;
  const breaker = new CircuitBreakerPolicy(resolved, { upstream: 'test', events });
  const fleet = fakeMembership();
  breaker.attachFleet(fleet.membership);
  const control = breaker.fleetControl();
  const call = (outcome: unknown) =>
    breaker
      .execute(
        () => (outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome)),
        createTestContext({ events }),
      )
      .then(
        (value) => ({ value, error: undefined as unknown }),
        (error: unknown) => ({ value: undefined, error }),
      );
  return { breaker, control, changes, call, ...fleet };
}

const fail = () => new NetworkError('unknown');
const ok = () => fakeResponse(200);

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('circuit breaker with a fleet', () => {
  it('publishes an opening of its own, and a failed probe as such', async () => {
    const { call, told, state } = breakerWithFleet({ halfOpenProbes: 1 });
    await call(fail());
    await call(fail());
    expect(told).toEqual(['opened 1000']);
    vi.advanceTimersByTime(1000);
    state.connected = false; // out of reach: local rules admit the probe
    await call(fail());
    expect(told.slice(1)).toEqual(['tryProbe', 'opened 2000 after probe']);
  });

  it('half-open admits a probe only with a fleet token; every granted probe succeeding closes it and tells the fleet', async () => {
    const { breaker, call, told, state } = breakerWithFleet();
    await call(fail());
    await call(fail());
    vi.advanceTimersByTime(1000);
    const refused = await call(ok());
    expect(isCircuitOpenError(refused.error)).toBe(true);
    expect(breaker.state).toBe('half-open');
    state.tokens = 1;
    expect((await call(ok())).value).toEqual(ok());
    // halfOpenProbes is 2, but with a connected fleet the one probe this instance was granted decides.
    expect(breaker.state).toBe('closed');
    expect(told.filter((t) => t !== 'tryProbe')).toEqual(['opened 1000', 'closed']);
  });

  it('the fleet opens, closes and isolates it without being told back', async () => {
    const { breaker, control, changes, told, call } = breakerWithFleet();
    control.open(Date.now() + 5000, 'fleet: 2 instances open (quorum 2)');
    expect(breaker.state).toBe('open');
    expect(breaker.stats().retryAfter).toBe(5000);
    expect(isCircuitOpenError((await call(ok())).error)).toBe(true);
    control.open(Date.now() + 9000, 'again'); // already open: ignored
    expect(breaker.stats().retryAfter).toBe(5000);
    control.close('fleet: closed by another instance');
    expect(breaker.state).toBe('closed');
    control.isolate('fleet: isolated by another instance');
    expect(breaker.state).toBe('isolated');
    control.open(Date.now() + 1000, 'ignored while isolated');
    expect(breaker.state).toBe('isolated');
    expect(told).toEqual([]);
    expect(changes.map((c) => c.reason)).toEqual([
      'fleet: 2 instances open (quorum 2)',
      'fleet: closed by another instance',
      'fleet: isolated by another instance',
    ]);
    expect(control.halfOpenProbes).toBe(2);
    expect(control.openFor).toBe(1000);
  });

  it('isolate() and reset() by hand go to the fleet', () => {
    const { breaker, told } = breakerWithFleet();
    breaker.isolate();
    breaker.reset();
    expect(told).toEqual(['isolated', 'reset']);
  });

  it('a fleet opening that already ended changes nothing', () => {
    const { breaker, control } = breakerWithFleet();
    control.open(Date.now(), 'stale');
    expect(breaker.state).toBe('closed');
  });
});

describe('retry budget with a fleet', () => {
  const options = { ratio: 0.5, window: 10_000, minPerSecond: 1 }; // reserve 10

  it('spends the lease the fleet granted plus ratio × its own new calls; out of reach, its local window', () => {
    const budget = new RetryBudget(options);
    const control = budget.fleetControl();
    expect(control.reserve).toBe(10);
    control.share({ calls: 100, retries: 60, instances: 4, granted: 2 });
    expect(budget.stats().available).toBe(2);
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    budget.deposit();
    budget.deposit(); // 2 calls × 0.5 earn one more
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);
    expect(budget.stats().fleet).toEqual({ calls: 100, retries: 60, instances: 4, granted: 2 });

    // A sync takes the counts; until its answer they still count against the old lease.
    expect(control.take()).toEqual({ calls: 2, retries: 3 });
    expect(budget.tryWithdraw()).toBe(false);
    control.share({ calls: 102, retries: 63, instances: 4, granted: 1 });
    expect(control.take()).toEqual({ calls: 0, retries: 0 });
    expect(budget.tryWithdraw()).toBe(true);
    expect(budget.tryWithdraw()).toBe(false);

    // Out of reach: the local window (2 calls × 0.5 + 10 − 4 retries = 7).
    control.share(null);
    expect(budget.stats()).toMatchObject({ calls: 2, retries: 4, available: 7, fleet: null });
  });
});

describe('createUpstream({ fleet })', () => {
  it('joins the fleet once with its breaker and budget, reports its stats and leaves on close', async () => {
    const joined: FleetMember[] = [];
    const { membership, told } = fakeMembership();
    const fleet: Fleet = {
      join: (member) => {
        joined.push(member);
        return membership;
      },
    };
    const upstream = createUpstream({ origin: 'http://127.0.0.1:9', name: 'payments', fleet });
    expect(joined).toHaveLength(1);
    expect(joined[0]!.upstream).toBe('payments');
    expect(joined[0]!.breaker?.state).toBe('closed');
    expect(joined[0]!.budget?.ratio).toBe(0.2);
    expect(upstream.stats().fleet).toEqual({ connected: true, instances: 1, lastSyncAgeMs: 0 });
    upstream.breaker!.isolate();
    expect(told).toEqual(['isolated']);
    await upstream.close();
    expect(told).toEqual(['isolated', 'leave']);
  });

  it('with the breaker and retry off, the fleet gets neither', async () => {
    const joined: FleetMember[] = [];
    const upstream = createUpstream({
      origin: 'http://127.0.0.1:9',
      breaker: false,
      retry: false,
      fleet: { join: (member) => (joined.push(member), fakeMembership().membership) },
    });
    expect(joined[0]).toMatchObject({ breaker: null, budget: null });
    await upstream.destroy();
  });

  it('rejects anything but a fleet, naming the option', () => {
    for (const bad of [{}, 'redis', 42, { join: true }]) {
      let error: unknown;
      try {
        createUpstream({ origin: 'http://127.0.0.1:9', fleet: bad as never });
      } catch (e) {
        error = e;
      }
      expect(isInvalidOptionError(error)).toBe(true);
      expect((error as { option: string }).option).toBe('fleet');
    }
    expect(upstreamStatsWithoutFleet()).toBeNull();
  });
});

function upstreamStatsWithoutFleet(): unknown {
  const upstream = createUpstream({ origin: 'http://127.0.0.1:9' });
  const fleet = upstream.stats().fleet;
  void upstream.destroy();
  return fleet;
}
