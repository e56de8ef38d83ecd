/**
 * The framework floors, in a fresh Node process pinned to the client core: what axios and ky
 * cost per call on their own, with the network taken away. Each runs the bench's very call
 * (`api.get(path, { signal })` for axios; `ky.get(url, { signal }).json()` for ky) against a
 * transport that answers at once with the bench's 1 KiB JSON document: axios with an adapter
 * that returns the body text (axios still parses it), ky with a `fetch` that returns a new
 * `Response` (ky and the `Response` still parse it). Prints one JSON line:
 * `{ axios, ky, response, breakerOpen }` in client CPU µs per call (`response`: building and
 * reading one `Response` alone; `breakerOpen`: one `upstream.request()` refused by an open
 * breaker, Steady core's fail-fast path). Every loop is bounded in count.
 */
import axios from 'axios';
import ky from 'ky';
import { createUpstream } from '@steady/core';
import { DEFAULT_BODY } from '@steady/fault-server';

const CALLS = Number(process.argv[2] ?? 20_000);
const WARMUP = Math.min(5_000, CALLS);
const CONCURRENCY = 64;
const ORIGIN = 'http://127.0.0.1:9';
const text = DEFAULT_BODY.toString();
const headers = { 'content-type': 'application/json' };

/** CPU µs per call of `calls` calls of `call`, 64 at a time (as the throughput runs). */
async function cpuPerCall(call: (signal: AbortSignal) => Promise<unknown>, calls: number): Promise<number> {
  const signal = new AbortController().signal;
  let left = calls;
  const worker = async (): Promise<void> => {
    while (left-- > 0) await call(signal);
  };
  const t0 = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / calls;
}

async function measure(call: (signal: AbortSignal) => Promise<unknown>): Promise<number> {
  await cpuPerCall(call, WARMUP);
  (globalThis as { gc?: () => void }).gc?.();
  return cpuPerCall(call, CALLS);
}

const api = axios.create({
  baseURL: ORIGIN,
  adapter: (config) => Promise.resolve({ data: text, status: 200, statusText: 'OK', headers, config, request: {} }),
});
const kyApi = ky.create({ fetch: () => Promise.resolve(new Response(text, { headers })) });

const upstream = createUpstream({ origin: ORIGIN });
upstream.breaker!.isolate();

const floors = {
  axios: await measure((signal) => api.get('/data', { signal })),
  ky: await measure((signal) => kyApi.get(`${ORIGIN}/data`, { signal }).json()),
  response: await measure(() => new Response(text, { headers }).json()),
  breakerOpen: await measure((signal) => upstream.request('/data', { signal }).catch(() => undefined)),
};
await upstream.destroy();
process.stdout.write(`${JSON.stringify(floors)}\n`);
