import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { createAgent, type Agent, type Upstream } from '@steady/core';
import { startFaultServer, type FaultServer } from '@steady/fault-server';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getAgentToken, InjectAgent, InjectUpstream, SteadyModule } from '../src/index.ts';

@Injectable()
class RatesClient {
  readonly agent: Agent;
  constructor(@InjectAgent() agent: Agent) {
    this.agent = agent;
  }
  async rate(url: string): Promise<unknown> {
    const res = await this.agent.fetch(url);
    return res.json();
  }
}

@Injectable()
class Both {
  readonly agent: Agent;
  readonly payments: Upstream;
  constructor(@InjectAgent() agent: Agent, @InjectUpstream('payments') payments: Upstream) {
    this.agent = agent;
    this.payments = payments;
  }
}

let a: FaultServer;
let b: FaultServer;
let moduleRef: TestingModule | undefined;

beforeEach(async () => {
  [a, b] = await Promise.all([
    startFaultServer({ routes: { '/rate': { body: { json: { rate: 1.1 } } } } }),
    startFaultServer({ routes: { '/rate': { body: { json: { rate: 2.2 } } } } }),
  ]);
});

afterEach(async () => {
  await moduleRef?.close();
  moduleRef = undefined;
  await Promise.all([a.close(), b.close()]);
});

describe('SteadyModule: the agent', () => {
  it('forRoot({ agent, upstreams }): @InjectAgent() reaches any origin; named upstreams keep working', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        SteadyModule.forRoot({
          agent: { defaults: { retry: false }, origins: { [b.origin]: { timeouts: { total: 2_000 } } } },
          upstreams: { payments: { origin: a.url } },
        }),
      ],
      providers: [RatesClient, Both],
    }).compile();
    const rates = moduleRef.get(RatesClient);
    expect(await rates.rate(`${a.url}/rate`)).toEqual({ rate: 1.1 });
    expect(await rates.rate(`${b.url}/rate`)).toEqual({ rate: 2.2 });
    const both = moduleRef.get(Both);
    expect(both.agent).toBe(rates.agent);
    expect(moduleRef.get(getAgentToken())).toBe(rates.agent);
    expect(getAgentToken()).toBe('steady:agent');
    expect(both.agent.upstream(b.origin).options.timeouts.total).toBe(2_000);
    expect(both.agent.upstream(a.origin).options.retry).toBe(false);
    const res = await both.payments.request('/rate');
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(both.payments.stats().calls.requests).toBe(1);
  });

  it('shutdown drains the agent with the named upstreams', async () => {
    a.route('/slow', { latency: 200, body: { json: { late: true } } });
    moduleRef = await Test.createTestingModule({
      imports: [SteadyModule.forRoot({ upstreams: { payments: { origin: b.url } } })],
      providers: [Both],
    }).compile();
    const { agent, payments } = moduleRef.get(Both);
    const slow = agent.fetch(`${a.url}/slow`);
    for (let i = 0; i < 200 && a.counters().requests === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const closing = moduleRef.close();
    moduleRef = undefined;
    const res = await slow;
    expect(await res.json()).toEqual({ late: true });
    await closing;
    expect(agent.state).toBe('closed');
    expect(payments.state).toBe('closed');
    for (let i = 0; i < 200 && a.openSockets() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(a.openSockets()).toBe(0);
  });

  it('forRootAsync: the factory returns the agent options; bad ones name their path', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        SteadyModule.forRootAsync({ upstreams: [], useFactory: () => ({ agent: { allowOrigins: [a.origin] } }) }),
      ],
      providers: [RatesClient],
    }).compile();
    const rates = moduleRef.get(RatesClient);
    expect(await rates.rate(`${a.url}/rate`)).toEqual({ rate: 1.1 });
    await expect(rates.rate(`${b.url}/rate`)).rejects.toMatchObject({
      cause: { code: 'STEADY_ORIGIN_REFUSED' },
    });
    expect(b.counters().connections).toBe(0);

    await expect(
      Test.createTestingModule({ imports: [SteadyModule.forRoot({ agent: { maxOrigins: 0 } })] }).compile(),
    ).rejects.toThrow('`agent.maxOrigins` must be an integer in 1…10000 (received 0)');
  });

  it('overrideProvider(getAgentToken()): app code tested on a MockAgent with every policy applied', async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    const rates = mock.get('https://rates.example.com');
    rates.intercept({ path: '/rate', method: 'GET' }).reply(503, 'busy');
    rates.intercept({ path: '/rate', method: 'GET' }).reply(200, { rate: 9.9 });
    const testAgent = createAgent({ defaults: { transport: mock, retry: { baseDelay: 1, budget: false } } });
    moduleRef = await Test.createTestingModule({
      imports: [SteadyModule.forRoot({})],
      providers: [RatesClient],
    })
      .overrideProvider(getAgentToken())
      .useValue(testAgent)
      .compile();
    expect(await moduleRef.get(RatesClient).rate('https://rates.example.com/rate')).toEqual({ rate: 9.9 });
    expect(testAgent.stats().totals.retries).toBe(1);
    await testAgent.close();
    await mock.close();
  });
});
