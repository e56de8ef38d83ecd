/**
 * Property-based check of the composed pipeline: random outcomes, latencies, deadlines and
 * caller cancellations, run under fake timers. Invariants: every call settles exactly once,
 * never after its deadline or its cancellation; attempts ≤ retries + 1; no attempt starts
 * while the breaker is open; half-open probes ≤ halfOpenProbes; every result is either
 * returned or discarded, once; nothing (timer, slot) is left behind.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NetworkError, TimeoutError } from '../errors/errors.ts';
import { isSteadyError } from '../errors/steady-error.ts';
import { EventHub } from '../events/events.ts';
import type { BreakerState } from '../events/events.ts';
import {
  createPipeline,
  resolveBulkheadOptions,
  resolveCircuitBreakerOptions,
  resolveRetryOptions,
  type CallContext,
} from './index.ts';
import { FusedPipeline } from './fused-call.ts';
import { createTestContext, fakeResponse, type FakeResponse } from './test-context.ts';

const outcomeKind = fc.constantFrom(
  'ok',
  '503',
  '503-retry-after',
  'unknown',
  'not-sent',
  'headers-timeout',
  'connect-timeout',
);
const attemptArb = fc.record({ kind: outcomeKind, latency: fc.integer({ min: 0, max: 400 }), honour: fc.boolean() });
const callArb = fc.record({
  start: fc.integer({ min: 0, max: 1500 }),
  total: fc.option(fc.integer({ min: 1, max: 1500 }), { nil: undefined }),
  abortAfter: fc.option(fc.integer({ min: 0, max: 1500 }), { nil: undefined }),
  method: fc.constantFrom('GET', 'POST'),
  replayable: fc.boolean(),
  attempts: fc.array(attemptArb, { minLength: 1, maxLength: 4 }),
});
const scenarioArb = fc.record({
  retries: fc.integer({ min: 0, max: 3 }),
  budget: fc.boolean(),
  halfOpenProbes: fc.integer({ min: 1, max: 3 }),
  consecutiveFailures: fc.integer({ min: 1, max: 4 }),
  openFor: fc.integer({ min: 20, max: 400 }),
  maxConcurrent: fc.integer({ min: 1, max: 4 }),
  maxQueued: fc.integer({ min: 0, max: 4 }),
  random: fc.double({ min: 0, max: 1, noNaN: true }),
  calls: fc.array(callArb, { minLength: 1, maxLength: 10 }),
});

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

// The same properties hold when a call runs as one object (FusedPipeline, the upstream's common
// case; calls that would wait for a bulkhead slot still take the composed path).
describe.each(['composed', 'fused'] as const)('the %s pipeline (property-based)', (mode) => {
  it('settles every call once, in time, within its attempts, and keeps the breaker honest', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (s) => {
        vi.clearAllTimers();
        const t0 = Date.now();
        const events = new EventHub();
        let breakerState: BreakerState = 'closed';
        let episode = 0;
        const probesByEpisode = new Map<number, number>();
        events.on('breakerStateChange', (e) => {
          breakerState = e.to;
          if (e.to === 'half-open') episode++;
        });
        const pipeline = createPipeline(
          {
            retry: resolveRetryOptions({ retries: s.retries, budget: s.budget ? {} : false }, 'retry'),
            breaker: resolveCircuitBreakerOptions(
              {
                consecutiveFailures: s.consecutiveFailures,
                openFor: s.openFor,
                halfOpenProbes: s.halfOpenProbes,
                window: 1000,
              },
              'breaker',
            ),
            bulkhead: resolveBulkheadOptions({ maxConcurrent: s.maxConcurrent, maxQueued: s.maxQueued }, 'bulkhead', 4),
          },
          { upstream: 'prop', events, random: () => s.random },
        );
        const { policy, bulkhead } = pipeline;
        // The fused path reaches each call's attempt function through its context.
        const attemptOf = new WeakMap<CallContext, (ctx: CallContext) => Promise<FakeResponse>>();
        const attempt = (ctx: CallContext): Promise<FakeResponse> => attemptOf.get(ctx)!(ctx);
        const fused = new FusedPipeline(pipeline, {
          attempt,
          first: attempt,
          typed: (error) => error,
          settled: () => {},
        });
        const run = (next: (ctx: CallContext) => Promise<FakeResponse>, ctx: CallContext): Promise<unknown> => {
          if (mode === 'composed') return policy.execute(next, ctx);
          attemptOf.set(ctx, next);
          return fused.tryRun(ctx) ?? policy.execute(next, ctx);
        };

        const produced = new Set<FakeResponse>();
        const discarded = new Set<FakeResponse>();
        const delivered = new Set<unknown>();
        const settles: Array<{ at: number; error: unknown }[]> = s.calls.map(() => []);
        const attempts: number[] = s.calls.map(() => 0);
        const abortedAt: Array<number | undefined> = s.calls.map(() => undefined);
        // Checks inside callbacks record here: a throw there would be caught by the pipeline.
        const violations: string[] = [];
        const check = (ok: boolean, message: string): void => {
          if (!ok) violations.push(message);
        };

        s.calls.forEach((call, i) => {
          setTimeout(() => {
            const controller = new AbortController();
            const ctx = createTestContext({
              events,
              method: call.method,
              replayable: call.replayable,
              signal: controller.signal,
              total: call.total,
              discard: (result) => {
                const r = result as FakeResponse;
                check(produced.has(r), `call ${i}: discarded a result never produced`);
                check(!discarded.has(r) && !delivered.has(r), `call ${i}: result discarded twice or after delivery`);
                discarded.add(r);
              },
            });
            if (call.abortAfter !== undefined) {
              const timer = setTimeout(() => {
                abortedAt[i] = Date.now();
                controller.abort('caller gave up');
              }, call.abortAfter);
              controller.signal.addEventListener('abort', () => clearTimeout(timer));
            }
            const next = (inner: CallContext) => {
              const n = attempts[i]!++;
              check(
                breakerState === 'closed' || breakerState === 'half-open',
                `call ${i}: attempt while ${breakerState}`,
              );
              const probe = breakerState === 'half-open' ? episode : undefined;
              if (probe !== undefined) {
                const inFlight = (probesByEpisode.get(probe) ?? 0) + 1;
                check(inFlight <= s.halfOpenProbes, `call ${i}: ${inFlight} concurrent half-open probes`);
                probesByEpisode.set(probe, inFlight);
              }
              const plan = call.attempts[Math.min(n, call.attempts.length - 1)]!;
              return new Promise<FakeResponse>((resolve, reject) => {
                const finish = (): void => {
                  inner.signal.removeEventListener('abort', onAbort);
                  if (probe !== undefined) probesByEpisode.set(probe, probesByEpisode.get(probe)! - 1);
                };
                const onAbort = (): void => {
                  clearTimeout(timer);
                  finish();
                  reject(inner.signal.reason);
                };
                const timer = setTimeout(() => {
                  finish();
                  const outcome = outcomeOf(plan.kind);
                  if (outcome instanceof Error) return reject(outcome);
                  produced.add(outcome);
                  resolve(outcome);
                }, plan.latency);
                if (plan.honour) inner.signal.addEventListener('abort', onAbort, { once: true });
              });
            };
            run(next, ctx).then(
              (value) => {
                delivered.add(value);
                settles[i]!.push({ at: Date.now(), error: undefined });
                controller.abort('settled'); // like a caller that cleans up: must change nothing
              },
              (error: unknown) => {
                settles[i]!.push({ at: Date.now(), error });
                controller.abort('settled');
              },
            );
          }, call.start);
        });

        await vi.advanceTimersByTimeAsync(600_000);
        expect(violations).toEqual([]);

        s.calls.forEach((call, i) => {
          const got = settles[i]!;
          expect(got).toHaveLength(1);
          const { at, error } = got[0]!;
          const started = t0 + call.start;
          if (call.total !== undefined) expect(at).toBeLessThanOrEqual(started + call.total);
          const aborted = abortedAt[i];
          if (aborted !== undefined && aborted < at)
            throw new Error(`call ${i} settled at ${at}, after its abort at ${aborted}`);
          if (error !== undefined) expect(isSteadyError(error)).toBe(true);
          expect(attempts[i]).toBeLessThanOrEqual(s.retries + 1);
        });
        for (const r of produced) expect(discarded.has(r) !== delivered.has(r)).toBe(true);
        expect(bulkhead?.stats()).toMatchObject({ running: 0, queued: 0 });
        expect(vi.getTimerCount()).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});

function outcomeOf(kind: string): FakeResponse | Error {
  switch (kind) {
    case 'ok':
      return fakeResponse(200);
    case '503':
      return fakeResponse(503);
    case '503-retry-after':
      return fakeResponse(503, { 'retry-after': '1' });
    case 'unknown':
      return new NetworkError('unknown');
    case 'not-sent':
      return new NetworkError('not-sent');
    case 'connect-timeout':
      return new TimeoutError('connect', 100);
    default:
      return new TimeoutError('headers', 100);
  }
}
