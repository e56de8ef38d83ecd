/**
 * Small helpers every client file uses: read a response's JSON and return its status,
 * the POST headers, the options of a Steady client.
 */
import { Pool } from 'undici';
import type { UpstreamOptions } from '@steady/core';
import type { BenchClient, ClientSetup } from './clients.ts';

/** The options a Steady client gets: the origin plus the section's overrides. */
export function steadyOptions(setup: ClientSetup): UpstreamOptions {
  return { origin: setup.origin, ...setup.steady };
}

/** Await an undici-style response, read its body as JSON and return its status. */
export async function status(
  promise: Promise<{ statusCode: number; body: { json(): Promise<unknown> } }>,
): Promise<number> {
  const response = await promise;
  await response.body.json().catch(() => undefined);
  return response.statusCode;
}

/** Headers of every POST. */
export const JSON_HEADERS = { 'content-type': 'application/json' };

/** Read a fetch-style response's JSON body (as every client does) and return its status. */
export async function fetchStatus(pending: Promise<Response>): Promise<number> {
  const response = await pending;
  await response.json().catch(() => undefined);
  return response.status;
}

/** An undici `Pool` of `connections` that counts the sockets it opens. */
export function countingPool(origin: string, connections: number): { pool: Pool; opened: () => number } {
  const pool = new Pool(origin, { connections });
  let opened = 0;
  pool.on('connect', () => opened++);
  return { pool, opened: () => opened };
}

/** The smallest axios surface the bench calls. */
interface AxiosLike {
  get(path: string, config: { signal: AbortSignal }): Promise<{ status: number }>;
  post(
    path: string,
    body: string,
    config: { signal: AbortSignal; headers: typeof JSON_HEADERS },
  ): Promise<{ status: number }>;
}

/** `get` and `post` of an axios instance, as every axios row calls them. */
export function axiosCalls(api: AxiosLike): Pick<BenchClient, 'get' | 'post'> {
  return {
    get: async (path, signal) => (await api.get(path, { signal })).status,
    post: async (path, body, signal) => (await api.post(path, body, { signal, headers: JSON_HEADERS })).status,
  };
}
