import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SteadyModuleExtras, SteadyModuleOptions } from './steady-options.ts';
import { STEADY_MODULE_OPTIONS } from './steady.tokens.ts';

/**
 * `forRoot`/`forRootAsync` from Nest's `ConfigurableModuleBuilder`. The extras add
 * `isGlobal`; `SteadyModule` adds the per-upstream providers on top (see steady.module.ts).
 */
export const { ConfigurableModuleClass: ConfigurableSteadyModule, MODULE_OPTIONS_TOKEN } =
  new ConfigurableModuleBuilder<SteadyModuleOptions>({ optionsInjectionToken: STEADY_MODULE_OPTIONS })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createSteadyOptions')
    .setExtras<SteadyModuleExtras>({ isGlobal: false }, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal === true,
    }))
    .build();
