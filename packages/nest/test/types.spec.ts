// Type tests of the public API: `npm run typecheck` checks them; at run time they only
// assert that the names exist.
import type { HealthIndicatorFunction, HealthIndicatorResult } from '@nestjs/terminus';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { SteadyHealthIndicator, type SteadyHealthResult, type SteadyUpstreamOptions } from '../src/index.ts';

describe('public types', () => {
  it('isHealthy() is usable as a terminus indicator without terminus in the package types', () => {
    expectTypeOf<SteadyHealthResult>().toMatchTypeOf<HealthIndicatorResult>();
    const indicator = null as unknown as SteadyHealthIndicator;
    const check: HealthIndicatorFunction = () => indicator.isHealthy();
    void check;
    expect(typeof SteadyHealthIndicator).toBe('function');
  });

  it('per-upstream axios and ky options are typed when those peers are installed', () => {
    expectTypeOf<{ origin: string; axios: { timeout: number } }>().toMatchTypeOf<SteadyUpstreamOptions>();
    // @ts-expect-error axios' timeout is a number
    const bad: SteadyUpstreamOptions = { origin: 'http://x', axios: { timeout: '1s' } };
    void bad;
  });
});
