import type { FaultServer } from '@steady/fault-server';
import ky, { type KyInstance } from 'ky';
import { getUpstream, withSteady, type WithSteadyOptions } from '../src/index.ts';

/** A client under test: Steady's ky, or plain ky on the global fetch. */
export interface Client {
  api: KyInstance;
  close(): Promise<void>;
}

/** How to build each client of a parity suite. */
export const CLIENTS: Array<[name: string, make: (server: FaultServer) => Client]> = [
  [
    'withSteady(ky)',
    (server) => {
      const api = withSteady(ky, { origin: server.url });
      return { api, close: () => getUpstream(api)!.close() };
    },
  ],
  ['plain ky', (server) => ({ api: ky.create({ prefix: server.url }), close: async () => {} })],
];

/** Steady's ky on `server` with fast, deterministic retries (no budget, 1 ms backoff). */
export function steadyApi(server: { url: string }, options: Omit<WithSteadyOptions, 'origin'> = {}): KyInstance {
  return withSteady(ky, {
    origin: server.url,
    ...options,
    retry: options.retry ?? { retries: 2, baseDelay: 1, maxDelay: 5, budget: false },
  });
}

/** The rejection of `promise` (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

/** A web stream of `parts`, one chunk each. */
export function streamOf(parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < parts.length) controller.enqueue(encoder.encode(parts[i++]));
      else controller.close();
    },
  });
}
