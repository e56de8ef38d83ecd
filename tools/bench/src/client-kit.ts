/**
 * Small helpers every client file uses: read a response's JSON and return its status,
 * the POST headers, the options of a Steady client.
 */
import type { UpstreamOptions } from '@steady/core';
import type { ClientSetup } from './clients.ts';

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
