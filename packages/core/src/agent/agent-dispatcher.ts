import { Dispatcher } from 'undici';
import { InvalidRequestError } from '../errors/errors.ts';
import type { OriginRegistry } from './origin-registry.ts';
import { checkedUrl } from './origin.ts';

/**
 * The agent's undici `Dispatcher`: each request goes to the tuned pool (with the stale-socket
 * replay) of its origin's upstream, created on first use. Policies are not applied — use
 * `agent.request()`/`agent.fetch()` for those — but `allowOrigins` and `maxOrigins` are: a
 * refused origin fails the request before any socket. `close()`/`destroy()` here do nothing:
 * the agent owns the pools (`agent.close()`).
 */
export class AgentDispatcher extends Dispatcher {
  readonly #registry: OriginRegistry;

  constructor(registry: OriginRegistry) {
    super();
    this.#registry = registry;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    try {
      const origin = originOf(options.origin, options.method);
      return this.#registry.get(origin, options.method).dispatcher.dispatch(options, handler);
    } catch (error) {
      if (typeof handler.onResponseError !== 'function') throw error;
      handler.onResponseError(null as unknown as Dispatcher.DispatchController, error as Error);
      return false;
    }
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    if (callback === undefined) return Promise.resolve();
    queueMicrotask(callback);
  }

  override destroy(): Promise<void>;
  override destroy(error: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(error: Error | null, callback: () => void): void;
  override destroy(a?: unknown, b?: unknown): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b;
    if (typeof callback !== 'function') return Promise.resolve();
    queueMicrotask(callback as () => void);
  }
}

function originOf(origin: Dispatcher.DispatchOptions['origin'], method: string): string {
  if (origin === undefined) throw new InvalidRequestError('request has no origin: give undici a full URL', { method });
  let url: URL;
  try {
    url = typeof origin === 'string' ? new URL(origin) : origin;
  } catch (error) {
    throw new InvalidRequestError('request origin is not a URL', { method }, error);
  }
  return checkedUrl(url, method).origin;
}
