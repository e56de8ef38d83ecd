import type { ConnectionOptions } from 'node:tls';
import { InvalidOptionError } from '../errors/errors.ts';

/**
 * The `pool.tls` option: the `tls.connect()` options undici's connector passes through for an
 * `https:` origin. Verification stays on unless `rejectUnauthorized: false` is given by name.
 * ALPN is Steady's (`pool.http2`); `servername` defaults to the origin's host.
 */
export type TlsOptions = Pick<
  ConnectionOptions,
  | 'ca'
  | 'cert'
  | 'key'
  | 'pfx'
  | 'passphrase'
  | 'crl'
  | 'servername'
  | 'rejectUnauthorized'
  | 'checkServerIdentity'
  | 'minVersion'
  | 'maxVersion'
  | 'ciphers'
  | 'ecdhCurve'
  | 'sigalgs'
  | 'session'
>;

const PEM = 'a PEM string, a Buffer, or an array of them';
const VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** What each key accepts: a check and the allowed range for the message. */
const RULES: Record<keyof TlsOptions, [check: (value: unknown) => boolean, expected: string]> = {
  ca: [(v) => listOf(v, isPem), PEM],
  cert: [(v) => listOf(v, isPem), PEM],
  crl: [(v) => listOf(v, isPem), PEM],
  key: [(v) => listOf(v, (k) => isPem(k) || withPassphrase(k, 'pem')), `${PEM} (or { pem, passphrase? } objects)`],
  pfx: [(v) => listOf(v, (k) => isPem(k) || withPassphrase(k, 'buf')), `${PEM} (or { buf, passphrase? } objects)`],
  passphrase: [(v) => typeof v === 'string', 'a string'],
  servername: [(v) => typeof v === 'string' && v.length > 0, 'a non-empty host name'],
  rejectUnauthorized: [(v) => typeof v === 'boolean', 'a boolean'],
  checkServerIdentity: [(v) => typeof v === 'function', 'a function (hostname, cert) => Error | undefined'],
  minVersion: [(v) => VERSIONS.includes(v as string), `one of ${VERSIONS.join(', ')}`],
  maxVersion: [(v) => VERSIONS.includes(v as string), `one of ${VERSIONS.join(', ')}`],
  ciphers: [(v) => typeof v === 'string' && v.length > 0, 'an OpenSSL cipher list string'],
  ecdhCurve: [(v) => typeof v === 'string' && v.length > 0, 'a curve name string'],
  sigalgs: [(v) => typeof v === 'string' && v.length > 0, 'a signature algorithm list string'],
  session: [(v) => v instanceof Uint8Array, 'a Buffer (a saved TLS session)'],
};
const KEYS = Object.keys(RULES);

/**
 * Validate `pool.tls` at `path`: an object of known keys, each of its type. Key material never
 * appears in a message: the received value is described by its type only.
 */
export function resolveTlsOptions(input: unknown, path: string): Readonly<TlsOptions> | undefined {
  if (input === undefined) return undefined;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidOptionError(path, 'an object of tls.connect() options', shapeOf(input));
  }
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (key === 'ALPNProtocols') {
      throw new InvalidOptionError(`${path}.${key}`, 'left out: ALPN is set from `pool.http2`', shapeOf(value));
    }
    const rule = RULES[key as keyof TlsOptions];
    if (rule === undefined) {
      throw new InvalidOptionError(`${path}.${key}`, `a known option (one of ${KEYS.join(', ')})`, shapeOf(value));
    }
    if (!rule[0](value)) throw new InvalidOptionError(`${path}.${key}`, rule[1], shapeOf(value));
  }
  return Object.freeze({ ...(input as TlsOptions) });
}

function isPem(value: unknown): boolean {
  return typeof value === 'string' || value instanceof Uint8Array;
}

function withPassphrase(value: unknown, field: 'pem' | 'buf'): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return isPem(entry[field]) && (entry.passphrase === undefined || typeof entry.passphrase === 'string');
}

function listOf(value: unknown, item: (v: unknown) => boolean): boolean {
  return Array.isArray(value) ? value.length > 0 && value.every(item) : item(value);
}

/** A received value as its shape only (`a string of 1704 characters`): it may be a private key. */
function shapeOf(value: unknown): string {
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return `${typeof value} ${String(value)}`;
}
