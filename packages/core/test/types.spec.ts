// Type tests of the public API: `npm run typecheck` checks them; at run time they only
// assert that the names exist.
import type { Dispatcher } from 'undici';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createUpstream,
  isCircuitOpenError,
  isTimeoutError,
  type AttemptContext,
  type ExecuteOptions,
  type RetryCallOptions,
  type UpstreamRequestOptions,
  type WholeResponse,
  type Disposer,
  type HedgeOptions,
  type HedgeStats,
  type RequestFallbackValue,
  type TimeoutPhase,
  type Upstream,
  type UpstreamEvents,
  type UpstreamOptions,
  type UpstreamResponse,
  type UpstreamStats,
} from '../src/index.ts';

describe('public types', () => {
  it('createUpstream takes UpstreamOptions and returns an Upstream', () => {
    expectTypeOf(createUpstream).parameter(0).toEqualTypeOf<UpstreamOptions>();
    expectTypeOf(createUpstream).returns.toEqualTypeOf<Upstream>();
    expectTypeOf<UpstreamOptions>().toHaveProperty('origin').toEqualTypeOf<string | URL>();
    // @ts-expect-error: retries must be a number
    const bad: UpstreamOptions = { origin: 'http://x', retry: { retries: 'many' } };
    void bad;
  });

  it('per-call retry overrides are typed (RetryCallOptions): a misspelt key does not compile', () => {
    expectTypeOf<UpstreamRequestOptions['retry']>().toEqualTypeOf<false | RetryCallOptions | undefined>();
    expectTypeOf<ExecuteOptions<number>['retry']>().toEqualTypeOf<false | RetryCallOptions | undefined>();
    // @ts-expect-error: "retires" is no retry option
    const typo: UpstreamRequestOptions = { retry: { retires: 3 } };
    // @ts-expect-error: the budget is per upstream; a call may only leave it
    const budget: UpstreamRequestOptions = { retry: { budget: { ratio: 1 } } };
    // @ts-expect-error: a call says it is idempotent with `idempotent`, not with retry.methods
    const methods: UpstreamRequestOptions = { retry: { methods: ['POST'] } };
    const fine: UpstreamRequestOptions = { retry: { retries: 3, baseDelay: 50, statuses: [503], budget: false } };
    void [typo, budget, methods, fine];
  });

  it('hedge and pool.http2 are typed, per upstream and per call', () => {
    const ok: UpstreamOptions = {
      origin: 'https://x',
      hedge: { delay: 'p95', maxHedges: 2 },
      pool: { http2: { pingInterval: 5_000, maxConcurrentStreams: 50 } },
    };
    void ok;
    // @ts-expect-error: an adaptive delay is p90, p95 or p99
    const badDelay: UpstreamOptions = { origin: 'https://x', hedge: { delay: 'p50' } };
    void badDelay;
    // @ts-expect-error: hedging is off with false, not true
    const badHedge: UpstreamOptions = { origin: 'https://x', hedge: true };
    void badHedge;
    expectTypeOf<Parameters<Upstream['request']>[1]>().toMatchTypeOf<{ hedge?: false | HedgeOptions } | undefined>();
    expectTypeOf<UpstreamStats['hedge']>().toEqualTypeOf<HedgeStats>();
    expectTypeOf<UpstreamEvents['hedge']>().toHaveProperty('attempt').toEqualTypeOf<number>();
  });

  it('request resolves undici response data; execute returns what the attempt returns', () => {
    const up = null as unknown as Upstream;
    expectTypeOf(() => up.request('/')).returns.toEqualTypeOf<Promise<UpstreamResponse>>();
    expectTypeOf(() => up.request('/', { wholeBody: false })).returns.toEqualTypeOf<Promise<UpstreamResponse>>();
    // A whole body resolves with a WholeResponse, or undici's data when a fallback answered.
    expectTypeOf(() => up.request('/', { wholeBody: true })).returns.toEqualTypeOf<
      Promise<UpstreamResponse | WholeResponse>
    >();
    expectTypeOf<UpstreamResponse>().toEqualTypeOf<Dispatcher.ResponseData>();
    const run = () => up.execute(async (ctx) => ctx.attempt * 2);
    expectTypeOf(run).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf<AttemptContext>().toHaveProperty('signal').toEqualTypeOf<AbortSignal>();
    expectTypeOf<AttemptContext>().toHaveProperty('dispatcher').toEqualTypeOf<Dispatcher>();
  });

  it('a request() fallback answers with something that becomes response data; execute() fallbacks return T', () => {
    const up = null as unknown as Upstream;
    const fine = () => [
      up.request('/x', { fallback: () => new Response('x') }),
      up.request('/x', { fallback: async () => ({ cached: true }) }),
      up.request('/x', { fallback: () => 'text' }),
      up.request('/x', { fallback: (_error, ctx) => up.request(ctx.url ?? '/') }),
    ];
    expectTypeOf(fine).returns.toEqualTypeOf<Array<Promise<UpstreamResponse>>>();
    expectTypeOf<RequestFallbackValue>().toMatchTypeOf<unknown>();
    // @ts-expect-error a fallback that answers nothing (void) cannot become a response
    const nothing = () => up.request('/x', { fallback: () => {} });
    // @ts-expect-error nor can undefined, upstream-wide
    const undef: UpstreamOptions = { origin: 'http://x', fallback: () => undefined };
    // @ts-expect-error an execute() fallback answers with the attempt's type
    const mixed = () => up.execute(async () => 1, { fallback: () => 'one' });
    expectTypeOf(() => up.execute(async () => 1, { fallback: () => 2 })).returns.toEqualTypeOf<Promise<number>>();
    void [nothing, undef, mixed];
  });

  it('events are typed by name and return a disposer', () => {
    const up = null as unknown as Upstream;
    const listen = () =>
      up.on('breakerStateChange', (event) => {
        expectTypeOf(event).toEqualTypeOf<UpstreamEvents['breakerStateChange']>();
      });
    expectTypeOf(listen).returns.toEqualTypeOf<Disposer>();
    // @ts-expect-error: unknown event name
    const wrong = () => up.on('nope', () => {});
    void wrong;
  });

  it('guards narrow to the error classes with their context', () => {
    const error: unknown = null;
    if (isTimeoutError(error)) expectTypeOf(error.phase).toEqualTypeOf<TimeoutPhase>();
    if (isCircuitOpenError(error)) expectTypeOf(error.retryAfter).toEqualTypeOf<number>();
    expectTypeOf<UpstreamStats['pool']>().toHaveProperty('peakSockets').toEqualTypeOf<number>();
  });
});
