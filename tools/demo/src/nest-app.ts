/**
 * The demo's NestJS application: one `SteadyModule.forRoot` with an upstream per act,
 * each with an axios and a ky client. No decorator syntax (Node type stripping): the
 * `@Module` decorator is applied as a function.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Upstream } from '@steady/core';
import { SteadyModule, getAxiosToken, getKyToken, getUpstreamToken } from '@steady/nest';
import type { SteadyModuleOptions } from '@steady/nest';
import type { SteadyPair } from './clients.ts';

/** The running app and typed accessors to its Steady providers. */
export interface SteadyApp {
  readonly context: INestApplicationContext;
  /** The upstream named `name`. */
  upstream(name: string): Upstream;
  /** The axios and ky instances of the upstream named `name`. */
  clients(name: string): SteadyPair;
  /** `app.close()`: Nest's shutdown hooks close every upstream gracefully. */
  close(): Promise<void>;
}

/** Bootstrap an application context around `SteadyModule.forRoot(options)`. */
export async function startSteadyApp(options: SteadyModuleOptions): Promise<SteadyApp> {
  const names = Object.keys(options.upstreams ?? {});
  // Ask for the client tokens before bootstrap, so a missing optional peer fails now.
  for (const name of names) {
    getAxiosToken(name);
    getKyToken(name);
  }
  class AppModule {}
  Module({ imports: [SteadyModule.forRoot(options)] })(AppModule);
  const context = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  return {
    context,
    upstream: (name) => context.get<Upstream>(getUpstreamToken(name)),
    clients: (name) => ({
      axios: context.get<SteadyPair['axios']>(getAxiosToken(name)),
      ky: context.get<SteadyPair['ky']>(getKyToken(name)),
    }),
    close: () => context.close(),
  };
}
