import type { Attributes } from '@opentelemetry/api';
import { isSteadyError, type Upstream } from '@steady/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_STEADY_UPSTREAM,
  ATTR_URL_SCHEME,
} from './semconv.ts';

const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
  'QUERY',
]);

/**
 * `attributes`, frozen, with its keys in code-unit order. The SDK sorts the keys of every
 * point's attributes to hash them: keys already in order sort fastest (a cached object is
 * recorded with on every call).
 */
export function sortedAttributes(attributes: Attributes): Readonly<Attributes> {
  const sorted: Attributes = {};
  for (const key of Object.keys(attributes).sort()) sorted[key] = attributes[key];
  return Object.freeze(sorted);
}

/**
 * The attributes every point of an upstream carries: its name, host, port and scheme —
 * taken from the origin, which holds no path, query or credentials (core refuses them).
 */
export function upstreamAttributes(upstream: Upstream): Readonly<Attributes> {
  const url = new URL(upstream.origin);
  const scheme = url.protocol.slice(0, -1);
  return sortedAttributes({
    [ATTR_STEADY_UPSTREAM]: upstream.name,
    [ATTR_SERVER_ADDRESS]: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    [ATTR_SERVER_PORT]: url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port),
    [ATTR_URL_SCHEME]: scheme,
  });
}

/** `http.request.method` as the conventions want it: a known method, or `_OTHER`. */
export function methodAttribute(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

/**
 * `error.type` of a settled call or attempt: the Steady code of its error, the class name
 * of a foreign error, or the status of an error response (4xx/5xx); undefined on success.
 */
export function errorType(error: unknown, failed: boolean, status: number | undefined): string | undefined {
  if (failed) {
    if (isSteadyError(error)) return error.code;
    const name = (error as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name === 'string' && name !== '' && name !== 'Object' ? name : '_OTHER';
  }
  return status !== undefined && status >= 400 ? String(status) : undefined;
}

/** The attributes of one settled call or attempt (built from a cache: few distinct combinations exist). */
export class OutcomeAttributes {
  readonly #base: Readonly<Attributes>;
  readonly #cache = new Map<string, Attributes>();
  /** The last combination asked for: most calls of an upstream end alike (`GET`, 200), so most lookups build no key. */
  #last: { method: string; status: number | undefined; error: string | undefined; attributes: Attributes } | undefined;

  constructor(base: Readonly<Attributes>) {
    this.#base = base;
  }

  get(method: string, status: number | undefined, error: string | undefined): Attributes {
    const last = this.#last;
    if (last !== undefined && last.method === method && last.status === status && last.error === error) {
      return last.attributes;
    }
    const key = `${method} ${status ?? ''} ${error ?? ''}`;
    let found = this.#cache.get(key);
    if (found === undefined) {
      const attributes: Attributes = { ...this.#base, [ATTR_HTTP_REQUEST_METHOD]: methodAttribute(method) };
      if (status !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status;
      if (error !== undefined) attributes[ATTR_ERROR_TYPE] = error;
      found = sortedAttributes(attributes);
      // Bounded: methods × statuses × codes is small, but a hostile server could vary statuses.
      if (this.#cache.size < 512) this.#cache.set(key, found);
    }
    this.#last = { method, status, error, attributes: found };
    return found;
  }
}
