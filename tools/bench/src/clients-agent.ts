/**
 * The `steady-fetch` row: `agent.fetch` from `createAgent()` (Steady core), next to the plain
 * `fetch` row in the same run (its "vs plain" ratio is agent.fetch ÷ global fetch; the target
 * is ≥ 1.5×). The agent creates the origin's upstream lazily from `defaults` on the first call.
 */
import { fetchStatus, JSON_HEADERS } from './client-kit.ts';
import type { ClientSpec } from './clients.ts';

export const steadyFetchClient: ClientSpec = {
  id: 'steady-fetch',
  label: 'agent.fetch (Steady)',
  steady: true,
  plain: 'fetch',
  async probe() {
    const m = await import('@steady/core');
    if (typeof m.createAgent !== 'function') throw new Error('createAgent is not exported');
  },
  async create(setup) {
    const { createAgent } = await import('@steady/core');
    const agent = createAgent({ defaults: setup.steady });
    const origin = new URL(setup.origin).origin;
    return {
      get: (path, signal) => fetchStatus(agent.fetch(origin + path, { signal })),
      post: (path, body, signal) =>
        fetchStatus(agent.fetch(origin + path, { method: 'POST', body, signal, headers: JSON_HEADERS })),
      close: () => agent.destroy(),
      socketsOpened: () => agent.stats().origins[origin]?.pool.socketsOpened,
    };
  },
};
