import { InvalidOptionError, InvalidRequestError } from '../errors/errors.ts';
import { redactUrl } from '../errors/steady-error.ts';

/**
 * Origins as the agent keys them: scheme, lower-cased host (IDN as punycode), port with the
 * scheme's default folded away — exactly `URL.origin`. So `https://A.example:443` and
 * `https://a.example` share one upstream, one pool and one breaker.
 */

const EXPECTED_ORIGIN = 'an http: or https: origin with no path, query or credentials, e.g. "https://api.example.com"';

/** The normalised origin of an option key or list item (`origins`, `allowOrigins`); throws `InvalidOptionError` at `path`. */
export function originOption(path: string, value: unknown): string {
  if (typeof value !== 'string' && !(value instanceof URL)) throw new InvalidOptionError(path, EXPECTED_ORIGIN, value);
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new InvalidOptionError(path, EXPECTED_ORIGIN, value);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError(path, EXPECTED_ORIGIN, `${url.protocol}//${url.host}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidOptionError(path, EXPECTED_ORIGIN, `${url.protocol}//***@${url.host}`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new InvalidOptionError(path, EXPECTED_ORIGIN, `${url.origin}${url.pathname}`);
  }
  return url.origin;
}

/**
 * The URL a call goes to, checked before anything is resolved or sent: absolute (a relative
 * URL has no base here), `http:`/`https:`, no credentials. Throws `STEADY_INVALID_REQUEST`
 * with the URL redacted (no credentials, no query).
 */
export function targetUrl(input: string | URL, method: string): URL {
  let url: URL;
  if (input instanceof URL) {
    url = input;
  } else if (typeof input === 'string') {
    try {
      url = new URL(input);
    } catch (error) {
      throw new InvalidRequestError(
        `URL ${JSON.stringify(safeText(input))} is not absolute: an agent routes by origin, so give a full URL (e.g. "https://api.example.com/v1/x")`,
        { method },
        error,
      );
    }
  } else {
    throw new InvalidRequestError(`URL must be a string or a URL (received ${typeof input})`, { method });
  }
  return checkedUrl(url, method);
}

/** `url` when it is http(s) without credentials; else `STEADY_INVALID_REQUEST` (nothing sent). */
export function checkedUrl(url: URL, method: string): URL {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidRequestError(`unsupported URL scheme "${url.protocol}": only http: and https: are sent`, {
      method,
      url: `${url.protocol}//${url.host}`,
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidRequestError(
      'URL has credentials: send them in an Authorization header, never in the URL (they would leak into logs)',
      { method, url: redactUrl(url) },
    );
  }
  return url;
}

/** A string shown in a message: at most 80 characters, credentials and query cut. */
function safeText(text: string): string {
  const cut = text.search(/[?#]/);
  const bare = (cut === -1 ? text : text.slice(0, cut)).replace(/\/\/[^/@]*@/, '//***@');
  return bare.length > 80 ? `${bare.slice(0, 80)}…` : bare;
}
