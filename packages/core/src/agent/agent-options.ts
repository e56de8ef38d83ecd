import { InvalidOptionError, isInvalidOptionError } from '../errors/errors.ts';
import { resolveUpstreamOptions, type UpstreamOptions } from '../options/resolve.ts';
import { durationIn, integerIn, knownKeys, objectOr } from '../options/validate.ts';
import { originOption } from './origin.ts';

/** Options every per-origin upstream starts from: every `createUpstream` option except `origin` and `name`. */
export type UpstreamDefaults = Omit<UpstreamOptions, 'origin' | 'name'>;

/** Per-origin overrides, merged per policy over `defaults` (`name` sets the upstream's name). */
export type OriginOptions = Omit<UpstreamOptions, 'origin'>;

/** Which origins an agent may call: a list of origins or patterns, or a predicate of the normalised origin. */
export type AllowOrigins = ReadonlyArray<string | URL | RegExp> | ((origin: string) => boolean);

/** Options of `createAgent()`. */
export interface AgentOptions {
  /** What each lazily created per-origin upstream starts from. @default {} (the `createUpstream` defaults) */
  defaults?: UpstreamDefaults;
  /**
   * Overrides per origin (keys are normalised: `https://A.example:443` = `https://a.example`),
   * merged over `defaults` per policy: `{ retry: { retries: 0 } }` keeps the other retry defaults;
   * `false` turns a policy off; a function, array, `transport` or `fleet` replaces. A `name` here
   * must differ from every other upstream's (a `fleet` keys its shared breaker and budget by name).
   * @default {}
   */
  origins?: Record<string, OriginOptions>;
  /**
   * An SSRF guard for services that call user-given URLs: anything else fails with
   * `STEADY_ORIGIN_REFUSED` before any DNS lookup or socket. Strings are origins (normalised),
   * a RegExp is tested against the normalised origin (`https://host[:port]`), a function
   * gets that origin. Redirects to a refused origin are refused too.
   * @default undefined (every http(s) origin)
   */
  allowOrigins?: AllowOrigins;
  /**
   * Most live per-origin upstreams, 1…10 000. At the bound a new origin closes the least
   * recently used upstream with no call in flight; when every one is busy, the call fails with
   * `STEADY_ORIGIN_REFUSED` (reason `max-origins`): never unbounded growth.
   * @default 100
   */
  maxOrigins?: number;
  /** An upstream unused for this many ms is closed (gracefully) and made again on demand, 1…3 600 000. @default 60_000 */
  originIdleTimeout?: number;
}

/** Agent options after validation. */
export interface ResolvedAgentOptions {
  defaults: UpstreamDefaults;
  origins: ReadonlyMap<string, OriginOptions>;
  allow: ((origin: string) => boolean) | undefined;
  maxOrigins: number;
  originIdleTimeout: number;
}

/** Defaults of the agent, each with its reason. */
export const DEFAULT_AGENT_OPTIONS = Object.freeze({
  /** A service rarely calls more than a few dozen hosts; 100 × `pool.connections` sockets is already a lot. */
  maxOrigins: 100,
  /** Twice the pool's keep-alive idle timeout: a host unused that long has no warm socket left anyway. */
  originIdleTimeout: 60_000,
});

const KEYS = ['defaults', 'origins', 'allowOrigins', 'maxOrigins', 'originIdleTimeout'] as const;
/** Used only to validate `defaults` on their own; never contacted. */
const PLACEHOLDER_ORIGIN = 'http://defaults.invalid';

/** Validate every agent option once, at construction; a bad one throws `STEADY_INVALID_OPTION` naming its path. */
export function resolveAgentOptions(input: unknown): ResolvedAgentOptions {
  const options = objectOr<AgentOptions>('options', input) ?? {};
  knownKeys('', options, KEYS);
  const defaults = (objectOr<UpstreamDefaults>('defaults', options.defaults) ?? {}) as UpstreamDefaults;
  for (const key of ['origin', 'name'] as const) {
    if (key in defaults) {
      throw new InvalidOptionError(
        `defaults.${key}`,
        `absent (each upstream's ${key} comes from its origin; set a name in \`origins\`)`,
        (defaults as Record<string, unknown>)[key],
      );
    }
  }
  validateUpstream('defaults', { ...defaults, origin: PLACEHOLDER_ORIGIN });

  const origins = new Map<string, OriginOptions>();
  const names = new Map<string, string>();
  const given = objectOr<Record<string, OriginOptions>>('origins', options.origins) ?? {};
  for (const key of Object.keys(given)) {
    const path = `origins['${key}']`;
    const origin = originOption(path, key);
    if (origins.has(origin)) {
      throw new InvalidOptionError(path, `one entry per origin (${origin} is already given)`, key);
    }
    const override = objectOr<OriginOptions>(path, given[key]) ?? {};
    if ('origin' in override) {
      throw new InvalidOptionError(`${path}.origin`, 'absent (the key is the origin)', override.origin);
    }
    validateUpstream(path, { ...mergeOptions(defaults, override), origin });
    checkDistinctName(path, override.name ?? origin, origin, names);
    origins.set(origin, override as OriginOptions);
  }
  return {
    defaults,
    origins,
    allow: resolveAllow(options.allowOrigins),
    maxOrigins: integerIn('maxOrigins', options.maxOrigins, 1, 10_000, DEFAULT_AGENT_OPTIONS.maxOrigins),
    originIdleTimeout: durationIn(
      'originIdleTimeout',
      options.originIdleTimeout,
      1,
      3_600_000,
      DEFAULT_AGENT_OPTIONS.originIdleTimeout,
    ),
  };
}

/** The options of one origin's upstream: `defaults` merged with its override, per policy. */
export function upstreamOptionsFor(options: ResolvedAgentOptions, origin: string): UpstreamOptions {
  const override = options.origins.get(origin);
  const merged = override === undefined ? options.defaults : mergeOptions(options.defaults, override);
  return { name: origin, ...merged, origin };
}

/** Options that are whole objects, never merged key by key (a `fleet` may well be a plain object). */
const REPLACED = new Set(['transport', 'fleet']);

/**
 * Merge an override over defaults: plain objects merge key by key (so `retry: { retries: 0 }`
 * keeps the default backoff), anything else — `false`, a number, a function, an array, a
 * `Dispatcher`, a `fleet` — replaces.
 */
export function mergeOptions<T extends object>(base: T, override: object): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    const merge = !REPLACED.has(key) && isPlainObject(current) && isPlainObject(value);
    out[key] = merge ? mergeOptions(current, value) : value;
  }
  return out as T;
}

/**
 * Upstream names are distinct within an agent: each names its stats and events, and a `fleet`
 * shares breaker and budget state by name, so two origins under one name would share a breaker.
 * A default name is the normalised origin, itself distinct; an explicit one must not repeat
 * another entry's name (explicit, or its origin when it has none).
 */
function checkDistinctName(path: string, name: string, origin: string, names: Map<string, string>): void {
  const taken = names.get(name);
  if (taken !== undefined && taken !== origin) {
    throw new InvalidOptionError(`${path}.name`, `a name no other origin has (${taken} has it)`, name);
  }
  names.set(name, origin);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function validateUpstream(prefix: string, options: UpstreamOptions): void {
  try {
    resolveUpstreamOptions(options);
  } catch (error) {
    if (isInvalidOptionError(error)) throw error.withPrefix(prefix);
    throw error;
  }
}

const ALLOW_EXPECTED = 'an array of origins (strings) and RegExps, or a function (origin) => boolean';

function resolveAllow(value: unknown): ((origin: string) => boolean) | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') {
    const predicate = value as (origin: string) => boolean;
    return (origin) => predicate(origin) === true;
  }
  if (!Array.isArray(value)) throw new InvalidOptionError('allowOrigins', ALLOW_EXPECTED, value);
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  (value as unknown[]).forEach((item, i) => {
    if (item instanceof RegExp) patterns.push(new RegExp(item.source, item.flags.replace(/[gy]/g, '')));
    else exact.add(originOption(`allowOrigins[${i}]`, item));
  });
  return (origin) => exact.has(origin) || patterns.some((pattern) => pattern.test(origin));
}
