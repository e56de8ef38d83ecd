/**
 * Facts about a request that decide what may be replayed or retried. Pure functions,
 * shared by the pool's stale-socket replay and by the policies.
 */

/**
 * The methods whose requests Steady may send again — by a retry and by the stale-socket replay
 * alike: RFC 9110 §9.2.2's idempotent methods minus TRACE (a diagnostic loop-back, never worth a
 * second trip). `retry.methods` replaces this list for an upstream, for both.
 */
export const IDEMPOTENT_METHODS: readonly string[] = Object.freeze(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** The value of a header, case-insensitively, from any header shape undici accepts. */
export function headerValue(headers: unknown, name: string): string | undefined {
  if (headers == null) return undefined;
  const wanted = name.toLowerCase();
  if (Array.isArray(headers)) {
    // Either a flat [k, v, k, v] list or a list of [k, v] pairs.
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as [string, unknown][]) {
        if (String(pair[0]).toLowerCase() === wanted) return String(pair[1]);
      }
      return undefined;
    }
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === wanted) return String(headers[i + 1]);
    }
    return undefined;
  }
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    return (headers as Headers).get(wanted) ?? undefined;
  }
  if (typeof headers === 'object') {
    if (Symbol.iterator in headers) {
      for (const [key, value] of headers as Iterable<[string, unknown]>) {
        if (String(key).toLowerCase() === wanted) return String(value);
      }
      return undefined;
    }
    for (const key of Object.keys(headers)) {
      if (key.toLowerCase() === wanted) {
        const value = (headers as Record<string, unknown>)[key];
        if (value == null) return undefined;
        return Array.isArray(value) ? value.join(', ') : String(value);
      }
    }
  }
  return undefined;
}

/** Idempotent by method, by an `Idempotency-Key` header, or by the caller's say-so. */
export function isIdempotentRequest(
  method: string,
  headers: unknown,
  explicit?: boolean,
  methods: readonly string[] = IDEMPOTENT_METHODS,
): boolean {
  if (explicit !== undefined) return explicit;
  return methods.includes(method.toUpperCase()) || headerValue(headers, 'idempotency-key') !== undefined;
}

/** A body that can be sent again byte for byte: none, a string, bytes, or a Blob. Streams cannot. */
export function isReplayableBody(body: unknown): boolean {
  return (
    body == null ||
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    body instanceof ArrayBuffer ||
    (typeof Blob !== 'undefined' && body instanceof Blob)
  );
}

/** Network error codes that mean a kept-alive socket was already dead when we wrote to it. */
export const STALE_SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET', // "other side closed"
  'ECONNABORTED',
]);

/** Network error codes that prove the request never left: the connection was never made. */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Error codes of a TLS certificate that did not verify (OpenSSL's `X509_V_ERR_*` names as Node
 * reports them, and Node's host-name check): a configuration error, never an outage.
 */
export const TLS_CERT_CODES: ReadonlySet<string> = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
]);

/** Error codes of transport failures whose delivery is unknown once the request was written. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  ...STALE_SOCKET_CODES,
  'ETIMEDOUT',
  'UND_ERR_CLOSED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** The `code` of an error (or of its `cause`), if any. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  const cause = (error as { cause?: unknown } | null)?.cause;
  const causeCode = (cause as { code?: unknown } | null)?.code;
  return typeof causeCode === 'string' ? causeCode : undefined;
}
