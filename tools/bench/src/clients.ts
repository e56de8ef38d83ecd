/**
 * The clients under test, each behind one tiny interface. Plain clients are used as their
 * users use them; Steady clients get default options unless a section passes overrides.
 * Every library is loaded lazily: when one is missing, its rows say so.
 *
 * Adding a row: write `src/clients-<name>.ts` exporting a {@link ClientSpec} (see
 * `clients-peers.ts`), import it here and put it in {@link CLIENTS} where it belongs in the table.
 */
import http from 'node:http';
import type { UpstreamOptions } from '@steady/core';
import { axiosCalls, countingPool, fetchStatus, JSON_HEADERS, status, steadyOptions } from './client-kit.ts';
import { steadyFetchClient } from './clients-agent.ts';
import { axiosRetryClient, cockatielClient, gotClient, undiciRetryClient } from './clients-peers.ts';
import { steadyFleetClient } from './fleet-client.ts';
import { steadyOtelClient } from './otel-client.ts';

/** One client instance bound to one origin. */
export interface BenchClient {
  /** GET `path` and read the body as JSON. Resolves the status; throws on network errors (and where the client throws on HTTP errors). */
  get(path: string, signal: AbortSignal): Promise<number>;
  /** POST a small JSON body to `path`. */
  post(path: string, body: string, signal: AbortSignal): Promise<number>;
  /** Release sockets (a plain client on a global pool destroys what it can). */
  close(): Promise<void>;
  /** Sockets the client itself says it opened, when it can tell. */
  socketsOpened?(): number | undefined;
}

/** Options a section may pass to a client. */
export interface ClientSetup {
  origin: string;
  /** Pool size for raw undici (and for Steady clients when `steady` sets none). */
  connections: number;
  /** Extra Steady options (pool, bulkhead, loadBalancerIdleTimeout, …). */
  steady?: Partial<UpstreamOptions>;
}

/** A client kind in the tables. */
export interface ClientSpec {
  id: ClientId;
  label: string;
  steady: boolean;
  /** The plain client this Steady client wraps (for the "vs plain" ratio). */
  plain?: ClientId;
  /** Only in the throughput table (not in scaling or the fault section). */
  throughputOnly?: boolean;
  /** Throws (with a one-line reason) when the client cannot run here, e.g. a module is missing. */
  probe?(): Promise<void>;
  create(setup: ClientSetup): Promise<BenchClient>;
}

/** A client's id, as in `--clients` (unique; `undici` is the baseline of every ratio). */
export type ClientId = string;

const undiciClient: ClientSpec = {
  id: 'undici',
  label: 'undici.request (Pool)',
  steady: false,
  async create(setup) {
    const { pool, opened } = countingPool(setup.origin, setup.connections);
    return {
      get: (path, signal) => status(pool.request({ path, method: 'GET', signal })),
      post: (path, body, signal) => status(pool.request({ path, method: 'POST', body, signal, headers: JSON_HEADERS })),
      close: () => pool.destroy(),
      socketsOpened: opened,
    };
  },
};

const steadyClient: ClientSpec = {
  id: 'steady',
  label: 'Steady core upstream.request()',
  steady: true,
  plain: 'undici',
  async create(setup) {
    const { createUpstream } = await import('@steady/core');
    const upstream = createUpstream(steadyOptions(setup));
    return {
      get: (path, signal) => status(upstream.request(path, { signal })),
      post: (path, body, signal) =>
        status(upstream.request(path, { method: 'POST', body, signal, headers: JSON_HEADERS })),
      close: () => upstream.destroy(),
      socketsOpened: () => upstream.stats().pool.socketsOpened,
    };
  },
};

const fetchClient: ClientSpec = {
  id: 'fetch',
  label: 'global fetch',
  steady: false,
  async create(setup) {
    return {
      get: (path, signal) => fetchStatus(fetch(setup.origin + path, { signal })),
      post: (path, body, signal) =>
        fetchStatus(fetch(setup.origin + path, { method: 'POST', body, signal, headers: JSON_HEADERS })),
      close: async () => {},
    };
  },
};

const axiosClient: ClientSpec = {
  id: 'axios',
  label: 'axios default',
  steady: false,
  async create(setup) {
    const { default: axios } = await import('axios');
    const api = axios.create({ baseURL: setup.origin });
    return {
      ...axiosCalls(api),
      // axios default rides on http.globalAgent (keep-alive since Node 19): drop its sockets between runs.
      close: async () => http.globalAgent.destroy(),
    };
  },
};

const steadyAxiosClient: ClientSpec = {
  id: 'steady-axios',
  label: 'createAxios() (Steady)',
  steady: true,
  plain: 'axios',
  async probe() {
    const m = await import('@steady/axios');
    if (typeof m.createAxios !== 'function') throw new Error('createAxios is not exported');
  },
  async create(setup) {
    const { createAxios, getUpstream } = await import('@steady/axios');
    const api = createAxios(steadyOptions(setup));
    const upstream = getUpstream(api);
    return {
      ...axiosCalls(api),
      close: () => upstream.destroy(),
      socketsOpened: () => upstream.stats().pool.socketsOpened,
    };
  },
};

const kyClient: ClientSpec = {
  id: 'ky',
  label: 'ky default',
  steady: false,
  async create(setup) {
    const { default: ky } = await import('ky');
    return {
      get: (path, signal) => fetchStatus(ky.get(setup.origin + path, { signal })),
      post: (path, body, signal) => fetchStatus(ky.post(setup.origin + path, { body, signal, headers: JSON_HEADERS })),
      close: async () => {},
    };
  },
};

const steadyKyClient: ClientSpec = {
  id: 'steady-ky',
  label: 'withSteady(ky)',
  steady: true,
  plain: 'ky',
  async probe() {
    const m = await import('@steady/ky');
    if (typeof m.withSteady !== 'function') throw new Error('withSteady is not exported');
  },
  async create(setup) {
    const [{ default: ky }, { withSteady, getUpstream }] = await Promise.all([import('ky'), import('@steady/ky')]);
    const api = withSteady(ky, steadyOptions(setup));
    const upstream = getUpstream(api);
    // withSteady() sets ky's `baseUrl` to the origin: inputs are relative ('data'), as users write them.
    const relative = (path: string): string => path.replace(/^\//, '');
    return {
      get: (path, signal) => fetchStatus(api.get(relative(path), { signal })),
      post: (path, body, signal) => fetchStatus(api.post(relative(path), { body, signal, headers: JSON_HEADERS })),
      close: async () => upstream?.destroy(),
      socketsOpened: () => upstream?.stats().pool.socketsOpened,
    };
  },
};

/** Every client, in table order. */
export const CLIENTS: readonly ClientSpec[] = [
  undiciClient,
  undiciRetryClient,
  cockatielClient,
  steadyClient,
  fetchClient,
  steadyFetchClient,
  axiosClient,
  axiosRetryClient,
  steadyAxiosClient,
  kyClient,
  steadyKyClient,
  gotClient,
  steadyFleetClient,
  steadyOtelClient,
];

/** The clients whose modules load here; the rest are returned as `missing` with the reason. */
export async function availableClients(): Promise<{ clients: ClientSpec[]; missing: Record<string, string> }> {
  const missing: Record<string, string> = {};
  const clients: ClientSpec[] = [];
  for (const spec of CLIENTS) {
    try {
      await spec.probe?.();
      clients.push(spec);
    } catch (error) {
      missing[spec.id] = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    }
  }
  return { clients, missing };
}

/** The client with this id, or undefined. */
export function clientById(id: string): ClientSpec | undefined {
  return CLIENTS.find((spec) => spec.id === id);
}
