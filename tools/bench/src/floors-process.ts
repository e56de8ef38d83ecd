/**
 * The framework floors, in a fresh Node process pinned to the client core: what axios and ky
 * cost per call on their own, with the network taken away. Each runs the bench's very call
 * (`api.get(path, { signal })` for axios; `ky.get(url, { signal }).json()` for ky) against a
 * transport that answers at once with the bench's 1 KiB JSON document: axios with an adapter
 * that returns the body text (axios still parses it), ky with a `fetch` that returns a new
 * `Response` (ky and the `Response` still parse it). Prints one JSON line:
 * `{ axios, ky, response, breakerOpen, harness }` in client CPU µs per call (`response`: building
 * and reading one `Response` alone; `breakerOpen`: one `upstream.request()` refused by an open
 * breaker, Steady core's fail-fast path). Each runs in the bench's own load loop (`runLoad`,
 * bounded in count and time, as the throughput rows), and the loop's own cost per call (`harness`,
 * an empty call) is taken off each figure: the throughput rows a floor is compared with already
 * carry it once.
 */
import axios from 'axios';
import ky from 'ky';
import { createUpstream } from '@steady/core';
import { DEFAULT_BODY } from '@steady/fault-server';
import { runLoad } from './load.ts';

const CALLS = Number(process.argv[2] ?? 20_000);
const WARMUP = Math.min(5_000, CALLS);
const CONCURRENCY = 64;
const ORIGIN = 'http://127.0.0.1:9';
const text = DEFAULT_BODY.toString();
const headers = { 'content-type': 'application/json' };

/** CPU µs per call of `call`, 64 in flight as in the throughput runs, after a warm-up and a GC. */
async function measure(call: (signal: AbortSignal) => Promise<unknown>): Promise<number> {
  const run = (total: number) =>
    runLoad((_index, signal) => call(signal), { total, concurrency: CONCURRENCY, timeLimitMs: 30_000 });
  await run(WARMUP);
  (globalThis as { gc?: () => void }).gc?.();
  return (await run(CALLS)).cpuMicrosPerCall;
}

const api = axios.create({
  baseURL: ORIGIN,
  adapter: (config) => Promise.resolve({ data: text, status: 200, statusText: 'OK', headers, config, request: {} }),
});
const kyApi = ky.create({ fetch: () => Promise.resolve(new Response(text, { headers })) });

const upstream = createUpstream({ origin: ORIGIN });
upstream.breaker!.isolate();

const harness = await measure(() => Promise.resolve());
const net = async (call: (signal: AbortSignal) => Promise<unknown>): Promise<number> =>
  Math.max(0, (await measure(call)) - harness);
const floors = {
  axios: await net((signal) => api.get('/data', { signal })),
  ky: await net((signal) => kyApi.get(`${ORIGIN}/data`, { signal }).json()),
  response: await net(() => new Response(text, { headers }).json()),
  breakerOpen: await net((signal) => upstream.request('/data', { signal }).catch(() => undefined)),
  harness,
};
await upstream.destroy();
process.stdout.write(`${JSON.stringify(floors)}\n`);
