/**
 * An upstream restart under steady load, through the composed pipeline with every default
 * (retry, budget, breaker, bulkhead, 5 s total deadline), on fake time. The load is the bench's
 * fault (b): two callers, each sending a GET, then pausing 20 ms. While the upstream is down every
 * attempt fails as a real restart fails it: connection refused, nothing sent.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NetworkError } from '../errors/errors.ts';
import { EventHub } from '../events/events.ts';
import { DEFAULT_CIRCUIT_BREAKER_OPTIONS } from './circuit-breaker.ts';
import { defaultBulkheadOptions } from './bulkhead.ts';
import { createPipeline } from './index.ts';
import { DEFAULT_RETRY_OPTIONS } from './retry-options.ts';
import { createTestContext, fakeResponse } from './test-context.ts';

const refused = () =>
  new NetworkError(
    'not-sent',
    {},
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8080'), { code: 'ECONNREFUSED' }),
  );

interface Call {
  startedAt: number;
  code: string | undefined;
  attempts: number;
}

/**
 * Two paced callers from 0 ms to `until`; the upstream refuses connections from `downAt` until
 * `upAt`. Returns every call, the breaker's transitions (with their time) and when each came.
 */
async function restartUnderLoad(plan: { downAt: number; upAt: number; until: number }) {
  const events = new EventHub();
  const transitions: string[] = [];
  events.on('breakerStateChange', (e) => transitions.push(`${Date.now()} ${e.from}>${e.to} (${e.reason})`));
  const { policy, breaker } = createPipeline(
    {
      retry: DEFAULT_RETRY_OPTIONS,
      breaker: DEFAULT_CIRCUIT_BREAKER_OPTIONS,
      bulkhead: defaultBulkheadOptions(10),
    },
    // Mid-range jitter: the first retry waits 50 ms, the second 100 ms.
    { upstream: 'payments', events, random: () => 0.5 },
  );
  let down = false;
  setTimeout(() => (down = true), plan.downAt);
  setTimeout(() => (down = false), plan.upAt);
  const calls: Call[] = [];
  const caller = async (): Promise<void> => {
    for (let i = 0; i < 10_000 && Date.now() < plan.until; i++) {
      const call: Call = { startedAt: Date.now(), code: undefined, attempts: 0 };
      calls.push(call);
      const attempt = () =>
        new Promise((resolve, reject) => {
          call.attempts++;
          // A refused connection fails at once; a served GET takes 1 ms.
          if (down) reject(refused());
          else setTimeout(() => resolve(fakeResponse(200)), 1);
        });
      await policy.execute(attempt, createTestContext({ events, total: 5_000 })).then(
        () => undefined,
        (error: unknown) => (call.code = (error as { code?: string }).code ?? String(error)),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const callers = Promise.all([caller(), caller()]);
  await vi.advanceTimersByTimeAsync(plan.until + 1_000);
  await callers;
  const codes: Record<string, number> = {};
  for (const call of calls) codes[call.code ?? 'ok'] = (codes[call.code ?? 'ok'] ?? 0) + 1;
  return { calls, codes, transitions, breaker: breaker! };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('an upstream restart under steady load, default options', () => {
  it('a 1.5 s restart does not open the breaker: no call is refused by it, calls after it all succeed', async () => {
    // 2 s of traffic, 1.5 s down, 1.5 s back up. With the breaker opening on 10 failed attempts
    // in a row, it opened 0.24 s into the restart and stayed open until 0.24 s after it: 138 of
    // 453 calls were refused by it, against 16 failed calls here.
    const { calls, codes, transitions, breaker } = await restartUnderLoad({ downAt: 2_000, upAt: 3_500, until: 5_000 });
    expect(transitions).toEqual([]);
    expect(calls.filter((c) => c.code === 'STEADY_CIRCUIT_OPEN')).toEqual([]);
    // Every failure is the clear STEADY_CONNECT of a call whose 3 attempts all met the closed
    // port; calls in their backoff when it reopened succeeded on their retry.
    expect(codes).toEqual({ ok: 334, STEADY_CONNECT: 16 });
    expect(calls.filter((c) => c.code !== undefined).every((c) => c.attempts === 3)).toBe(true);
    expect(calls.filter((c) => c.code === undefined && c.attempts > 1).length).toBe(2);
    expect(calls.filter((c) => c.startedAt >= 3_500).every((c) => c.code === undefined)).toBe(true);
    expect(breaker.stats()).toMatchObject({ state: 'closed', failures: 52, calls: 386 });
  });

  it('an outage that lasts opens it on the failure rate; refused probes every 0.5 s; it closes within 0.5 s of the return', async () => {
    const { calls, codes, transitions, breaker } = await restartUnderLoad({
      downAt: 2_000,
      upAt: 12_000,
      until: 13_500,
    });
    // Opened 4.7 s into the outage, once failed attempts made half of the window's (which holds
    // the 2 s of successes before it).
    expect(transitions[0]).toBe('6736 closed>open (failure rate 50% over 384 calls)');
    // Then a probe after each 500 ms open period (with the next paced call), each refused: the
    // open period never grows.
    const probes = transitions.slice(1, -2);
    expect(probes).toHaveLength(20);
    for (let i = 0; i < probes.length; i += 2) {
      expect(probes[i]).toMatch(/ open>half-open \(open for 500 ms\)$/);
      expect(probes[i + 1]).toMatch(/ half-open>open \(half-open probe refused \(connection refused\)\)$/);
    }
    const at = (transition: string | undefined) => Number(transition?.split(' ')[0]);
    const openPeriods = [transitions[0], ...probes.filter((_, i) => i % 2 === 1)].map(
      (t, i) => at(transitions[2 * i + 1]) - at(t),
    );
    expect(openPeriods.every((ms) => ms >= 500 && ms <= 521)).toBe(true);
    // The first probe after the upstream is back closes it, 287 ms after the return.
    expect(transitions.slice(-2)).toEqual([
      '12286 open>half-open (open for 500 ms)',
      '12287 half-open>closed (half-open probes succeeded)',
    ]);
    expect(codes).toEqual({ ok: 308, STEADY_CONNECT: 86, STEADY_CIRCUIT_OPEN: 529 });
    // Refused by the open breaker: no attempt at all, except the 10 refused probes (1 attempt each).
    const refusedByBreaker = calls.filter((c) => c.code === 'STEADY_CIRCUIT_OPEN');
    expect(refusedByBreaker.filter((c) => c.attempts === 0)).toHaveLength(519);
    expect(refusedByBreaker.filter((c) => c.attempts === 1)).toHaveLength(10);
    expect(calls.filter((c) => c.startedAt >= 12_287).every((c) => c.code === undefined)).toBe(true);
    expect(breaker.state).toBe('closed');
  });
});
