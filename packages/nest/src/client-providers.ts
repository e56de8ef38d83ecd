import type { FactoryProvider } from '@nestjs/common';
import type { Upstream } from '@steady/core';
import { prefixOptionError, upstreamPath } from './option-errors.ts';
import { importOptionalPeer, MissingPeerError } from './optional-peer.ts';
import { SteadyUpstreams } from './steady-upstreams.ts';
import { isRequested, steadyToken } from './steady.tokens.ts';

/** The part of `@steady/axios` this module uses (typed here so the peer stays optional). */
interface SteadyAxiosModule {
  createAxios(options: { upstream: Upstream; axios?: unknown }): unknown;
}

/** The part of `@steady/ky` this module uses. */
interface SteadyKyModule {
  withSteady(ky: unknown, options: { upstream: Upstream; ky?: unknown }): unknown;
}

const AXIOS_PEERS = ['@steady/axios', 'axios'] as const;
const KY_PEERS = ['@steady/ky', 'ky'] as const;

/**
 * The providers of one upstream name: the upstream itself, and an axios and a ky
 * instance that both run on it (one pool, one breaker, one set of stats).
 */
export function createNameProviders(name: string): FactoryProvider[] {
  return [
    {
      provide: steadyToken('upstream', name),
      useFactory: (upstreams: SteadyUpstreams) => upstreams.get(name),
      inject: [SteadyUpstreams],
    },
    {
      provide: steadyToken('axios', name),
      useFactory: (upstreams: SteadyUpstreams) =>
        loadClient(name, steadyToken('axios', name), async () => {
          const feature = `@InjectAxios(${JSON.stringify(name)})`;
          const { createAxios } = await importOptionalPeer<SteadyAxiosModule>('@steady/axios', feature, AXIOS_PEERS);
          return createAxios({ upstream: upstreams.get(name), axios: upstreams.clientOptions(name).axios });
        }),
      inject: [SteadyUpstreams],
    },
    {
      provide: steadyToken('ky', name),
      useFactory: (upstreams: SteadyUpstreams) =>
        loadClient(name, steadyToken('ky', name), async () => {
          const feature = `@InjectKy(${JSON.stringify(name)})`;
          const [{ withSteady }, ky] = await Promise.all([
            importOptionalPeer<SteadyKyModule>('@steady/ky', feature, KY_PEERS),
            importOptionalPeer<{ default: unknown }>('ky', feature, KY_PEERS),
          ]);
          return withSteady(ky.default, { upstream: upstreams.get(name), ky: upstreams.clientOptions(name).ky });
        }),
      inject: [SteadyUpstreams],
    },
  ];
}

/**
 * Build a client. When its peer packages are missing: if the application asked for
 * this token (`@InjectAxios`, `getAxiosToken`), fail the bootstrap naming the packages;
 * otherwise provide a stand-in that throws that error on first use, so an app that
 * never uses axios does not need it installed. A bad client option (e.g. an axios
 * `baseURL` on another origin) fails with its full path (`upstreams.payments.axios.baseURL`).
 */
async function loadClient(name: string, token: string, build: () => Promise<unknown>): Promise<unknown> {
  try {
    return await build();
  } catch (error) {
    if (!(error instanceof MissingPeerError)) throw prefixOptionError(error, upstreamPath(name));
    if (isRequested(token)) throw error;
    return missingClient(error);
  }
}

/** Properties Nest, Promise resolution and inspectors probe on any provider value. */
const PROBED = new Set([
  'then',
  'constructor',
  'toJSON',
  'onModuleInit',
  'onApplicationBootstrap',
  'onModuleDestroy',
  'beforeApplicationShutdown',
  'onApplicationShutdown',
  'asymmetricMatch',
  '$$typeof',
  'nodeType',
]);

function missingClient(error: MissingPeerError): unknown {
  const fail = (): never => {
    throw error;
  };
  return new Proxy(function missingPeerClient() {}, {
    get: (_target, property) => (typeof property === 'symbol' || PROBED.has(property) ? undefined : fail()),
    apply: fail,
  });
}
