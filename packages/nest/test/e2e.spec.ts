import 'reflect-metadata';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Module } from '@nestjs/common';
import type { Upstream } from '@steady/core';
import { startFaultServer, type FaultServer } from '@steady/fault-server';
import type { AxiosInstance } from 'axios';
import type { KyInstance } from 'ky';
import { Agent, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getUpstreamToken, InjectAxios, InjectKy, InjectUpstream, SteadyModule } from '../src/index.ts';

const CALLS = 200;
// 200 inbound requests through Nest take ~300-400 ms to all reach the upstream on a quiet
// 2-core machine, and well over 1 s on a heavily loaded one; a 4 s upstream latency keeps every
// one of them in flight when the app closes, with room to spare (the test waits for them all).
const LATENCY = 4_000;

@Controller()
class PayController {
  // Property injection: the three clients of one upstream.
  @InjectUpstream('payments') private readonly payments!: Upstream;
  @InjectAxios('payments') private readonly http!: AxiosInstance;
  @InjectKy('payments') private readonly api!: KyInstance;

  @Get('upstream')
  async viaUpstream(): Promise<unknown> {
    return (await this.payments.request('/slow')).body.json();
  }

  @Get('axios')
  async viaAxios(): Promise<unknown> {
    return (await this.http.get('/slow')).data;
  }

  @Get('ky')
  async viaKy(): Promise<unknown> {
    return this.api.get('slow').json();
  }
}

const platforms = [
  ['express', () => new ExpressAdapter()],
  ['fastify', () => new FastifyAdapter()],
] as const;

describe.each(platforms)('a real app on %s', (_platform, createAdapter) => {
  let server: FaultServer;
  let app: INestApplication | undefined;
  let client: Agent;

  beforeEach(async () => {
    server = await startFaultServer({ routes: { '/slow': { latency: LATENCY, body: { json: { paid: true } } } } });
    client = new Agent({ connections: CALLS + 10 });
    @Module({
      imports: [
        SteadyModule.forRoot({
          upstreams: { payments: { origin: server.url, pool: { connections: CALLS + 10 }, bulkhead: false } },
        }),
      ],
      controllers: [PayController],
    })
    class AppModule {}
    app = await NestFactory.create(AppModule, createAdapter(), { logger: false });
    app.enableShutdownHooks();
    await app.listen(0, '127.0.0.1');
  });

  afterEach(async () => {
    await app?.close();
    await client.close();
    await server.close();
  });

  // `reset: true` sends `connection: close`: Node's HTTP server (under Express and Fastify) keeps a
  // keep-alive socket that goes idle after `close()` until its keepAliveTimeout (5 s / 72 s),
  // which would hold `app.close()` that long (see the README, "Shutdown").
  async function get(path: string): Promise<{ status: number; body: unknown }> {
    const response = await request(`${await app!.getUrl()}${path}`, { dispatcher: client, reset: true });
    return { status: response.statusCode, body: await response.body.json() };
  }

  it('serves through the upstream, axios and ky on one pool', async () => {
    server.route('/slow', { body: { json: { paid: true } } });
    for (const path of ['/upstream', '/axios', '/ky']) {
      expect(await get(path)).toEqual({ status: 200, body: { paid: true } });
    }
    expect(app!.get<Upstream>(getUpstreamToken('payments')).stats().calls.requests).toBe(3);
  });

  it(`app.close() during ${CALLS} in-flight calls: every one succeeds, then calls fail with STEADY_CLOSED`, async () => {
    const url = await app!.getUrl();
    const upstream = app!.get<Upstream>(getUpstreamToken('payments'));
    const paths = ['/upstream', '/axios', '/ky'];
    const calls = Array.from({ length: CALLS }, (_, i) => get(paths[i % paths.length]!));
    // Wait (bounded) until every call has reached the fault server: they are all in flight.
    const until = Date.now() + 10_000;
    while (server.counters().requests < CALLS && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(server.counters().requests).toBe(CALLS);
    expect(upstream.stats().inFlight).toBe(CALLS);
    let inFlightAtClosing: number | undefined;
    upstream.on('closing', (event) => (inFlightAtClosing = event.inFlight));

    await app!.close();
    app = undefined;

    const results = await Promise.all(calls);
    expect(results.filter((r) => r.status === 200 && (r.body as { paid?: boolean }).paid === true)).toHaveLength(CALLS);
    expect(upstream.state).toBe('closed');
    // Ordering: the HTTP server closed first and answered every inbound request, so by the time
    // the upstream started draining, none of its calls was left.
    expect(inFlightAtClosing).toBe(0);
    expect(upstream.stats().calls).toMatchObject({ requests: CALLS, succeeded: CALLS, failed: 0 });
    await expect(upstream.request('/slow')).rejects.toMatchObject({ code: 'STEADY_CLOSED' });
    // The pool closed its sockets: the server sees none left open.
    const closedBy = Date.now() + 2_000;
    while (server.openSockets() > 0 && Date.now() < closedBy) await new Promise((r) => setTimeout(r, 10));
    expect(upstream.stats().pool.socketsOpen).toBe(0);
    await expect(request(`${url}/upstream`, { dispatcher: client })).rejects.toThrow();
  });
});
