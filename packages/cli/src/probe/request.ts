/**
 * The one request the probe ever sends, written by hand: `GET` or `HEAD` of the path, no body.
 * Through a proxy an `http:` origin is asked in absolute form (what undici's `ProxyAgent` does
 * without a tunnel); an `https:` origin goes through the `CONNECT` tunnel made by `openSocket`.
 */
import type { ResolvedProbeOptions } from './probe-options.ts';

/** `User-Agent` of every probe request, so server operators can recognise it. */
export const USER_AGENT = 'steady-probe (+https://www.npmjs.com/package/@steady/cli)';

/** The request bytes; `close` asks the server to close the connection after answering. */
export function requestText(options: ResolvedProbeOptions, close = false): string {
  const { origin, proxy, path, method, proxyAuthorization } = options;
  const absolute = proxy !== undefined && origin.protocol === 'http:';
  const target = absolute ? `${origin.origin}${path}` : path;
  const auth = absolute && proxyAuthorization !== undefined ? `proxy-authorization: ${proxyAuthorization}\r\n` : '';
  return (
    `${method} ${target} HTTP/1.1\r\n` +
    `host: ${origin.host}\r\n` +
    `user-agent: ${USER_AGENT}\r\n` +
    `accept: */*\r\n` +
    auth +
    `connection: ${close ? 'close' : 'keep-alive'}\r\n\r\n`
  );
}

/** True when a response head announces that the server closes the connection after it. */
export function announcesClose(version: string, headers: Record<string, string>): boolean {
  const connection = (headers.connection ?? '').toLowerCase();
  if (/(?:^|,)\s*close\s*(?:,|$)/.test(connection)) return true;
  return version === '1.0' && !/(?:^|,)\s*keep-alive\s*(?:,|$)/.test(connection);
}
