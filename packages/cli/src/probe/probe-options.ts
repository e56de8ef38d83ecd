/**
 * Options of {@link probe}: validated once, each default with its reason. A bad option throws
 * `InvalidOptionError` (`STEADY_INVALID_OPTION`) naming the option, the allowed range and the value.
 */
import { InvalidOptionError, knownKeys } from '@steady/core';

/** What {@link probe} measures and how hard it may push. */
export interface ProbeOptions {
  /** The `http:`/`https:` origin to probe: no path, query or credentials. */
  origin: string | URL;
  /** The path requested (GET or HEAD only, never a body). @default '/' */
  path?: string;
  /** @default 'HEAD' */
  method?: 'GET' | 'HEAD';
  /**
   * Idle durations to try, in ms, one socket each, all in parallel; rungs above `maxIdle` are dropped.
   * @default DEFAULT_LADDER (1, 2, 5, 10, 20, 30, 45, 60, 75, 90, 120 s)
   */
  ladder?: number[];
  /** The longest idle rung, ms (the probe takes about this long). @default 130_000 */
  maxIdle?: number;
  /** Most requests the whole probe may send. @default 200 */
  maxRequests?: number;
  /** Handshakes timed (DNS, TCP, TLS); the median is reported. @default 3 */
  samples?: number;
  /** DNS + TCP + proxy tunnel + TLS deadline per socket, ms. @default 5_000 */
  connectTimeout?: number;
  /** How long a request may go unanswered before it counts as hung, ms. @default 5_000 */
  responseTimeout?: number;
  /** An HTTP forward proxy (`http://[user:pass@]host:port`): `https:` origins through a `CONNECT` tunnel, `http:` in absolute form. */
  proxy?: string | URL;
  /** Extra CA certificates (PEM) to trust for an `https:` origin. Verification is never turned off. */
  ca?: string | Buffer | Array<string | Buffer>;
}

/** Options after defaults. */
export interface ResolvedProbeOptions {
  origin: URL;
  path: string;
  method: 'GET' | 'HEAD';
  ladder: number[];
  maxIdle: number;
  maxRequests: number;
  samples: number;
  connectTimeout: number;
  responseTimeout: number;
  /** The proxy without credentials. */
  proxy: URL | undefined;
  /** `Basic …` from the proxy URL's credentials; never printed. */
  proxyAuthorization: string | undefined;
  ca: ProbeOptions['ca'];
}

/** Idle rungs cloud paths commonly cut at: ALB 60 s, nginx 75 s, Cloudflare 100 s, and around them. */
export const DEFAULT_LADDER: readonly number[] = Object.freeze(
  [1, 2, 5, 10, 20, 30, 45, 60, 75, 90, 120].map((s) => s * 1000),
);

/** Most sockets a probe opens (handshake samples + ladder rungs + the request sequence + a `Connection: close` check). */
export const MAX_SOCKETS = 16;

/** Defaults, each with its reason. */
export const DEFAULT_PROBE_OPTIONS = Object.freeze({
  path: '/',
  /** HEAD asks for no body: the lightest request a server answers. */
  method: 'HEAD' as const,
  /** Just above the longest default rung (120 s), below common NAT timeouts is not needed. */
  maxIdle: 130_000,
  /** Enough for two requests per rung and a long sequence on one connection, still harmless. */
  maxRequests: 200,
  /** A median of three is steady enough for handshake times. */
  samples: 3,
  /** A reachable origin connects in well under that. */
  connectTimeout: 5_000,
  /** A silently dropped socket often swallows the request; past this it counts as hung. */
  responseTimeout: 5_000,
});

const HOUR = 3_600_000;
const PATH = /^\/[!$&'()*+,;=:@%/A-Za-z0-9\-._~]*(?:\?[!$&'()*+,;=:@%/?A-Za-z0-9\-._~]*)?$/;

/** Validate and default {@link ProbeOptions}. Throws `InvalidOptionError`. */
export function resolveProbeOptions(input: ProbeOptions): ResolvedProbeOptions {
  const D = DEFAULT_PROBE_OPTIONS;
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new InvalidOptionError('options', 'an object of options with `origin`', input);
  knownKeys('', input, KEYS);
  const options: ProbeOptions = input;
  const origin = httpUrl('origin', options.origin, false);
  const path = options.path ?? D.path;
  if (typeof path !== 'string' || path.length > 2048 || !PATH.test(path))
    throw new InvalidOptionError('path', 'an absolute path such as "/health" (no spaces or control characters)', path);
  const method = options.method ?? D.method;
  if (method !== 'GET' && method !== 'HEAD') throw new InvalidOptionError('method', '"GET" or "HEAD"', method);
  const maxIdle = msIn('maxIdle', options.maxIdle, 1, HOUR, D.maxIdle);
  const samples = intIn('samples', options.samples, 1, 5, D.samples);
  const source = options.ladder ?? DEFAULT_LADDER;
  if (!Array.isArray(source) || source.length === 0)
    throw new InvalidOptionError('ladder', 'a non-empty array of idle durations in ms', source);
  source.forEach((rung, i) => msIn(`ladder[${i}]`, rung, 1, HOUR, 0));
  const ladder = [...new Set(source)].sort((a, b) => a - b).filter((rung) => rung <= maxIdle);
  if (ladder.length === 0)
    throw new InvalidOptionError('ladder', `at least one rung at or below maxIdle (${maxIdle} ms)`, source);
  const maxRungs = MAX_SOCKETS - samples - 2;
  if (ladder.length > maxRungs)
    throw new InvalidOptionError(
      'ladder',
      `at most ${maxRungs} rungs (${MAX_SOCKETS} sockets in all, ${samples} samples and 2 for the request sequence)`,
      ladder,
    );
  const minRequests = 2 * ladder.length + 3;
  const maxRequests = intIn(
    'maxRequests',
    options.maxRequests,
    minRequests,
    10_000,
    Math.max(D.maxRequests, minRequests),
  );
  const proxy = options.proxy === undefined ? undefined : httpUrl('proxy', options.proxy, true);
  if (proxy && proxy.protocol !== 'http:')
    throw new InvalidOptionError(
      'proxy',
      'an http: forward proxy URL, e.g. "http://proxy.internal:3128"',
      safeUrl(proxy),
    );
  let proxyAuthorization: string | undefined;
  if (proxy && (proxy.username !== '' || proxy.password !== '')) {
    const user = decodeURIComponent(proxy.username);
    const pass = decodeURIComponent(proxy.password);
    proxyAuthorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    proxy.username = '';
    proxy.password = '';
  }
  return {
    origin,
    path,
    method,
    ladder,
    maxIdle,
    maxRequests,
    samples,
    connectTimeout: msIn('connectTimeout', options.connectTimeout, 1, 10 * 60_000, D.connectTimeout),
    responseTimeout: msIn('responseTimeout', options.responseTimeout, 1, 10 * 60_000, D.responseTimeout),
    proxy,
    proxyAuthorization,
    ca: caIn(options.ca),
  };
}

const KEYS = [
  'origin',
  'path',
  'method',
  'ladder',
  'maxIdle',
  'maxRequests',
  'samples',
  'connectTimeout',
  'responseTimeout',
  'proxy',
  'ca',
] as const satisfies ReadonlyArray<keyof ProbeOptions>;

function caIn(value: unknown): ProbeOptions['ca'] {
  const pem = (one: unknown) => (typeof one === 'string' && one !== '') || (Buffer.isBuffer(one) && one.length > 0);
  if (value === undefined || pem(value) || (Array.isArray(value) && value.length > 0 && value.every(pem)))
    return value as ProbeOptions['ca'];
  throw new InvalidOptionError('ca', 'a PEM string or Buffer, or a non-empty array of them', value);
}

/** The URL with its credentials masked, for messages. */
export function safeUrl(value: unknown): string {
  try {
    const url = new URL(String(value));
    const credentials = url.username !== '' || url.password !== '' ? '***@' : '';
    return `${url.protocol}//${credentials}${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return String(value).replace(/\/\/[^/@]*@/, '//***@');
  }
}

function httpUrl(option: string, value: unknown, credentialsAllowed: boolean): URL {
  const expected = `an http: or https: URL with no path, query${credentialsAllowed ? '' : ' or credentials'}, e.g. "https://api.example.com"`;
  if (typeof value !== 'string' && !(value instanceof URL)) throw new InvalidOptionError(option, expected, value);
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new InvalidOptionError(option, expected, safeUrl(value));
  }
  const bad =
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    (!credentialsAllowed && (url.username !== '' || url.password !== '')) ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== '';
  if (bad) throw new InvalidOptionError(option, expected, safeUrl(value));
  return url;
}

function msIn(option: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    throw new InvalidOptionError(option, `a number of milliseconds in ${min}…${max}`, value);
  return value;
}

function intIn(option: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new InvalidOptionError(option, `an integer in ${min}…${max}`, value);
  return value;
}
