import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_REDIRECTS,
  hopTimeout,
  nextRedirect,
  redirectLocation,
  type RedirectHeaders,
  type RedirectInput,
  type RedirectRules,
} from './redirect.ts';

const ORIGIN = 'http://api.test:8080';

function input<H extends RedirectHeaders = Record<string, string>, B = string | undefined>(
  overrides: Partial<RedirectInput<H, B>> = {},
): RedirectInput<H, B> {
  return {
    status: 302,
    location: '/next',
    url: `${ORIGIN}/start?q=1`,
    method: 'GET',
    headers: { accept: 'application/json' } as unknown as H,
    body: undefined as B,
    origin: ORIGIN,
    redirects: 0,
    ...overrides,
  };
}

describe('redirectLocation', () => {
  it.each([301, 302, 303, 307, 308])('reads the Location of a %s under both rules', (status) => {
    expect(redirectLocation(status, { location: '/a' })).toBe('/a');
    expect(redirectLocation(status, { location: '/a' }, 'follow-redirects')).toBe('/a');
  });

  it.each([300, 304, 305, 306, 399])('treats %s as a redirect under follow-redirects only', (status) => {
    expect(redirectLocation(status, { location: '/a' }, 'fetch')).toBeUndefined();
    expect(redirectLocation(status, { location: '/a' }, 'follow-redirects')).toBe('/a');
  });

  it.each([200, 204, 299, 400, 404, 500])('is undefined for a %s', (status) => {
    expect(redirectLocation(status, { location: '/a' })).toBeUndefined();
    expect(redirectLocation(status, { location: '/a' }, 'follow-redirects')).toBeUndefined();
  });

  it('is undefined for a redirect without a Location', () => {
    expect(redirectLocation(302, {})).toBeUndefined();
    expect(redirectLocation(302, { location: undefined }, 'follow-redirects')).toBeUndefined();
  });

  it('finds the header whatever its case, and keeps an empty Location', () => {
    expect(redirectLocation(301, { Location: '/b' })).toBe('/b');
    expect(redirectLocation(301, { location: '' })).toBe('');
  });

  it('joins a repeated Location (fetch) or takes the first (follow-redirects)', () => {
    expect(redirectLocation(302, { location: ['/a', '/b'] })).toBe('/a, /b');
    expect(redirectLocation(302, { location: ['/a', '/b'] }, 'follow-redirects')).toBe('/a');
  });
});

describe.each(['fetch', 'follow-redirects'] as const)('nextRedirect with %s rules', (rules: RedirectRules) => {
  it('resolves a relative Location against the current URL', () => {
    const hop = nextRedirect(input({ rules, location: 'other?x=2', url: new URL(`${ORIGIN}/dir/page`) }));
    expect(hop).toMatchObject({ kind: 'follow', path: '/dir/other?x=2', method: 'GET', bodyDropped: false });
    expect(hop.kind === 'follow' && hop.url.href).toBe(`${ORIGIN}/dir/other?x=2`);
  });

  it('follows an absolute same-origin Location, normalised', () => {
    const hop = nextRedirect(input({ rules, location: 'HTTP://API.test:8080/x' }));
    expect(hop).toMatchObject({ kind: 'follow', path: '/x' });
  });

  it.each([
    [301, 'GET'],
    [302, 'PUT'],
    [302, 'DELETE'],
    [307, 'POST'],
    [308, 'POST'],
    [308, 'PATCH'],
    [303, 'GET'],
    [303, 'HEAD'],
    [301, 'HEAD'],
  ])('a %s keeps %s, its headers and its body', (status, method) => {
    const headers = { 'content-type': 'text/plain', 'x-a': '1' };
    const hop = nextRedirect(input({ rules, status, method, headers, body: 'payload' }));
    expect(hop).toMatchObject({ kind: 'follow', method, body: 'payload', bodyDropped: false });
    expect(hop.kind === 'follow' && hop.headers).toBe(headers);
  });

  it.each([
    [303, 'POST'],
    [303, 'PUT'],
    [303, 'DELETE'],
    [303, 'PATCH'],
    [301, 'POST'],
    [302, 'POST'],
  ])('a %s turns %s into a body-less GET', (status, method) => {
    const hop = nextRedirect(input({ rules, status, method, body: 'payload' }));
    expect(hop).toMatchObject({ kind: 'follow', method: 'GET', body: undefined, bodyDropped: true });
  });

  it('drops a stream body along with the method change', () => {
    const stream = Readable.from(['x']);
    const hop = nextRedirect(
      input<Record<string, string>, Readable>({ rules, status: 303, method: 'POST', body: stream }),
    );
    expect(hop).toMatchObject({ kind: 'follow', method: 'GET', body: undefined });
    stream.destroy();
  });

  it.each([307, 308, 302])('refuses to resend a stream body on a %s', (status) => {
    const node = Readable.from(['x']);
    expect(nextRedirect(input<Record<string, string>, unknown>({ rules, status, method: 'PUT', body: node }))).toEqual({
      kind: 'stream-body',
    });
    node.destroy();
    const web = new ReadableStream<Uint8Array>();
    expect(nextRedirect(input<string[], unknown>({ rules, status, method: 'PUT', headers: [], body: web }))).toEqual({
      kind: 'stream-body',
    });
  });

  it.each([
    ['a string', 'text'],
    ['bytes', new Uint8Array([1, 2])],
    ['a Buffer', Buffer.from('b')],
    ['no body', undefined],
  ])('resends %s on a 307', (_name, body) => {
    const hop = nextRedirect(input<Record<string, string>, unknown>({ rules, status: 307, method: 'POST', body }));
    expect(hop).toMatchObject({ kind: 'follow', method: 'POST', body });
  });

  it('refuses a Location on another origin', () => {
    for (const location of [
      'http://elsewhere.test/x',
      'https://api.test:8080/x',
      'http://api.test:8081/x',
      '//evil.test/',
    ]) {
      const outcome = nextRedirect(input({ rules, location }));
      expect(outcome.kind).toBe('cross-origin');
      expect(outcome.kind === 'cross-origin' && outcome.url.href).toBe(new URL(location, ORIGIN).href);
    }
  });

  it.each(['ftp://api.test:8080/x', 'javascript:alert(1)', 'data:text/plain,hi', 'file:///etc/passwd'])(
    'refuses a non-http(s) Location: %s',
    (location) => {
      expect(nextRedirect(input({ rules, location })).kind).toBe('unsupported-scheme');
    },
  );

  it('reports an unparsable Location with its parse error', () => {
    const outcome = nextRedirect(input({ rules, location: 'http://[::1', url: ORIGIN }));
    expect(outcome.kind).toBe('invalid-location');
    expect(outcome.kind === 'invalid-location' && outcome.cause).toBeInstanceOf(TypeError);
  });

  it('refuses past maxRedirects before looking at the Location', () => {
    expect(nextRedirect(input({ rules, redirects: 3, maxRedirects: 3, location: 'http://[' }))).toEqual({
      kind: 'too-many',
      maxRedirects: 3,
    });
    expect(nextRedirect(input({ rules, redirects: 2, maxRedirects: 3 })).kind).toBe('follow');
    expect(nextRedirect(input({ rules, redirects: 0, maxRedirects: 0 })).kind).toBe('too-many');
  });

  it('defaults maxRedirects to the rules’ own limit', () => {
    const limit = DEFAULT_MAX_REDIRECTS[rules];
    expect(nextRedirect(input({ rules, redirects: limit - 1 })).kind).toBe('follow');
    expect(nextRedirect(input({ rules, redirects: limit }))).toEqual({ kind: 'too-many', maxRedirects: limit });
  });

  it('keeps the input headers untouched when dropping body headers', () => {
    const headers = { 'content-type': 'application/json', accept: '*/*' };
    const hop = nextRedirect(input({ rules, status: 303, method: 'POST', headers }));
    expect(hop.kind === 'follow' && hop.headers).not.toBe(headers);
    expect(headers).toEqual({ 'content-type': 'application/json', accept: '*/*' });
  });
});

describe("nextRedirect with fetch's rules", () => {
  it('is the default, limited to 20 redirects', () => {
    expect(DEFAULT_MAX_REDIRECTS.fetch).toBe(20);
    expect(nextRedirect(input({ redirects: 20 })).kind).toBe('too-many');
  });

  it("drops the Location's fragment", () => {
    const hop = nextRedirect(input({ location: '/x?y=1#frag' }));
    expect(hop.kind === 'follow' && hop.url.href).toBe(`${ORIGIN}/x?y=1`);
    expect(hop.kind === 'follow' && hop.path).toBe('/x?y=1');
  });

  it('refuses a Location with credentials, even on the same origin', () => {
    expect(nextRedirect(input({ location: 'http://user:pw@api.test:8080/x' })).kind).toBe('credentials');
    expect(nextRedirect(input({ location: 'http://user@api.test:8080/x' })).kind).toBe('credentials');
  });

  it('drops only the request-body headers, in a flat list', () => {
    // prettier-ignore
    const headers = [
      'content-type', 'text/plain',
      'content-length', '7',
      'content-encoding', 'gzip',
      'content-language', 'en',
      'content-location', '/x',
      'content-disposition', 'inline',
      'accept', '*/*',
      'set-cookie', 'a=1',
      'set-cookie', 'b=2',
    ];
    const hop = nextRedirect(input<string[], string>({ status: 303, method: 'POST', headers, body: 'payload' }));
    // prettier-ignore
    const kept = [
      'content-disposition', 'inline',
      'accept', '*/*',
      'set-cookie', 'a=1',
      'set-cookie', 'b=2',
    ];
    expect(hop.kind === 'follow' && hop.headers).toEqual(kept);
  });

  it('drops the request-body headers of a record whatever their case', () => {
    const headers = { 'Content-Type': 'text/plain', 'Content-MD5': 'x', Accept: '*/*' };
    const hop = nextRedirect(input({ status: 302, method: 'POST', headers }));
    expect(hop.kind === 'follow' && hop.headers).toEqual({ 'Content-MD5': 'x', Accept: '*/*' });
  });
});

describe('nextRedirect with follow-redirects rules', () => {
  const rules = 'follow-redirects';

  it('is limited to 21 redirects by default', () => {
    expect(DEFAULT_MAX_REDIRECTS[rules]).toBe(21);
    expect(nextRedirect(input({ rules, redirects: 20 })).kind).toBe('follow');
  });

  it("keeps the Location's fragment in the URL, not in the path", () => {
    const hop = nextRedirect(input({ rules, location: '/x?y=1#frag' }));
    expect(hop.kind === 'follow' && hop.url.href).toBe(`${ORIGIN}/x?y=1#frag`);
    expect(hop.kind === 'follow' && hop.path).toBe('/x?y=1');
  });

  it('follows a same-origin Location with credentials', () => {
    expect(nextRedirect(input({ rules, location: 'http://user:pw@api.test:8080/x' }))).toMatchObject({
      kind: 'follow',
      path: '/x',
    });
  });

  it('drops every Content-* header, in a record or a flat list', () => {
    const headers = {
      'Content-Type': 'a',
      'content-disposition': 'b',
      'CONTENT-MD5': 'c',
      'content-': 'd',
      Accept: '*/*',
    };
    const hop = nextRedirect(input({ rules, status: 303, method: 'PUT', headers }));
    expect(hop.kind === 'follow' && hop.headers).toEqual({ 'content-': 'd', Accept: '*/*' });
    const flat = nextRedirect(
      input<string[], undefined>({ rules, status: 301, method: 'POST', headers: ['Content-Type', 'a', 'x', 'y'] }),
    );
    expect(flat.kind === 'follow' && flat.headers).toEqual(['x', 'y']);
  });
});

describe('hopTimeout', () => {
  it('is what is left until the deadline', () => {
    expect(hopTimeout(10_500, 10_000)).toBe(500);
  });

  it('is at least 1 ms, so a spent deadline still fails as a timeout', () => {
    expect(hopTimeout(10_000, 10_000)).toBe(1);
    expect(hopTimeout(9_000, 10_000)).toBe(1);
  });

  it('defaults now to Date.now()', () => {
    const left = hopTimeout(Date.now() + 1000);
    expect(left).toBeGreaterThan(900);
    expect(left).toBeLessThanOrEqual(1000);
  });
});
