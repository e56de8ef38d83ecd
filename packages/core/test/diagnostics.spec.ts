import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import {
  liveUpstreams,
  STEADY_CHANNELS,
  type AttemptTraceMessage,
  type CallTraceMessage,
  type UpstreamLifecycleMessage,
  type UpstreamSocketMessage,
} from '../src/index.ts';
import { callsInContext } from '../src/events/diagnostics.ts';
import { useHarness } from './harness.ts';

const { server, upstream } = useHarness();
const unsubscribe: Array<() => void> = [];
afterEach(() => {
  for (const off of unsubscribe.splice(0)) off();
});

function listen<T>(name: string): T[] {
  const seen: T[] = [];
  const onMessage = (message: unknown) => seen.push(message as T);
  diagnostics.subscribe(name, onMessage);
  unsubscribe.push(() => diagnostics.unsubscribe(name, onMessage));
  return seen;
}

function trace<T extends object>(name: string): Array<[string, T]> {
  const seen: Array<[string, T]> = [];
  const channel = diagnostics.tracingChannel<object, T>(name);
  const handlers = Object.fromEntries(
    (['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const).map((event) => [
      event,
      (message: T) => seen.push([event, { ...message }]),
    ]),
  ) as unknown as Parameters<typeof channel.subscribe>[0];
  channel.subscribe(handlers);
  unsubscribe.push(() => channel.unsubscribe(handlers));
  return seen;
}

describe('diagnostics channels', () => {
  it('announce upstreams created and closed, and keep a registry of live ones', async () => {
    const created = listen<UpstreamLifecycleMessage>(STEADY_CHANNELS.upstreamCreated);
    const closed = listen<UpstreamLifecycleMessage>(STEADY_CHANNELS.upstreamClosed);
    const s = await server();
    const up = upstream({ name: 'registry', origin: s.url });
    expect(created.map((m) => m.upstream)).toEqual([up]);
    expect(liveUpstreams()).toContain(up);
    await up.close();
    expect(closed.map((m) => m.upstream)).toEqual([up]);
    expect(liveUpstreams()).not.toContain(up);
  });

  it('publish each pool socket with its upstream', async () => {
    const sockets = listen<UpstreamSocketMessage>(STEADY_CHANNELS.upstreamSocket);
    const s = await server();
    const up = upstream({ origin: s.url });
    await (await up.request('/x')).body.dump();
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.upstream).toBe(up);
    expect(sockets[0]!.socket.remotePort).toBe(s.port);
  });

  it('trace a logical call: attempts, outcome and status, once per call', async () => {
    const calls = trace<CallTraceMessage>(STEADY_CHANNELS.call);
    const attempts = trace<AttemptTraceMessage>(STEADY_CHANNELS.attempt);
    const s = await server({ routes: { '/flaky': [{ status: 503 }, { status: 503 }, { status: 200 }] } });
    const up = upstream({ origin: s.url, retry: { retries: 2, baseDelay: 1, budget: false } });
    await (await up.request('/flaky')).body.dump();
    expect(calls.map(([event]) => event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(calls.at(-1)![1]).toMatchObject({
      upstream: up,
      method: 'GET',
      attempts: 3,
      outcome: 'success',
      status: 200,
    });
    expect(attempts.filter(([event]) => event === 'asyncEnd').map(([, m]) => [m.attempt, m.status])).toEqual([
      [0, 503],
      [1, 503],
      [2, 200],
    ]);
  });

  it('trace a refused call with no attempt and its typed error', async () => {
    const calls = trace<CallTraceMessage>(STEADY_CHANNELS.call);
    const s = await server();
    const up = upstream({ origin: s.url });
    up.breaker!.isolate();
    await expect(up.request('/x')).rejects.toMatchObject({ code: 'STEADY_CIRCUIT_OPEN' });
    expect(calls.map(([event]) => event)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(calls.at(-1)![1]).toMatchObject({ attempts: 0, outcome: 'error', error: { code: 'STEADY_CIRCUIT_OPEN' } });
  });

  it('run the call in the context a start subscriber asks for', async () => {
    const store = new AsyncLocalStorage<string>();
    const channel = diagnostics.tracingChannel<object, CallTraceMessage>(STEADY_CHANNELS.call);
    const ignore = () => {};
    const handlers = {
      start: (message: CallTraceMessage) => {
        message.runInContext = (run) => store.run('traced', run);
      },
      end: ignore,
      asyncStart: ignore,
      asyncEnd: ignore,
      error: ignore,
    };
    channel.subscribe(handlers);
    unsubscribe.push(() => channel.unsubscribe(handlers));
    const s = await server();
    const up = upstream({ origin: s.url });
    const seen = await up.execute(async () => store.getStore());
    expect(seen).toBe('traced');
    expect(callsInContext.count).toBe(0);
  });

  it('run the call inside a store bound to the start channel (bindStore), as tracePromise does', async () => {
    const store = new AsyncLocalStorage<{ call: string }>();
    const channel = diagnostics.tracingChannel<{ call: string }, CallTraceMessage>(STEADY_CHANNELS.call);
    channel.start.bindStore(store, (message) => ({ call: message.method }));
    unsubscribe.push(() => channel.start.unbindStore(store));
    const s = await server();
    const up = upstream({ origin: s.url });
    expect(await up.execute(async () => store.getStore(), { method: 'PUT' })).toEqual({ call: 'PUT' });
    expect(store.getStore()).toBeUndefined();
  });

  it('publish a call whose subscriber context throws as a rejected call: it settles, nothing escapes', async () => {
    const calls = trace<CallTraceMessage>(STEADY_CHANNELS.call);
    const channel = diagnostics.tracingChannel<object, CallTraceMessage>(STEADY_CHANNELS.call);
    const boom = new Error('context refused');
    const handlers = {
      start: (message: CallTraceMessage) => {
        message.runInContext = () => {
          throw boom;
        };
      },
    } as unknown as Parameters<typeof channel.subscribe>[0];
    channel.subscribe(handlers);
    unsubscribe.push(() => channel.unsubscribe(handlers));
    const s = await server();
    const up = upstream({ origin: s.url });
    let attempts = 0;
    const running = up.execute(async () => ++attempts);
    await expect(running).rejects.toBe(boom);
    expect(attempts).toBe(0);
    expect(calls.map(([event]) => event)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(calls.at(-1)![1]).toMatchObject({ outcome: 'error', error: boom });
    expect(callsInContext.count).toBe(0);
    expect(up.inFlight).toBe(0);
  });

  it('publish the events a subscriber listens to and no others', async () => {
    const channel = diagnostics.tracingChannel<object, CallTraceMessage>(STEADY_CHANNELS.call);
    const seen: string[] = [];
    const handlers = {
      asyncEnd: (message: CallTraceMessage) => seen.push(`${message.outcome} ${message.status}`),
    } as unknown as Parameters<typeof channel.subscribe>[0];
    channel.subscribe(handlers);
    unsubscribe.push(() => channel.unsubscribe(handlers));
    const s = await server();
    const up = upstream({ origin: s.url });
    await (await up.request('/x')).body.dump();
    expect(seen).toEqual(['success 200']);
  });
});
