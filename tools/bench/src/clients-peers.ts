/**
 * The peers a user would pick instead of Steady, set up as their docs suggest, with settings
 * close to Steady's defaults where the library has the same policy (throughput rows only):
 *
 * - `undici-retry`: a `Pool` composed with undici's own `interceptors.retry()` (its defaults);
 * - `cockatiel`: cockatiel's bulkhead + circuit breaker + retry + timeout around `undici.request`
 *   on a `Pool`;
 * - `axios-retry`: axios with a keep-alive `http.Agent` capped at the pool size, plus `axios-retry`;
 * - `got`: `got` with its defaults (global agent, 2 retries for GET).
 */
import http from 'node:http';
import { interceptors } from 'undici';
import { axiosCalls, countingPool, JSON_HEADERS, status } from './client-kit.ts';
import type { BenchClient, ClientSpec } from './clients.ts';

/** undici's own retry interceptor on a Pool of Steady's default size. */
export const undiciRetryClient: ClientSpec = {
  id: 'undici-retry',
  label: 'undici + interceptors.retry()',
  steady: false,
  throughputOnly: true,
  async create(setup): Promise<BenchClient> {
    const { pool, opened } = countingPool(setup.origin, setup.connections);
    const dispatcher = pool.compose(interceptors.retry());
    return {
      get: (path, signal) => status(dispatcher.request({ origin: setup.origin, path, method: 'GET', signal })),
      post: (path, body, signal) =>
        status(dispatcher.request({ origin: setup.origin, path, method: 'POST', body, signal, headers: JSON_HEADERS })),
      close: () => pool.destroy(),
      socketsOpened: opened,
    };
  },
};

/** cockatiel's four policies around undici.request, sized like Steady's defaults. */
export const cockatielClient: ClientSpec = {
  id: 'cockatiel',
  label: 'cockatiel + undici.request',
  steady: false,
  throughputOnly: true,
  async probe() {
    await import('cockatiel');
  },
  async create(setup): Promise<BenchClient> {
    const {
      bulkhead,
      circuitBreaker,
      ConsecutiveBreaker,
      ExponentialBackoff,
      handleAll,
      retry,
      timeout,
      TimeoutStrategy,
      wrap,
    } = await import('cockatiel');
    const { pool, opened } = countingPool(setup.origin, setup.connections);
    // Outermost first: bulkhead (8 × pool running, 100 × pool queued, like Steady), breaker
    // (10 consecutive failures), retry (2 retries, exponential backoff), then a 5 s timeout per attempt.
    const guard = bulkhead(8 * setup.connections, 100 * setup.connections);
    const breaker = circuitBreaker(handleAll, { halfOpenAfter: 500, breaker: new ConsecutiveBreaker(10) });
    const deadline = timeout(5_000, TimeoutStrategy.Aggressive);
    const backoff = new ExponentialBackoff({ initialDelay: 100, maxDelay: 2_000 });
    const policy = wrap(guard, breaker, retry(handleAll, { maxAttempts: 2, backoff }), deadline);
    const once = wrap(guard, breaker, deadline);
    return {
      get: (path, caller) =>
        policy.execute(({ signal }) => status(pool.request({ path, method: 'GET', signal })), caller),
      // A POST is not retried (it may not be idempotent): bulkhead + breaker + timeout only.
      post: (path, body, caller) =>
        once.execute(
          ({ signal }) => status(pool.request({ path, method: 'POST', body, signal, headers: JSON_HEADERS })),
          caller,
        ),
      close: () => pool.destroy(),
      socketsOpened: opened,
    };
  },
};

/** axios with a keep-alive agent capped at the pool size, plus axios-retry's defaults. */
export const axiosRetryClient: ClientSpec = {
  id: 'axios-retry',
  label: 'axios + keep-alive agent + axios-retry',
  steady: false,
  throughputOnly: true,
  async probe() {
    await import('axios-retry');
  },
  async create(setup): Promise<BenchClient> {
    const [{ default: axios }, { default: axiosRetry }] = await Promise.all([import('axios'), import('axios-retry')]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: setup.connections });
    const api = axios.create({ baseURL: setup.origin, httpAgent: agent });
    axiosRetry(api, { retries: 2, retryDelay: axiosRetry.exponentialDelay });
    return {
      ...axiosCalls(api),
      close: async () => agent.destroy(),
    };
  },
};

/** got with its defaults (http.globalAgent, JSON parsed by got). */
export const gotClient: ClientSpec = {
  id: 'got',
  label: 'got default',
  steady: false,
  throughputOnly: true,
  async probe() {
    await import('got');
  },
  async create(setup): Promise<BenchClient> {
    const { default: got } = await import('got');
    const api = got.extend({ prefixUrl: setup.origin, responseType: 'json' });
    const relative = (path: string): string => path.replace(/^\//, '');
    return {
      get: async (path, signal) => (await api.get(relative(path), { signal })).statusCode,
      post: async (path, body, signal) =>
        (await api.post(relative(path), { body, signal, headers: JSON_HEADERS, retry: { limit: 0 } })).statusCode,
      // got default rides on http.globalAgent: drop its sockets between runs.
      close: async () => http.globalAgent.destroy(),
    };
  },
};
