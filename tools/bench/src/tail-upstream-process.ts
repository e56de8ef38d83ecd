/**
 * The upstream of the `hedge` and `h2` sections, in its own process: one `node:http2`
 * secure server with `allowHTTP1`, so HTTP/1.1 (ALPN `http/1.1`) and HTTP/2 (ALPN `h2`)
 * clients reach the very same server. Every path answers a 1 KiB JSON document; `/tail`
 * (and `/tail/<tag>`) holds 1 % of its responses (each request drawn at random, Bernoulli) for
 * `TAIL_MS` ms. Counts requests, connections, slow responses (also per tag, so that clients
 * running at once are told apart), its own CPU time (µs, user + system) and its longest event-loop
 * delay (ms: a stall of the process, or of the machine under it), since the last reset;
 * IPC: `{ cmd: 'counters' | 'reset' }` → the counters (a reset then zeroes them); ready message `{ port }`.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DEFAULT_BODY, TEST_TLS } from '@steady/fault-server';

const TAIL_MS = Number(process.env.STEADY_BENCH_TAIL_MS ?? 1_000);
const TAIL_RATE = Number(process.env.STEADY_BENCH_TAIL_RATE ?? 0.01);
const counters = { requests: 0, connections: 0, slow: 0 };
let byTag: Record<string, { requests: number; slow: number }> = {};
let cpuAtReset = process.cpuUsage();
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

const server = http2.createSecureServer({ ...TEST_TLS, allowHTTP1: true, settings: { maxConcurrentStreams: 1_000 } });
server.on('secureConnection', () => counters.connections++);
server.on('request', (req, res) => {
  counters.requests++;
  req.resume();
  const url = req.url ?? '';
  const slow = url.startsWith('/tail') && Math.random() < TAIL_RATE;
  if (url.startsWith('/tail/')) {
    const tag = (byTag[url.slice(6)] ??= { requests: 0, slow: 0 });
    tag.requests++;
    if (slow) tag.slow++;
  }
  const answer = (): void => {
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(DEFAULT_BODY);
  };
  if (slow) {
    counters.slow++;
    const timer = setTimeout(answer, TAIL_MS);
    res.on('close', () => clearTimeout(timer));
  } else answer();
});
server.on('sessionError', () => {});
server.on('clientError', () => {});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('message', (message: { cmd: string }) => {
  const cpu = process.cpuUsage(cpuAtReset);
  const loopDelayMaxMs = loopDelay.max / 1e6;
  process.send?.({ counters: { ...counters, byTag, cpuMicros: cpu.user + cpu.system, loopDelayMaxMs } });
  if (message.cmd === 'reset') {
    loopDelay.reset();
    Object.assign(counters, { requests: 0, connections: 0, slow: 0 });
    byTag = {};
    cpuAtReset = process.cpuUsage();
  }
});
process.on('disconnect', () => process.exit(0));
