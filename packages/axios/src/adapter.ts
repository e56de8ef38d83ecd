import { Readable } from 'node:stream';
import axios, {
  AxiosError,
  AxiosHeaders,
  type AxiosAdapter,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import {
  DEFAULT_MAX_REDIRECTS,
  fallbackAnswer,
  hopTimeout,
  nextRedirect,
  redirectLocation,
  type RequestFallback,
  type Upstream,
  type UpstreamResponse,
} from '@steady/core';
import type { SteadyRequestOptions } from './augment.ts';
import { originMismatchError, toAxiosError } from './errors.ts';
import { redirectError } from './redirects.ts';
import { prepareBody, type PreparedBody } from './request-body.ts';
import type { SteadyRequestInfo } from './request-info.ts';
import { toAxiosResponse } from './response.ts';
import { callSignal, type CallSignal } from './signal.ts';

const UPSTREAM = Symbol.for('steady.axios.upstream');
const USER_AGENT = `axios/${axios.VERSION}`;
const ACCEPT_ENCODING = 'gzip, compress, deflate, br';
const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/**
 * An axios adapter that sends every request through `upstream.request()`, so the upstream's
 * pool, stale-socket replay, deadlines, retry, breaker and bulkhead apply. Plug it into an
 * existing instance with `instance.defaults.adapter = steadyAdapter(upstream)`.
 * Requests to another origin than the upstream's are rejected with `ERR_BAD_REQUEST`.
 */
export function steadyAdapter(upstream: Upstream): AxiosAdapter {
  const adapter: AxiosAdapter = (config) => dispatch(upstream, config);
  Object.defineProperty(adapter, UPSTREAM, { value: upstream });
  Object.defineProperty(adapter, 'adapterName', { value: 'steady' });
  return adapter;
}

/** The upstream behind a {@link steadyAdapter} (or undefined for any other adapter value). */
export function upstreamOfAdapter(adapter: unknown): Upstream | undefined {
  if (typeof adapter === 'function') return (adapter as unknown as Record<symbol, Upstream | undefined>)[UPSTREAM];
  if (Array.isArray(adapter)) {
    for (const item of adapter) {
      const found = upstreamOfAdapter(item);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

async function dispatch(upstream: Upstream, config: InternalAxiosRequestConfig): Promise<AxiosResponse> {
  let method = (config.method ?? 'get').toUpperCase();
  const request: SteadyRequestInfo = {
    upstream: upstream.name,
    method,
    path: '',
    redirects: 0,
    fallback: false,
    res: { responseUrl: '' },
  };
  let call: CallSignal | undefined;
  try {
    let url = targetUrl(config);
    let path = config.params == null ? url.pathname + url.search : withParams(url, config);
    request.path = path;
    request.res.responseUrl = url.href;
    if (url.origin !== upstream.origin) throw originMismatchError(url, upstream.origin, config, request);
    const headers = requestHeaders(config, url);
    let body: PreparedBody = config.data == null ? undefined : await prepareBody(config.data, headers, config);
    let sent = toPlainHeaders(headers);
    const steady = config.steady;
    const timeout = steady?.timeout ?? axiosTimeout(config);
    const maxRedirects = config.maxRedirects ?? DEFAULT_MAX_REDIRECTS['follow-redirects'];
    call = callSignal(config);
    const deadline = maxRedirects > 0 ? Date.now() + (timeout ?? upstream.options.timeouts.total) : 0;
    let res: UpstreamResponse;
    const signal = call?.signal ?? (config.signal as AbortSignal | undefined);
    const fallback = perCallFallback(steady?.fallback, config, request, signal);
    for (;;) {
      const options = {
        ...steady,
        fallback,
        method,
        headers: sent,
        body,
        signal,
        timeout: request.redirects === 0 ? timeout : hopTimeout(deadline),
      };
      res = await upstream.request(path, options);
      const answer = fallbackAnswer(res);
      if (answer !== undefined) return answered(answer.value, res, config, request);
      if (maxRedirects === 0) break;
      const location = redirectLocation(res.statusCode, res.headers, 'follow-redirects');
      if (location === undefined) break;
      res.body.dump().catch(noop);
      const hop = nextRedirect({
        status: res.statusCode,
        location,
        url,
        method,
        headers: sent,
        body,
        origin: upstream.origin,
        redirects: request.redirects,
        maxRedirects,
        rules: 'follow-redirects',
      });
      if (hop.kind !== 'follow') throw redirectError(hop, res, upstream.origin, config, request);
      body = hop.body;
      sent = hop.headers;
      config.beforeRedirect?.(
        { ...redirectOptions(hop.url), method: hop.method, headers: sent },
        { headers: res.headers as Record<string, string>, statusCode: res.statusCode },
        { url: url.href, method, headers: sent as Record<string, string> },
      );
      request.redirects++;
      url = hop.url;
      method = request.method = hop.method;
      path = request.path = hop.path;
      request.res.responseUrl = url.href;
    }
    if (config.onUploadProgress !== undefined && body !== undefined && !(body instanceof Readable)) {
      const loaded = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      config.onUploadProgress({
        loaded,
        total: loaded,
        progress: 1,
        bytes: loaded,
        upload: true,
        lengthComputable: true,
      });
    }
    // The call's signal keeps aborting the body until it closes: core holds it (and the total
    // deadline) in force while the body streams, so nothing is registered here.
    return settle(await toAxiosResponse(res, config, request, upstream.options.pool.maxResponseSize));
  } catch (error) {
    throw toAxiosError(error, config, request, call?.signal ?? (config.signal as AbortSignal | undefined));
  } finally {
    call?.release();
  }
}

/** The full URL as axios' http adapter resolves it: `baseURL` + `url` unless `url` is absolute. */
function targetUrl(config: InternalAxiosRequestConfig): URL {
  const relative = config.url ?? '';
  const base = config.baseURL;
  const absolute = ABSOLUTE_URL.test(relative) && config.allowAbsoluteUrls !== false;
  const full = base && !absolute ? combine(base, relative) : relative;
  try {
    return new URL(full);
  } catch (error) {
    throw AxiosError.from(error, AxiosError.ERR_INVALID_URL, config);
  }
}

function combine(base: string, relative: string): string {
  return relative ? base.replace(/\/?\/$/, '') + '/' + relative.replace(/^\/+/, '') : base;
}

/** `params` and `paramsSerializer` applied by axios itself, to the path only. */
function withParams(url: URL, config: InternalAxiosRequestConfig): string {
  return axios.getUri({
    url: url.pathname + url.search,
    params: config.params,
    paramsSerializer: config.paramsSerializer,
  });
}

/** The headers axios' http adapter adds: User-Agent, Accept-Encoding, Basic auth. */
function requestHeaders(config: InternalAxiosRequestConfig, url: URL): AxiosHeaders {
  const headers = AxiosHeaders.from(config.headers).normalize(false);
  headers.set('User-Agent', USER_AGENT, false);
  headers.set('Accept-Encoding', ACCEPT_ENCODING, false);
  const auth = config.auth;
  let credentials: string | undefined;
  if (auth) credentials = `${auth.username ?? ''}:${auth.password ?? ''}`;
  else if (url.username || url.password) credentials = `${decode(url.username)}:${decode(url.password)}`;
  if (credentials !== undefined) {
    headers.delete('authorization');
    headers.set('Authorization', 'Basic ' + Buffer.from(credentials).toString('base64'));
  }
  return headers;
}

/** Plain headers for undici, without the framing headers it computes itself. */
function toPlainHeaders(headers: AxiosHeaders): Record<string, string | string[]> {
  const plain = headers.toJSON() as Record<string, string | string[]>;
  for (const name in plain) {
    if (name.length === 17 || name.length === 10) {
      const lower = name.toLowerCase();
      if (lower === 'transfer-encoding' || lower === 'keep-alive') delete plain[name];
    }
  }
  return plain;
}

/** axios' `timeout` (0 = none) becomes the call's total deadline; 0 keeps the upstream's `timeouts.total`. */
function axiosTimeout(config: InternalAxiosRequestConfig): number | undefined {
  const value = config.timeout;
  if (!value) return undefined;
  const ms = typeof value === 'number' ? value : parseInt(String(value), 10);
  if (Number.isNaN(ms)) {
    throw new AxiosError('error trying to parse `config.timeout` to int', AxiosError.ERR_BAD_OPTION_VALUE, config);
  }
  return ms;
}

function redirectOptions(url: URL): Record<string, unknown> {
  return {
    href: url.href,
    protocol: url.protocol,
    hostname: url.hostname,
    host: url.host,
    port: url.port,
    pathname: url.pathname,
    search: url.search,
    path: url.pathname + url.search,
  };
}

/**
 * The per-call `config.steady.fallback` runs as core's per-call fallback (one implementation:
 * core's rule, core's `fallback` event); it answers in axios' terms, so it gets the `AxiosError`.
 */
function perCallFallback(
  fallback: SteadyRequestOptions['fallback'],
  config: InternalAxiosRequestConfig,
  request: SteadyRequestInfo,
  signal: AbortSignal | undefined,
): RequestFallback | undefined {
  if (fallback === undefined) return undefined;
  return (error) => fallback(toAxiosError(error, config, request, signal));
}

/**
 * A `fallback` answered instead of the upstream (core's rule, `RequestFallbackValue`): a `Response`
 * or undici response data is read like the upstream's answer (`responseType`, `validateStatus`);
 * any other value is `response.data` as is, status 200, with the content-type core gave it.
 * Either way `response.request.fallback` is true and no redirect is followed.
 */
async function answered(
  value: unknown,
  res: UpstreamResponse,
  config: InternalAxiosRequestConfig,
  request: SteadyRequestInfo,
): Promise<AxiosResponse> {
  request.fallback = true;
  if (value === res || value instanceof Response) return settle(await toAxiosResponse(res, config, request));
  res.body.dump().catch(noop);
  const headers = new AxiosHeaders({ 'content-type': res.headers['content-type'] as string });
  return { data: value, status: 200, statusText: 'OK', headers, config, request };
}

/** axios' `settle`: reject when `validateStatus` says no. */
function settle(response: AxiosResponse): AxiosResponse {
  const status = response.status;
  const validate = response.config.validateStatus;
  if (!status || !validate || validate(status)) return response;
  throw new AxiosError(
    'Request failed with status code ' + status,
    status >= 400 && status < 500 ? AxiosError.ERR_BAD_REQUEST : AxiosError.ERR_BAD_RESPONSE,
    response.config,
    response.request,
    response,
  );
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function noop(): void {}
