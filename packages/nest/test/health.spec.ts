import 'reflect-metadata';
import { Controller, Get, Inject, type LoggerService } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Upstream } from '@steady/core';
import { startFaultServer, type FaultServer } from '@steady/fault-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statusOf } from '../src/steady-health.indicator.ts';
import { getUpstreamToken, SteadyHealthIndicator, SteadyModule } from '../src/index.ts';

@Controller('health')
class HealthController {
  private readonly health: HealthCheckService;
  private readonly steady: SteadyHealthIndicator;
  constructor(
    @Inject(HealthCheckService) health: HealthCheckService,
    @Inject(SteadyHealthIndicator) steady: SteadyHealthIndicator,
  ) {
    this.health = health;
    this.steady = steady;
  }

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.steady.isHealthy()]);
  }
}

/** Terminus' logger for these tests: keeps what it is told, so expected errors are asserted, not printed. */
class CapturingLogger implements LoggerService {
  static readonly errors: string[] = [];
  log(): void {}
  warn(): void {}
  error(message: unknown): void {
    CapturingLogger.errors.push(String(message));
  }
}

let server: FaultServer;
let ref: TestingModule;

beforeEach(async () => {
  CapturingLogger.errors.length = 0;
  server = await startFaultServer();
  ref = await Test.createTestingModule({
    imports: [
      TerminusModule.forRoot({ logger: CapturingLogger }),
      SteadyModule.forRoot({ upstreams: { payments: { origin: server.url }, orders: { origin: server.url } } }),
    ],
    controllers: [HealthController],
  }).compile();
});

afterEach(async () => {
  await ref.close();
  await server.close();
});

describe('SteadyHealthIndicator', () => {
  it('reports every upstream up, with its breaker state and pool figures', async () => {
    const result = await ref.get(SteadyHealthIndicator).isHealthy();
    expect(Object.keys(result)).toEqual(['payments', 'orders']);
    expect(result['payments']).toMatchObject({
      status: 'up',
      state: 'open',
      inFlight: 0,
      pool: { connections: expect.any(Number), connected: 0, free: 0, pending: 0, running: 0, size: 0 },
    });
    expect(await ref.get(HealthController).check()).toMatchObject({ status: 'ok', error: {} });
    expect(CapturingLogger.errors).toEqual([]);
  });

  it('reports one upstream by name, and rejects an unknown name', async () => {
    const result = await ref.get(SteadyHealthIndicator).isHealthy('orders');
    expect(Object.keys(result)).toEqual(['orders']);
    await expect(ref.get(SteadyHealthIndicator).isHealthy('nope')).rejects.toThrow(/no upstream named "nope"/);
  });

  it('is down when a breaker is open (isolated), and the health check fails with 503', async () => {
    const payments = ref.get<Upstream>(getUpstreamToken('payments'));
    expect(payments.breaker).not.toBeNull();
    payments.breaker?.isolate();
    const result = await ref.get(SteadyHealthIndicator).isHealthy();
    expect(result['payments']).toMatchObject({ status: 'down', breaker: 'isolated' });
    expect(result['orders']).toMatchObject({ status: 'up', breaker: 'closed' });
    const failure = await ref
      .get(HealthController)
      .check()
      .catch((caught: unknown) => caught as { getStatus(): number; getResponse(): { error: Record<string, unknown> } })
      .then((value) => value as unknown as { getStatus(): number; getResponse(): { error: Record<string, unknown> } });
    expect(failure.getStatus()).toBe(503);
    expect(Object.keys(failure.getResponse().error)).toEqual(['payments']);
    expect(CapturingLogger.errors).toEqual([expect.stringMatching(/Health Check has failed!.*"payments"/s)]);
    payments.breaker?.reset();
    expect((await ref.get(SteadyHealthIndicator).isHealthy('payments'))['payments']?.status).toBe('up');
  });

  it('is down once the upstream is closing or closed', async () => {
    await ref.get<Upstream>(getUpstreamToken('orders')).close();
    const result = await ref.get(SteadyHealthIndicator).isHealthy();
    expect(result['orders']).toMatchObject({ status: 'down', state: 'closed' });
  });

  it('maps breaker and upstream states to up / degraded / down', () => {
    const base = {
      state: 'open' as const,
      inFlight: 0,
      pool: { connections: 1, connected: 0, free: 0, pending: 0, running: 0, size: 0 },
    };
    expect(statusOf({ ...base, breaker: null })).toBe('up');
    expect(statusOf({ ...base, breaker: 'closed' })).toBe('up');
    expect(statusOf({ ...base, breaker: 'half-open' })).toBe('degraded');
    expect(statusOf({ ...base, breaker: 'open' })).toBe('down');
    expect(statusOf({ ...base, breaker: 'isolated' })).toBe('down');
    expect(statusOf({ ...base, state: 'closing', breaker: 'closed' })).toBe('down');
  });
});
