import http from 'node:http';
import axios, { type AxiosError, type AxiosInstance, type CreateAxiosDefaults } from 'axios';
import type { FaultServer } from '@steady/fault-server';
import { createAxios, getAgent, getUpstream } from '../src/index.ts';

/** One way of making an axios instance against a fault server, and of closing it. */
export interface Client {
  api: AxiosInstance;
  close(): Promise<void>;
}

/** The client kinds every parity case runs through. */
export const CLIENTS: Array<{
  name: string;
  steady: boolean;
  make: (s: FaultServer, d?: CreateAxiosDefaults) => Client;
}> = [
  {
    name: "axios' http adapter",
    steady: false,
    make: (server, defaults) => {
      const agent = new http.Agent({ keepAlive: true });
      return {
        api: axios.create({ ...defaults, baseURL: server.url, adapter: 'http', httpAgent: agent }),
        close: async () => agent.destroy(),
      };
    },
  },
  {
    name: 'createAxios()',
    steady: true,
    make: (server, defaults) => {
      const api = createAxios({ origin: server.url, axios: defaults });
      return { api, close: () => getUpstream(api).close() };
    },
  },
  {
    name: 'createAxios() on an agent (no origin)',
    steady: true,
    make: (server, defaults) => {
      const api = createAxios({ axios: { ...defaults, baseURL: server.url } });
      return { api, close: () => getAgent(api).close() };
    },
  },
];

/** The `x-fault` header that makes the fault server answer with `behaviour`. */
export function fault(behaviour: Record<string, unknown>): Record<string, string> {
  return { 'x-fault': JSON.stringify(behaviour) };
}

/** The parts of a multipart body, as `name → value` (file parts: `filename:content`). */
export function multipartParts(body: string, contentType: string): Record<string, string> {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1];
  if (boundary === undefined) throw new Error(`no boundary in ${contentType}`);
  const parts: Record<string, string> = {};
  for (const chunk of body.split(`--${boundary}`)) {
    const split = chunk.indexOf('\r\n\r\n');
    if (split === -1) continue;
    const head = chunk.slice(0, split);
    const value = chunk.slice(split + 4).replace(/\r\n$/, '');
    const name = /name="([^"]*)"/.exec(head)?.[1] ?? '?';
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    parts[name] = filename === undefined ? value : `${filename}:${value}`;
  }
  return parts;
}

/** The AxiosError a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<AxiosError> {
  try {
    await promise;
  } catch (error) {
    return error as AxiosError;
  }
  throw new Error('expected a rejection');
}
