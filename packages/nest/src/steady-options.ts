import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import type { AgentOptions, UpstreamOptions } from '@steady/core';

/**
 * The options of one upstream: every option of `createUpstream()` (the name is the
 * key in `upstreams`), plus the defaults of its axios and ky clients.
 */
// The `@ts-ignore` inside the two TSDoc blocks below is deliberate and reaches the .d.ts (plain
// comments do not): it makes a missing optional peer `any` there instead of a type error.
/* eslint-disable @typescript-eslint/ban-ts-comment, @typescript-eslint/consistent-type-imports */
export interface SteadyUpstreamOptions extends Omit<UpstreamOptions, 'name'> {
  /**
   * Defaults of the axios instance of this upstream (`@InjectAxios`); its requests still run on the upstream.
   * (`axios` is an optional peer: without it this is `any`, not an error under `skipLibCheck: false`.)
   * @ts-ignore optional peer */
  axios?: import('axios').CreateAxiosDefaults;
  /**
   * Options of the ky instance of this upstream (`@InjectKy`); its requests still run on the upstream.
   * (`ky` is an optional peer: without it this is `any`, not an error under `skipLibCheck: false`.)
   * @ts-ignore optional peer */
  ky?: import('ky').Options;
}
/* eslint-enable @typescript-eslint/ban-ts-comment, @typescript-eslint/consistent-type-imports */

/** The options of {@link SteadyModule}: named upstreams, and the agent for every other origin. */
export interface SteadyModuleOptions {
  /**
   * Upstreams keyed by name. A name is 1…64 letters, digits, `.`, `_` or `-`, starting
   * with a letter or digit; it becomes part of the injection tokens (`steady:upstream:<name>`).
   * @default {}
   */
  upstreams?: Record<string, SteadyUpstreamOptions>;
  /**
   * Options of the module's agent (`@InjectAgent()`): every origin the app calls by absolute
   * URL, each on its own lazily created upstream (`defaults`, `origins`, `allowOrigins`,
   * `maxOrigins`, `originIdleTimeout`). The agent is always provided (it opens nothing until
   * used) and is drained on shutdown with the named upstreams.
   * @default {}
   */
  agent?: AgentOptions;
  /* eslint-disable @typescript-eslint/ban-ts-comment, @typescript-eslint/consistent-type-imports */
  /**
   * OpenTelemetry metrics (and spans, with `tracing`) for every upstream of the process,
   * through the optional peer `@steady/otel`: `true` for the global providers, or the
   * options of its `instrumentSteady()`. Shut down with the application.
   * (`@steady/otel` is an optional peer: without it the options are `any`, not an error under
   * `skipLibCheck: false`.)
   * @default false
   * @ts-ignore optional peer */
  otel?: boolean | import('@steady/otel').InstrumentSteadyOptions;
  /* eslint-enable @typescript-eslint/ban-ts-comment, @typescript-eslint/consistent-type-imports */
}

/** Options that shape the module definition rather than the upstreams. */
export interface SteadyModuleExtras {
  /**
   * Register the module globally: its providers are injectable in every module.
   * @default false
   */
  isGlobal?: boolean;
}

/** Implemented by a `useClass`/`useExisting` options factory of `forRootAsync()`. */
export interface SteadyOptionsFactory {
  /** Return the module options (may be async). */
  createSteadyOptions(): Promise<SteadyModuleOptions> | SteadyModuleOptions;
}

/**
 * The options of `SteadyModule.forRootAsync()`. The upstream names must be listed
 * up front (`upstreams: ['payments']`): Nest declares providers before any factory
 * runs, and every name needs its own injection tokens. The factory's
 * `upstreams` object must have exactly these keys.
 */
export interface SteadyModuleAsyncOptions
  extends ConfigurableModuleAsyncOptions<SteadyModuleOptions, 'createSteadyOptions'>, SteadyModuleExtras {
  /** The names of the upstreams the factory returns, e.g. `['payments', 'orders']` (`[]` for an agent only). */
  upstreams: readonly string[];
}
