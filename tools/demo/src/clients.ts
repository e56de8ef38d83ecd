/**
 * The five clients the demo compares, behind one `get(url, signal)` shape: Steady's axios
 * and ky clients (from the Nest app), and plain axios, plain ky and global fetch with
 * their defaults, as a new service would use them.
 */
import axios from 'axios';
import type { AxiosInstance } from 'axios';
import ky from 'ky';
import type { KyInstance } from 'ky';
import { HttpStatusError } from './outcome.ts';

/** Client names, Steady first. */
export const CLIENT_NAMES = ['steady-axios', 'steady-ky', 'axios', 'ky', 'fetch'] as const;

/** A client name. */
export type ClientName = (typeof CLIENT_NAMES)[number];

/** Whether a client runs on Steady. */
export function isSteady(name: ClientName): boolean {
  return name.startsWith('steady-');
}

/** One client bound to an origin: `get(path)` resolves on a 2xx response (body read) and rejects otherwise. */
export interface DemoClient {
  name: ClientName;
  get(path: string, signal: AbortSignal): Promise<void>;
}

/** Steady's axios and ky instances for one upstream. */
export interface SteadyPair {
  axios: AxiosInstance;
  ky: KyInstance;
}

function axiosClient(name: ClientName, instance: AxiosInstance, origin: string): DemoClient {
  return {
    name,
    async get(path, signal) {
      await instance.get(origin + path, { signal, responseType: 'arraybuffer' });
    },
  };
}

/** `toInput` maps the path to ky's input: Steady's instance resolves relative inputs under its origin (`baseUrl`). */
function kyClient(name: ClientName, instance: KyInstance, toInput: (path: string) => string): DemoClient {
  return {
    name,
    async get(path, signal) {
      const response = await instance.get(toInput(path), { signal });
      await response.arrayBuffer();
    },
  };
}

function fetchClient(origin: string): DemoClient {
  return {
    name: 'fetch',
    async get(path, signal) {
      const response = await fetch(origin + path, { signal });
      await response.arrayBuffer();
      if (!response.ok) throw new HttpStatusError(response.status);
    },
  };
}

/** The five clients for one upstream at `origin`: Steady's pair plus the plain defaults. */
export function demoClients(steady: SteadyPair, origin: string): DemoClient[] {
  return [
    axiosClient('steady-axios', steady.axios, origin),
    kyClient('steady-ky', steady.ky, (path) => path.replace(/^\/+/, '')),
    axiosClient('axios', axios, origin),
    kyClient('ky', ky, (path) => origin + path),
    fetchClient(origin),
  ];
}
