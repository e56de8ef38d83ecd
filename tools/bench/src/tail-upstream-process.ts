/**
 * The upstream of the `hedge` and `h2` sections, in its own process: one `node:http2`
 * secure server with `allowHTTP1`, so HTTP/1.1 (ALPN `http/1.1`) and HTTP/2 (ALPN `h2`)
 * clients reach the very same server. Every path answers a 1 KiB JSON document; `/tail`
 * holds 1 % of its responses (chosen at random, per request) for `TAIL_MS` ms. Counts requests
 * and connections; IPC: `{ cmd: 'counters' | 'reset' }` → counters; ready message `{ port }`.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { DEFAULT_BODY, TEST_TLS } from '@steady/fault-server';

const TAIL_MS = Number(process.env.STEADY_BENCH_TAIL_MS ?? 1_000);
const TAIL_RATE = Number(process.env.STEADY_BENCH_TAIL_RATE ?? 0.01);
const counters = { requests: 0, connections: 0, slow: 0 };

const server = http2.createSecureServer({ ...TEST_TLS, allowHTTP1: true, settings: { maxConcurrentStreams: 1_000 } });
server.on('secureConnection', () => counters.connections++);
server.on('request', (req, res) => {
  counters.requests++;
  req.resume();
  const slow = req.url?.startsWith('/tail') === true && Math.random() < TAIL_RATE;
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
  if (message.cmd === 'reset') Object.assign(counters, { requests: 0, connections: 0, slow: 0 });
  process.send?.({ counters: { ...counters } });
});
process.on('disconnect', () => process.exit(0));
