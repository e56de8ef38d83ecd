/**
 * An upstream restart under steady load, through the composed pipeline with every default
 * (retry, budget, breaker, bulkhead, 5 s total deadline), on fake time. The load is the bench's
 * fault (b): two callers (20 in the last case), each sending a GET, then pausing 20 ms. While the upstream is down every
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
  /** When its last attempt started. */
  endedAt: number;
  code: string | undefined;
  attempts: number;
}

/**
 * Two paced callers from 0 ms to `until`; the upstream refuses connections from `downAt` until
 * `upAt`. Returns every call, the breaker's transitions (with their time) and when each came.
 */
async function restartUnderLoad(plan: { downAt: number; upAt: number; until: number; callers?: number }) {
  const events = new EventHub();
  const transitions: string[] = [];
  let budgetExhausted = 0;
  events.on('retryBudgetExhausted', () => budgetExhausted++);
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
  let refusedAttempts = 0;
  setTimeout(() => (down = true), plan.downAt);
  setTimeout(() => (down = false), plan.upAt);
  const calls: Call[] = [];
  const caller = async (): Promise<void> => {
    for (let i = 0; i < 10_000 && Date.now() < plan.until; i++) {
      const call: Call = { startedAt: Date.now(), endedAt: 0, code: undefined, attempts: 0 };
      calls.push(call);
      const attempt = () =>
        new Promise((resolve, reject) => {
          call.attempts++;
          call.endedAt = Date.now();
          // A refused connection fails at once; a served GET takes 1 ms.
          if (down) {
            refusedAttempts++;
            reject(refused());
          } else setTimeout(() => resolve(fakeResponse(200)), 1);
        });
      await policy.execute(attempt, createTestContext({ events, total: 5_000 })).then(
        () => undefined,
        (error: unknown) => (call.code = (error as { code?: string }).code ?? String(error)),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const callers = Promise.all(Array.from({ length: plan.callers ?? 2 }, caller));
  await vi.advanceTimersByTimeAsync(plan.until + 1_000);
  await callers;
  const codes: Record<string, number> = {};
  for (const call of calls) codes[call.code ?? 'ok'] = (codes[call.code ?? 'ok'] ?? 0) + 1;
  return { calls, codes, transitions, breaker: breaker!, refusedAttempts, budgetExhausted };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('an upstream restart under steady load, default options', () => {
  it('a 1.5 s restart loses no call: the refused connections are retried until the port is back; the breaker stays closed', async () => {
    // 2 s of traffic, 1.5 s down, 1.5 s back up. When a refused connection counted against
    // `retries: 2`, each call gave up after 3 attempts (~150 ms): 16 calls failed STEADY_CONNECT.
    const { calls, codes, transitions, breaker, refusedAttempts } = await restartUnderLoad({
      downAt: 2_000,
      upAt: 3_500,
      until: 5_000,
    });
    expect(codes).toEqual({ ok: 330 });
    expect(transitions).toEqual([]);
    // The two calls that met the closed port were refused 5 times each (at 0, 50, 150, 350 and
    // 750 ms into the restart: backoffs of 50, 100, 200, 400, 800 ms), then served at 1.55 s.
    const ridden = calls.filter((c) => c.attempts > 1);
    expect(ridden.map((c) => [c.startedAt, c.attempts, c.endedAt])).toEqual([
      [2_016, 6, 3_566],
      [2_016, 6, 3_566],
    ]);
    expect(refusedAttempts).toBe(10);
    expect(breaker.stats()).toMatchObject({ state: 'closed', failures: 10, calls: 340 });
  });

  it('an outage that lasts: each call ends STEADY_CONNECT when its deadline allows no further backoff; the breaker opens on the failure rate, probes every 0.5 s and closes on the return', async () => {
    const { calls, codes, transitions, breaker, refusedAttempts, budgetExhausted } = await restartUnderLoad({
      downAt: 2_000,
      upAt: 12_000,
      until: 13_500,
    });
    // Each call is refused 9 times over 4.55 s (the next backoff, 1 s, would pass its 5 s
    // deadline) and ends with the clear STEADY_CONNECT. Two callers send 36 attempts in 9 s (4
    // per second; 202 when each call gave up after 3), well within the budget's reserve.
    const failed = calls.filter((c) => c.code !== undefined);
    expect(failed.slice(0, 4).map((c) => [c.startedAt, c.endedAt, c.attempts, c.code])).toEqual([
      [2_016, 6_566, 9, 'STEADY_CONNECT'],
      [2_016, 6_566, 9, 'STEADY_CONNECT'],
      [6_586, 11_136, 9, 'STEADY_CONNECT'],
      [6_586, 10_136, 8, 'STEADY_CIRCUIT_OPEN'],
    ]);
    expect(refusedAttempts).toBe(36);
    expect(budgetExhausted).toBe(0);
    // The breaker weighs attempts: it opens once the window's failures outweigh the successes
    // from before the outage (here when those left the 10 s window: 9.1 s in). The third
    // call's ninth refusal opens it; the fourth call, refused 8 times, meets it instead of a ninth.
    expect(transitions[0]).toBe('11136 closed>open (failure rate 100% over 35 calls)');
    expect(transitions.slice(1)).toEqual([
      '11636 open>half-open (open for 500 ms)',
      '11636 half-open>open (half-open probe refused (connection refused))',
      '12136 open>half-open (open for 500 ms)',
      '12137 half-open>closed (half-open probes succeeded)',
    ]);
    expect(codes).toEqual({ ok: 322, STEADY_CONNECT: 3, STEADY_CIRCUIT_OPEN: 97 });
    // Refused by the open breaker: no attempt at all, except the refused probe (1 attempt).
    const refusedByBreaker = calls.filter((c) => c.code === 'STEADY_CIRCUIT_OPEN' && c.startedAt > 11_136);
    expect(refusedByBreaker.filter((c) => c.attempts === 0)).toHaveLength(95);
    expect(refusedByBreaker.filter((c) => c.attempts === 1)).toHaveLength(1);
    expect(calls.filter((c) => c.startedAt >= 12_137).every((c) => c.code === undefined)).toBe(true);
    expect(breaker.state).toBe('closed');
  });

  it('an outage under 20 callers: the retry budget runs dry and calls then fail at their first refusal (no retry storm)', async () => {
    const { calls, codes, transitions, refusedAttempts, budgetExhausted } = await restartUnderLoad({
      downAt: 2_000,
      upAt: 12_000,
      until: 13_500,
      callers: 20,
    });
    const failed: Record<string, number> = {};
    for (const c of calls) {
      if (c.code !== undefined)
        failed[`${c.code} after ${c.attempts}`] = (failed[`${c.code} after ${c.attempts}`] ?? 0) + 1;
    }
    // The 20 calls in flight spend the budget (its reserve of 50 retries per 10 s, plus 0.2 per
    // call in the window, most of them from before the outage); once it is spent, a refused call
    // fails at once with STEADY_CONNECT. The budget refused 578 retries.
    expect(budgetExhausted).toBe(578);
    expect(failed).toEqual({
      'STEADY_CONNECT after 9': 20,
      'STEADY_CONNECT after 8': 20,
      'STEADY_CONNECT after 2': 57,
      'STEADY_CONNECT after 1': 501,
      'STEADY_CIRCUIT_OPEN after 1': 7,
      'STEADY_CIRCUIT_OPEN after 0': 1_489,
    });
    // 962 refused attempts in 9 s (1,932 when each call gave up after 3 attempts).
    expect(refusedAttempts).toBe(962);
    expect(transitions[0]).toBe('10856 closed>open (failure rate 50% over 1920 calls)');
    expect(transitions.at(-1)).toBe('12357 half-open>closed (half-open probes succeeded)');
    expect(codes.ok).toBe(3_001);
  });
});
