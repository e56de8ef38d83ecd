import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Fleet, FleetMember, Upstream } from '@steady/core';
import { startFaultServer, type FaultServer } from '@steady/fault-server';
import type { AxiosInstance } from 'axios';
import type { KyInstance } from 'ky';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  getAxiosToken,
  getKyToken,
  getUpstreamToken,
  InjectAxios,
  InjectKy,
  InjectUpstream,
  SteadyModule,
  SteadyUpstreams,
  type SteadyModuleOptions,
  type SteadyOptionsFactory,
} from '../src/index.ts';

@Injectable()
class PaymentsClient {
  readonly upstream: Upstream;
  readonly http: AxiosInstance;
  readonly api: KyInstance;
  constructor(
    @InjectUpstream('payments') upstream: Upstream,
    @InjectAxios('payments') http: AxiosInstance,
    @InjectKy('payments') api: KyInstance,
  ) {
    this.upstream = upstream;
    this.http = http;
    this.api = api;
  }
}

@Injectable()
class SteadyConfig implements SteadyOptionsFactory {
  private readonly config: ConfigService;
  constructor(@Inject(ConfigService) config: ConfigService) {
    this.config = config;
  }
  createSteadyOptions(): SteadyModuleOptions {
    return { upstreams: { payments: { origin: this.config.getOrThrow<string>('PAYMENTS_URL') } } };
  }
}

@Module({ imports: [ConfigModule], providers: [SteadyConfig], exports: [SteadyConfig] })
class SteadyConfigModule {}

let server: FaultServer;
let moduleRef: TestingModule | undefined;

beforeEach(async () => {
  server = await startFaultServer({ routes: { '/ok': { body: { json: { ok: true } } } } });
});

afterEach(async () => {
  await moduleRef?.close();
  moduleRef = undefined;
  await server.close();
});

function config() {
  return ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ PAYMENTS_URL: server.url })] });
}

async function compile(imports: unknown[], providers: unknown[] = [PaymentsClient]): Promise<TestingModule> {
  moduleRef = await Test.createTestingModule({ imports, providers } as never).compile();
  return moduleRef;
}

describe('SteadyModule.forRoot', () => {
  it('provides the upstream, an axios and a ky instance per name, and the registry', async () => {
    const ref = await compile([
      SteadyModule.forRoot({ upstreams: { payments: { origin: server.url }, orders: { origin: server.url } } }),
    ]);
    const client = ref.get(PaymentsClient);
    expect(client.upstream.name).toBe('payments');
    expect(client.upstream.origin).toBe(server.url);
    expect(ref.get(getUpstreamToken('payments'))).toBe(client.upstream);
    expect(ref.get(getAxiosToken('payments'))).toBe(client.http);
    expect(ref.get(getKyToken('payments'))).toBe(client.api);
    expect(ref.get(getUpstreamToken('orders')).name).toBe('orders');
    expect(getUpstreamToken('payments')).toBe('steady:upstream:payments');
    expect(ref.get(SteadyUpstreams).names()).toEqual(['payments', 'orders']);
  });

  it('the axios and ky clients of a name run on that one upstream: one pool, one set of counters', async () => {
    const ref = await compile([
      SteadyModule.forRoot({ upstreams: { payments: { origin: server.url }, orders: { origin: server.url } } }),
    ]);
    const { upstream, http, api } = ref.get(PaymentsClient);
    expect((await http.get('/ok')).data).toEqual({ ok: true });
    expect(upstream.stats().calls.requests).toBe(1);
    expect(await api.get('ok').json()).toEqual({ ok: true });
    const response = await upstream.request('/ok');
    await response.body.dump();
    const stats = upstream.stats();
    expect(stats.calls.requests).toBe(3);
    expect(stats.calls.succeeded).toBe(3);
    // Every socket the server saw was opened by this upstream's pool; the other upstream is untouched.
    expect(stats.pool.socketsOpened).toBe(server.counters().connections);
    expect(ref.get<Upstream>(getUpstreamToken('orders')).stats().calls.requests).toBe(0);
  });

  it('passes a fleet (e.g. redisFleet from @steady/redis) through to the upstream, which leaves it on shutdown', async () => {
    const joined: FleetMember[] = [];
    let left = 0;
    const fleet: Fleet = {
      join: (member) => {
        joined.push(member);
        return {
          opened: () => {},
          closed: () => {},
          isolated: () => {},
          reset: () => {},
          tryProbe: () => true,
          connected: true,
          stats: () => ({ connected: true, instances: 3, lastSyncAgeMs: 12 }),
          leave: () => void left++,
        };
      },
    };
    const ref = await compile([SteadyModule.forRoot({ upstreams: { payments: { origin: server.url, fleet } } })]);
    const { upstream } = ref.get(PaymentsClient);
    expect(joined.map((m) => m.upstream)).toEqual(['payments']);
    expect(joined[0]!.breaker).not.toBeNull();
    expect(joined[0]!.budget).not.toBeNull();
    expect(upstream.stats().fleet).toEqual({ connected: true, instances: 3, lastSyncAgeMs: 12 });
    await ref.close();
    moduleRef = undefined;
    expect(left).toBe(1);
  });

  it('isGlobal: a module that does not import SteadyModule can inject its upstreams', async () => {
    @Module({ providers: [PaymentsClient], exports: [PaymentsClient] })
    class FeatureModule {}
    const ref = await compile(
      [SteadyModule.forRoot({ upstreams: { payments: { origin: server.url } }, isGlobal: true }), FeatureModule],
      [],
    );
    expect(ref.get(PaymentsClient).upstream.name).toBe('payments');
  });

  it('closes every upstream when the application closes', async () => {
    const ref = await compile([SteadyModule.forRoot({ upstreams: { payments: { origin: server.url } } })]);
    const upstream = ref.get(PaymentsClient).upstream;
    await ref.close();
    moduleRef = undefined;
    expect(upstream.state).toBe('closed');
    await expect(upstream.request('/ok')).rejects.toMatchObject({ code: 'STEADY_CLOSED' });
  });
});

describe('SteadyModule.forRootAsync with ConfigService', () => {
  it('useFactory', async () => {
    const ref = await compile([
      config(),
      SteadyModule.forRootAsync({
        upstreams: ['payments'],
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: (cfg: ConfigService) => ({
          upstreams: { payments: { origin: cfg.getOrThrow<string>('PAYMENTS_URL') } },
        }),
      }),
    ]);
    const { upstream, http } = ref.get(PaymentsClient);
    expect(upstream.origin).toBe(server.url);
    expect((await http.get('/ok')).status).toBe(200);
  });

  it('useClass', async () => {
    const ref = await compile([
      config(),
      SteadyModule.forRootAsync({ upstreams: ['payments'], imports: [ConfigModule], useClass: SteadyConfig }),
    ]);
    expect(ref.get(PaymentsClient).upstream.origin).toBe(server.url);
  });

  it('useExisting', async () => {
    const ref = await compile([
      config(),
      SteadyModule.forRootAsync({ upstreams: ['payments'], imports: [SteadyConfigModule], useExisting: SteadyConfig }),
    ]);
    expect(ref.get(PaymentsClient).upstream.origin).toBe(server.url);
  });
});

describe('bootstrap errors name the option', () => {
  const cases: Array<[string, () => unknown, string]> = [
    [
      'an invalid upstream option',
      () =>
        SteadyModule.forRoot({ upstreams: { payments: { origin: 'http://127.0.0.1:1', pool: { connections: 0 } } } }),
      'upstreams.payments.pool.connections',
    ],
    [
      'an invalid origin',
      () => SteadyModule.forRoot({ upstreams: { payments: { origin: 'ftp://example.com' } } }),
      'upstreams.payments.origin',
    ],
    [
      'an invalid name',
      () => SteadyModule.forRoot({ upstreams: { 'bad name': { origin: 'http://127.0.0.1:1' } } }),
      'upstreams["bad name"]',
    ],
    [
      'a duplicate name in forRootAsync',
      () =>
        SteadyModule.forRootAsync({
          upstreams: ['payments', 'payments'],
          useFactory: () => ({ upstreams: { payments: { origin: 'http://127.0.0.1:1' } } }),
        }),
      'upstreams[1]',
    ],
    [
      'an invalid name in forRootAsync',
      () => SteadyModule.forRootAsync({ upstreams: ['steady:x'], useFactory: () => ({ upstreams: {} }) }),
      'upstreams[0]',
    ],
    [
      'forRootAsync without the list of names',
      () => SteadyModule.forRootAsync({ useFactory: () => ({ upstreams: {} }) } as never),
      'upstreams',
    ],
    [
      'a name missing from the factory result',
      () =>
        SteadyModule.forRootAsync({
          upstreams: ['payments', 'orders'],
          useFactory: () => ({ upstreams: { payments: { origin: 'http://127.0.0.1:1' } } }),
        }),
      'upstreams.orders',
    ],
    [
      'a name the factory returns but forRootAsync did not list',
      () =>
        SteadyModule.forRootAsync({
          upstreams: [],
          useFactory: () => ({ upstreams: { extra: { origin: 'http://127.0.0.1:1' } } }),
        }),
      'upstreams.extra',
    ],
    [
      'an axios baseURL on another origin',
      () =>
        SteadyModule.forRoot({
          upstreams: { payments: { origin: 'http://127.0.0.1:1', axios: { baseURL: 'http://elsewhere.example/' } } },
        }),
      'upstreams.payments.axios.baseURL',
    ],
    [
      'an invalid option from the async factory',
      () =>
        SteadyModule.forRootAsync({
          upstreams: ['payments'],
          useFactory: async () => ({
            upstreams: { payments: { origin: 'http://127.0.0.1:1', timeouts: { total: -5 } } },
          }),
        }),
      'upstreams.payments.timeouts.total',
    ],
  ];

  it.each(cases)('%s', async (_title, build, option) => {
    const error = await Test.createTestingModule({ imports: [build() as never] })
      .compile()
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toMatchObject({ code: 'STEADY_INVALID_OPTION', option });
    expect((error as Error).message).toContain(`\`${option}\``);
  });

  it("keeps core's message and the original error as cause", async () => {
    const error = await Test.createTestingModule({
      imports: [
        SteadyModule.forRoot({ upstreams: { payments: { origin: 'http://127.0.0.1:1', pool: { connections: 0 } } } }),
      ],
    })
      .compile()
      .then(
        () => new Error('compiled') as Error & { cause: { option: string } },
        (caught: unknown) => caught as Error & { cause: { option: string } },
      );
    expect(error.message).toMatch(/^`upstreams\.payments\.pool\.connections` must be an integer in .+ \(received 0\)$/);
    expect(error.cause.option).toBe('pool.connections');
  });
});
