import type { AxiosAdapter, AxiosError, AxiosInstance, AxiosRequestConfig, InternalAxiosRequestConfig } from 'axios';
import { describe, expectTypeOf, it } from 'vitest';
import type { Agent, Upstream } from '@steady/core';
import {
  createAxios,
  getUpstream,
  steadyAdapter,
  type CreateAxiosOptions,
  type SteadyRequestOptions,
} from '../src/index.ts';

describe('public types', () => {
  it('createAxios takes upstream options or a shared upstream and returns an AxiosInstance', () => {
    expectTypeOf(createAxios).parameter(0).toEqualTypeOf<CreateAxiosOptions | undefined>();
    expectTypeOf(createAxios).returns.toEqualTypeOf<AxiosInstance>();
    expectTypeOf<{ origin: string; retry: false; axios: { timeout: number } }>().toMatchTypeOf<CreateAxiosOptions>();
    expectTypeOf<{ upstream: Upstream }>().toMatchTypeOf<CreateAxiosOptions>();
    // @ts-expect-error an origin and a shared upstream are exclusive
    expectTypeOf<{ origin: string; upstream: Upstream }>().toMatchTypeOf<CreateAxiosOptions>();
  });

  it('augments AxiosRequestConfig with a typed `steady`', () => {
    expectTypeOf<AxiosRequestConfig['steady']>().toEqualTypeOf<SteadyRequestOptions | undefined>();
    expectTypeOf<InternalAxiosRequestConfig['steady']>().toEqualTypeOf<SteadyRequestOptions | undefined>();
    expectTypeOf<{
      retry: false;
      idempotent: true;
      timeout: 100;
      breaker: false;
      bulkhead: false;
    }>().toMatchTypeOf<SteadyRequestOptions>();
    // @ts-expect-error breaker can only be turned off per request
    expectTypeOf<{ breaker: true }>().toMatchTypeOf<SteadyRequestOptions>();
    // @ts-expect-error timeout is a number of ms
    expectTypeOf<{ timeout: '1s' }>().toMatchTypeOf<SteadyRequestOptions>();
    expectTypeOf<{ fallback: (error: AxiosError) => Response }>().toMatchTypeOf<SteadyRequestOptions>();
    expectTypeOf<{ fallback: () => { cached: true } }>().toMatchTypeOf<SteadyRequestOptions>();
    // @ts-expect-error a fallback must answer with a value (void cannot become a response)
    expectTypeOf<{ fallback: () => void }>().toMatchTypeOf<SteadyRequestOptions>();
  });

  it('exposes the adapter and the upstream', () => {
    expectTypeOf(steadyAdapter).parameter(0).toEqualTypeOf<Upstream | Agent>();
    expectTypeOf(steadyAdapter).returns.toEqualTypeOf<AxiosAdapter>();
    expectTypeOf(getUpstream).returns.toEqualTypeOf<Upstream>();
    expectTypeOf<Upstream['close']>().returns.resolves.toBeVoid();
  });
});
