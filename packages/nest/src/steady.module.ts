import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { createNameProviders } from './client-providers.ts';
import { declaredNames, type DeclaredUpstreams } from './resolve-module-options.ts';
import { SteadyHealthIndicator } from './steady-health.indicator.ts';
import type { SteadyModuleAsyncOptions, SteadyModuleExtras, SteadyModuleOptions } from './steady-options.ts';
import { SteadyTelemetry } from './steady-telemetry.ts';
import { SteadyUpstreams } from './steady-upstreams.ts';
import { ConfigurableSteadyModule, MODULE_OPTIONS_TOKEN } from './steady.module-definition.ts';
import { getAgentToken, STEADY_DECLARED_UPSTREAMS } from './steady.tokens.ts';

/**
 * Steady upstreams as Nest providers. Per upstream name it provides the `Upstream`
 * (`@InjectUpstream`), an axios instance (`@InjectAxios`) and a ky instance
 * (`@InjectKy`) that share the upstream's pool and policies; it also provides the agent
 * for every other origin (`@InjectAgent()`), {@link SteadyUpstreams},
 * {@link SteadyHealthIndicator} and {@link SteadyTelemetry} (the `otel` option), and closes
 * every upstream and the agent gracefully on application shutdown.
 */
export class SteadyModule {
  /**
   * Register upstreams from static options.
   *
   * @example
   * ```ts
   * SteadyModule.forRoot({ upstreams: { payments: { origin: 'https://payments.internal' } }, isGlobal: true })
   * ```
   */
  static forRoot(options: SteadyModuleOptions & SteadyModuleExtras): DynamicModule {
    const upstreams = (options as Partial<SteadyModuleOptions> | undefined)?.upstreams;
    const names = typeof upstreams === 'object' && upstreams !== null ? Object.keys(upstreams) : [];
    return withUpstreamProviders(ConfigurableSteadyModule.forRoot(options), { method: 'forRoot', names });
  }

  /**
   * Register upstreams from options built at bootstrap (e.g. from `ConfigService`).
   * The names are listed up front so that their injection tokens exist before the
   * factory runs; the factory must return options for exactly those names.
   *
   * @example
   * ```ts
   * SteadyModule.forRootAsync({
   *   upstreams: ['payments'],
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({
   *     upstreams: { payments: { origin: config.getOrThrow('PAYMENTS_URL') } },
   *   }),
   * })
   * ```
   */
  static forRootAsync(options: SteadyModuleAsyncOptions): DynamicModule {
    const { upstreams: names, ...rest } = options;
    return withUpstreamProviders(ConfigurableSteadyModule.forRootAsync(rest), { method: 'forRootAsync', names });
  }
}
Module({})(SteadyModule);

/**
 * Complete the definition built by `ConfigurableModuleBuilder` (options provider, `isGlobal`)
 * with the registry, the health indicator and the per-name providers. `SteadyModule` wraps
 * the builder's class instead of extending it so that `forRootAsync` can require the names
 * (a subclass may not narrow the inherited static signature).
 */
function withUpstreamProviders(definition: DynamicModule, declared: DeclaredUpstreams): DynamicModule {
  const perName = declaredNames(declared.names).flatMap(createNameProviders);
  const providers: Provider[] = [
    ...(definition.providers ?? []),
    { provide: STEADY_DECLARED_UPSTREAMS, useValue: declared },
    {
      provide: SteadyUpstreams,
      useFactory: (options: unknown, names: DeclaredUpstreams) => SteadyUpstreams.create(options, names),
      inject: [MODULE_OPTIONS_TOKEN, STEADY_DECLARED_UPSTREAMS],
    },
    {
      provide: SteadyTelemetry,
      useFactory: (options: unknown) => SteadyTelemetry.create(options),
      inject: [MODULE_OPTIONS_TOKEN],
    },
    {
      provide: SteadyHealthIndicator,
      useFactory: (upstreams: SteadyUpstreams, moduleRef: ModuleRef) => new SteadyHealthIndicator(upstreams, moduleRef),
      inject: [SteadyUpstreams, ModuleRef],
    },
    {
      provide: getAgentToken(),
      useFactory: (upstreams: SteadyUpstreams) => upstreams.agent,
      inject: [SteadyUpstreams],
    },
    ...perName,
  ];
  return {
    ...definition,
    module: SteadyModule,
    providers,
    exports: [
      SteadyUpstreams,
      SteadyHealthIndicator,
      SteadyTelemetry,
      getAgentToken(),
      ...perName.map((provider) => provider.provide),
    ],
  };
}
