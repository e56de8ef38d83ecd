import { request as undiciRequest } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  createAgent,
  isClosedError,
  isInvalidOptionError,
  isInvalidRequestError,
  isOriginRefusedError,
  type AgentEvents,
  type AgentOptions,
  type Fleet,
  type FleetMember,
  type FleetMembership,
} from '../src/index.ts';
import { rejection, useHarness, waitFor } from './harness.ts';

const { server, agent: agentFor } = useHarness();

describe('createAgent: every origin on its own upstream', () => {
  it('routes three real origins to three upstreams; a failing one opens its breaker, the others are untouched', async () => {
    const [a, b, failing] = await Promise.all([server(), server(), server()]);
    failing.route('/x', { status: 503 });
    const agent = agentFor({
      defaults: { retry: false, breaker: { consecutiveFailures: 3, openFor: 60_000 } },
    });
    const breakerChanges: AgentEvents['breakerStateChange'][] = [];
    agent.on('breakerStateChange', (e) => breakerChanges.push(e));

    for (let i = 0; i < 5; i++) {
      for (const s of [a, b]) {
        const res = await agent.request(`${s.url}/x`);
        expect(res.statusCode).toBe(200);
        await res.body.dump();
      }
    }
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      try {
        const res = await agent.request(`${failing.url}/x`);
        codes.push(String(res.statusCode));
        await res.body.dump();
      } catch (error) {
        codes.push((error as { code: string }).code);
      }
    }
    // Three 503s open the breaker; the rest fail fast without reaching the server.
    expect(codes).toEqual(['503', '503', '503', 'STEADY_CIRCUIT_OPEN', 'STEADY_CIRCUIT_OPEN', 'STEADY_CIRCUIT_OPEN']);
    expect(failing.counters().requests).toBe(3);
    expect(breakerChanges).toEqual([expect.objectContaining({ origin: failing.origin, to: 'open' })]);

    // The healthy origins still answer, their breakers closed.
    const res = await agent.request(`${a.url}/after`);
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const stats = agent.stats();
    expect(Object.keys(stats.origins).sort()).toEqual([a.origin, b.origin, failing.origin].sort());
    expect(stats.origins[a.origin]!.breaker!.state).toBe('closed');
    expect(stats.origins[b.origin]!.breaker!.state).toBe('closed');
    expect(stats.origins[failing.origin]!.breaker!.state).toBe('open');
    expect(stats.origins[a.origin]!.calls.requests).toBe(6);
    expect(stats.totals.requests).toBe(6 + 5 + 6);
    expect(stats.liveOrigins).toBe(3);
  });

  it('normalises origins: case, default port and IDN share one upstream', () => {
    const agent = agentFor({ origins: { 'https://A.Example:443': { retry: false } } });
    const one = agent.upstream('https://a.example');
    expect(agent.upstream('https://A.EXAMPLE:443')).toBe(one);
    expect(agent.upstream(new URL('https://a.example/'))).toBe(one);
    expect(one.options.retry).toBe(false);
    expect(agent.upstream('https://bücher.example')).toBe(agent.upstream('https://xn--bcher-kva.example:443'));
    expect(agent.upstream('http://a.example')).not.toBe(one);
    expect(agent.stats().liveOrigins).toBe(3);
  });

  it('merges per-origin overrides per policy over the defaults', () => {
    const agent = agentFor({
      defaults: { retry: { retries: 4, baseDelay: 7 }, timeouts: { total: 1_234 } },
      origins: { 'https://pay.example': { name: 'payments', retry: { retries: 0 }, breaker: false } },
    });
    const pay = agent.upstream('https://pay.example');
    expect(pay.name).toBe('payments');
    expect(pay.options.retry).toMatchObject({ retries: 0, baseDelay: 7 });
    expect(pay.options.breaker).toBe(false);
    expect(pay.options.timeouts.total).toBe(1_234);
    const other = agent.upstream('https://other.example');
    expect(other.name).toBe('https://other.example');
    expect(other.options.retry).toMatchObject({ retries: 4, baseDelay: 7 });
  });

  it('validates options once, naming the path', () => {
    const fail = (options: unknown) => {
      try {
        createAgent(options as AgentOptions);
      } catch (error) {
        expect(isInvalidOptionError(error)).toBe(true);
        return (error as { option: string; message: string }).message;
      }
      throw new Error('expected InvalidOptionError');
    };
    expect(fail({ defaults: { retry: { retries: -1 } } })).toContain(
      '`defaults.retry.retries` must be an integer in 0…10',
    );
    expect(fail({ origins: { 'https://x.example': { pool: { connections: 0 } } } })).toContain(
      "`origins['https://x.example'].pool.connections`",
    );
    expect(fail({ origins: { 'ftp://x.example': {} } })).toContain("`origins['ftp://x.example']`");
    expect(fail({ origins: { 'https://x.example': {}, 'https://X.example:443': {} } })).toContain(
      'one entry per origin',
    );
    expect(
      fail({ origins: { 'https://a.example': { name: 'same' }, 'https://b.example': { name: 'same' } } }),
    ).toContain("`origins['https://b.example'].name` must be a name no other origin has (https://a.example has it)");
    expect(
      fail({ origins: { 'https://a.example': { name: 'https://b.example' }, 'https://b.example': {} } }),
    ).toContain("`origins['https://b.example'].name`");
    expect(fail({ defaults: { fleet: { join: 'no' } } })).toContain('`defaults.fleet`');
    expect(fail({ defaults: { origin: 'https://x.example' } })).toContain('`defaults.origin`');
    expect(fail({ maxOrigins: 0 })).toContain('`maxOrigins` must be an integer in 1…10000');
    expect(fail({ originIdleTimeout: -5 })).toContain('`originIdleTimeout`');
    expect(fail({ allowOrigins: 'https://x.example' })).toContain('`allowOrigins`');
    expect(fail({ allowOrigins: ['https://x.example/path'] })).toContain('`allowOrigins[0]`');
    expect(fail({ maxOrigin: 3 })).toContain('`maxOrigin`');
    const proxy = fail({ defaults: { pool: { proxy: 'socks9://user:hunter2@proxy.example:1080' } } });
    expect(proxy).toContain('`defaults.pool.proxy`');
    expect(proxy).not.toContain('hunter2');
    const unparsable = fail({ defaults: { pool: { proxy: 'http://user:hunter2@[bad' } } });
    expect(unparsable).not.toContain('hunter2');
  });
});

/** A fleet that records who joined and left; its memberships let every probe through. */
function recordingFleet(): Fleet & { members: FleetMember[]; left: string[] } {
  const members: FleetMember[] = [];
  const left: string[] = [];
  return {
    members,
    left,
    join(member): FleetMembership {
      members.push(member);
      return {
        opened() {},
        closed() {},
        isolated() {},
        reset() {},
        tryProbe: () => true,
        connected: true,
        stats: () => ({ connected: true, instances: 2, lastSyncAgeMs: 0 }),
        leave: () => left.push(member.upstream),
      };
    },
  };
}

describe('fleet through the agent: each origin joins under its own upstream name', () => {
  it('defaults.fleet reaches every lazily made upstream; origins[o].fleet replaces it; a peer opening one breaker leaves the others alone', async () => {
    const [a, b, c] = await Promise.all([server(), server(), server()]);
    const shared = recordingFleet();
    const other = recordingFleet();
    const agent = agentFor({
      defaults: { retry: false, fleet: shared },
      origins: { [c.url]: { name: 'payments', fleet: other } },
    });
    for (const s of [a, b, c]) await (await agent.request(`${s.url}/x`)).body.dump();

    // One member per origin, named after the normalised origin (or the explicit name): distinct fleet keys.
    expect(shared.members.map((m) => m.upstream)).toEqual([a.url, b.url]);
    expect(other.members.map((m) => m.upstream)).toEqual(['payments']);
    // The breaker is shared; `retry: false` (from defaults) leaves no retry budget to share.
    expect(shared.members.every((m) => m.breaker !== null && m.budget === null)).toBe(true);
    expect(agent.upstream(c.url).stats().fleet).toMatchObject({ connected: true, instances: 2 });

    // Another instance opened a's breaker: a fails fast without a request, b is untouched.
    const before = a.counters().requests;
    shared.members[0]!.breaker!.open(Date.now() + 60_000, 'opened by a peer');
    expect(await rejection(agent.request(`${a.url}/x`))).toMatchObject({ code: 'STEADY_CIRCUIT_OPEN' });
    expect(a.counters().requests).toBe(before);
    expect((await agent.request(`${b.url}/x`)).statusCode).toBe(200);

    await agent.close();
    expect(shared.left.sort()).toEqual([a.url, b.url].sort());
    expect(other.left).toEqual(['payments']);
  });
});

describe('SSRF guard and bad input: typed errors, nothing sent', () => {
  it('allowOrigins refuses any other origin before DNS or a socket; redirects to it too', async () => {
    const [allowed, other] = await Promise.all([server(), server()]);
    allowed.route('/hop', { redirect: { location: `${other.url}/secret`, status: 302 } });
    const agent = agentFor({ allowOrigins: [allowed.origin, /^https:\/\/[a-z]+\.allowed\.example$/] });

    const refused = await rejection(agent.request(`${other.url}/secret`));
    expect(isOriginRefusedError(refused)).toBe(true);
    expect(refused).toMatchObject({ code: 'STEADY_ORIGIN_REFUSED', reason: 'not-allowed', origin: other.origin });
    // A host that does not resolve is refused just as fast: no DNS lookup is made.
    const started = Date.now();
    const noDns = await rejection(agent.request('http://metadata.invalid/latest'));
    expect(noDns).toMatchObject({ code: 'STEADY_ORIGIN_REFUSED' });
    expect(Date.now() - started).toBeLessThan(100);
    // Through fetch, and through a redirect from an allowed origin.
    const viaFetch = await rejection(agent.fetch(`${other.url}/secret`));
    expect(viaFetch).toBeInstanceOf(TypeError);
    expect((viaFetch as Error).cause).toMatchObject({ code: 'STEADY_ORIGIN_REFUSED' });
    const viaRedirect = await rejection(agent.fetch(`${allowed.url}/hop`));
    expect((viaRedirect as Error).cause).toMatchObject({ code: 'STEADY_ORIGIN_REFUSED', origin: other.origin });
    // Through the undici dispatcher.
    const viaDispatcher = await rejection(undiciRequest(`${other.url}/secret`, { dispatcher: agent.dispatcher }));
    expect(viaDispatcher).toMatchObject({ code: 'STEADY_ORIGIN_REFUSED' });

    expect(other.counters().connections).toBe(0);
    expect(allowed.counters().requests).toBe(1);
    expect(agent.stats().registry.refused).toBe(5);
    expect(agent.upstream('https://api.allowed.example').origin).toBe('https://api.allowed.example');
  });

  it('a predicate that throws refuses (fails closed)', async () => {
    const s = await server();
    const agent = agentFor({
      allowOrigins: () => {
        throw new Error('boom');
      },
    });
    expect(await rejection(agent.request(`${s.url}/`))).toMatchObject({ code: 'STEADY_ORIGIN_REFUSED' });
    expect(s.counters().connections).toBe(0);
  });

  it('relative URLs, other schemes and credentials in the URL are STEADY_INVALID_REQUEST; nothing is sent', async () => {
    const s = await server();
    const agent = agentFor();
    const port = s.port;
    for (const url of ['/relative', 'relative/x', `ftp://127.0.0.1:${port}/x`, `file:///etc/passwd`]) {
      const error = await rejection(agent.request(url));
      expect(isInvalidRequestError(error), url).toBe(true);
    }
    const creds = await rejection(agent.request(`http://user:hunter2@127.0.0.1:${port}/x?token=abc`));
    expect(isInvalidRequestError(creds)).toBe(true);
    expect(String((creds as Error).message)).not.toContain('hunter2');
    expect(String((creds as Error).message)).not.toContain('abc');

    for (const url of ['/relative', `ftp://127.0.0.1:${port}/x`, `http://user:hunter2@127.0.0.1:${port}/x`]) {
      const error = await rejection(agent.fetch(url));
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe('fetch failed');
      expect((error as Error).cause, url).toMatchObject({ code: 'STEADY_INVALID_REQUEST' });
      expect(JSON.stringify(String((error as Error).cause))).not.toContain('hunter2');
    }
    expect(s.counters().connections).toBe(0);
    expect(agent.stats().liveOrigins).toBe(0);
  });
});

describe('maxOrigins and originIdleTimeout', () => {
  it('closes idle upstreams after originIdleTimeout, and makes them again on demand', async () => {
    const s = await server();
    const agent = agentFor({ originIdleTimeout: 50 });
    const res = await agent.request(`${s.url}/x`);
    await res.body.dump();
    expect(agent.stats().liveOrigins).toBe(1);
    await waitFor(() => agent.stats().liveOrigins === 0);
    expect(agent.stats().registry.evicted).toBe(1);
    await waitFor(() => s.openSockets() === 0);
    const again = await agent.request(`${s.url}/x`);
    await again.body.dump();
    expect(agent.stats().registry.created).toBe(2);
  });

  it('when every live upstream is busy, a new origin is refused with a typed error', async () => {
    const [a, b, c] = await Promise.all([server(), server(), server()]);
    a.route('/slow', { latency: 400 });
    b.route('/slow', { latency: 400 });
    const agent = agentFor({ maxOrigins: 2 });
    const slowA = agent.request(`${a.url}/slow`);
    const slowB = agent.request(`${b.url}/slow`);
    await waitFor(() => a.counters().requests === 1 && b.counters().requests === 1);
    const refused = await rejection(agent.request(`${c.url}/x`));
    expect(refused).toMatchObject({ code: 'STEADY_ORIGIN_REFUSED', reason: 'max-origins' });
    expect(c.counters().connections).toBe(0);
    await (await slowA).body.dump();
    await (await slowB).body.dump();
    // Now both are idle: the least recently used one is closed to make room.
    const res = await agent.request(`${c.url}/x`);
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(agent.stats().liveOrigins).toBe(2);
    expect(agent.stats().registry.evicted).toBe(1);
  });
});

describe('dispatcher, events, close', () => {
  it('agent.dispatcher routes undici calls by origin onto the tuned pools', async () => {
    const [a, b] = await Promise.all([server(), server()]);
    const agent = agentFor();
    for (const s of [a, b, a]) {
      const res = await undiciRequest(`${s.url}/x`, { dispatcher: agent.dispatcher });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
    const stats = agent.stats();
    expect(stats.origins[a.origin]!.pool.socketsOpened).toBe(1);
    expect(stats.origins[b.origin]!.pool.socketsOpened).toBe(1);
    expect(a.counters().connections).toBe(1);
  });

  it('close() drains every upstream: in-flight calls finish, sockets close, new calls get STEADY_CLOSED', async () => {
    const [a, b] = await Promise.all([server(), server()]);
    a.route('/slow', { latency: 200 });
    const agent = agentFor();
    const closed: string[] = [];
    agent.on('closed', (e) => closed.push(e.origin));
    const warm = await agent.request(`${b.url}/x`);
    await warm.body.dump();
    const slow = agent.request(`${a.url}/slow`);
    await waitFor(() => a.counters().requests === 1);
    const closing = agent.close();
    expect(agent.state).toBe('closing');
    expect(isClosedError(await rejection(agent.request(`${b.url}/x`)))).toBe(true);
    const res = await slow;
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    await closing;
    expect(agent.state).toBe('closed');
    expect(closed.sort()).toEqual([a.origin, b.origin].sort());
    await waitFor(() => a.openSockets() === 0 && b.openSockets() === 0);
  });
});
