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
  followRedirects,
  type Agent,
  type RequestFallback,
  type Upstream,
  type UpstreamResponse,
  type WholeResponse,
} from '@steady/core';
import type { SteadyRequestOptions } from './augment.ts';
import { originMismatchError, toAxiosError } from './errors.ts';
import { redirectError } from './redirects.ts';
import { prepareBody, type PreparedBody } from './request-body.ts';
import { RequestInfo, type SteadyRequestInfo } from './request-info.ts';
import { toAxiosResponse } from './response.ts';
import { callSignal, type CallSignal } from './signal.ts';

const UPSTREAM = Symbol.for('steady.axios.upstream');
const AGENT = Symbol.for('steady.axios.agent');
const USER_AGENT = `axios/${axios.VERSION}`;
const ACCEPT_ENCODING = 'gzip, compress, deflate, br';
const ABSOLUTE_URL = /^([a-z][a-z\d+\-.]*:)?\/\//i;

/** Where an adapter sends: one upstream (its origin only), or an agent (any origin, each on its upstream). */
interface Target {
  /** The upstream of a hop's URL; throws (axios' `ERR_BAD_REQUEST`, or a Steady error) to refuse it. */
  route(url: URL, config: InternalAxiosRequestConfig, request: SteadyRequestInfo): Upstream;
  crossOrigin: boolean;
  /** Total deadline when neither `steady.timeout` nor axios' `timeout` is set. */
  name: string;
}

/**
 * An axios adapter that sends every request through Steady, so the pools, stale-socket replay,
 * deadlines, retry, breaker and bulkhead apply. Plug it into an existing instance with
 * `instance.defaults.adapter = steadyAdapter(upstream)` (requests to another origin than the
 * upstream's are rejected with `ERR_BAD_REQUEST`) or `steadyAdapter(agent)` (any origin, each
 * on its own upstream; the agent's `allowOrigins` applies).
 */
export function steadyAdapter(target: Upstream | Agent): AxiosAdapter {
  const isAgent = isAgentLike(target);
  const routing: Target = isAgent ? agentTarget(target) : upstreamTarget(target);
  const adapter: AxiosAdapter = (config) => dispatch(routing, config);
  Object.defineProperty(adapter, isAgent ? AGENT : UPSTREAM, { value: target });
  Object.defineProperty(adapter, 'adapterName', { value: 'steady' });
  return adapter;
}

/** The upstream behind a {@link steadyAdapter} (or undefined for any other adapter value). */
export function upstreamOfAdapter(adapter: unknown): Upstream | undefined {
  return findOnAdapter<Upstream>(adapter, UPSTREAM);
}

/** The agent behind a {@link steadyAdapter} made from an agent (or undefined). */
export function agentOfAdapter(adapter: unknown): Agent | undefined {
  return findOnAdapter<Agent>(adapter, AGENT);
}

function findOnAdapter<T>(adapter: unknown, key: symbol): T | undefined {
  if (typeof adapter === 'function') return (adapter as unknown as Record<symbol, T | undefined>)[key];
  if (Array.isArray(adapter)) {
    for (const item of adapter) {
      const found = findOnAdapter<T>(item, key);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function isAgentLike(target: Upstream | Agent): target is Agent {
  return typeof (target as Agent).route === 'function' && typeof (target as Agent).fetch === 'function';
}

function upstreamTarget(upstream: Upstream): Target {
  // A URL without credentials whose href starts with `origin/` has that origin (the URL parser
  // normalised both), without building `url.origin` per call.
  const prefix = upstream.origin + '/';
  return {
    name: upstream.name,
    crossOrigin: false,
    route(url, config, request) {
      if (!url.href.startsWith(prefix) && url.origin !== upstream.origin) {
        throw originMismatchError(url, upstream.origin, config, request);
      }
      return upstream;
    },
  };
}

function agentTarget(agent: Agent): Target {
  return { name: 'agent', crossOrigin: true, route: (url, _config, request) => agent.route(url, request.method) };
}

async function dispatch(target: Target, config: InternalAxiosRequestConfig): Promise<AxiosResponse> {
  const method = (config.method ?? 'get').toUpperCase();
  const request = new RequestInfo(target.name, method);
  let call: CallSignal | undefined;
  try {
    const given = targetUrl(config);
    const path = config.params == null ? given.pathname + given.search : withParams(given, config);
    request.path = path;
    // The URL sent: the given one without its credentials (sent as Basic auth) and fragment.
    const url =
      config.params == null && given.hash === '' && given.username === '' && given.password === ''
        ? given
        : new URL(path, given);
    request.res.responseUrl = url.href;
    request.upstream = target.route(url, config, request).name;
    const headers = requestHeaders(config, given);
    const body: PreparedBody = config.data == null ? undefined : await prepareBody(config.data, headers, config);
    const steady = config.steady;
    call = callSignal(config);
    const signal = call?.signal ?? (config.signal as AbortSignal | undefined);
    const perCall = steady === undefined ? undefined : withoutTimeout(steady);
    const fallback = perCallFallback(steady?.fallback, config, request, signal);
    const result = await followRedirects({
      url,
      method,
      headers: toPlainHeaders(headers),
      body,
      rules: 'follow-redirects',
      maxRedirects: config.maxRedirects ?? DEFAULT_MAX_REDIRECTS['follow-redirects'],
      timeout: steady?.timeout ?? axiosTimeout(config),
      // The per-call fallback runs as core's (one rule, core's `fallback` event); it gets the AxiosError.
      // The body is read inside the call (no stream) unless axios must stream it, report progress or bound it.
      call: { ...perCall, fallback, signal, wholeBody: wholeBody(config) },
      route: (hop) => target.route(hop, config, request),
      crossOrigin: target.crossOrigin,
      beforeHop: (hop, res, from) => {
        config.beforeRedirect?.(
          { ...redirectOptions(hop.url), method: hop.method, headers: hop.headers },
          { headers: res.headers as Record<string, string>, statusCode: res.statusCode },
          { url: from.url.href, method: from.method, headers: hop.headers as Record<string, string> },
        );
        request.redirects++;
        request.method = hop.method;
        request.path = hop.path;
        request.res.responseUrl = hop.url.href;
      },
      refuse: (refusal, res, from) => redirectError(refusal, res, from.url.origin, config, request),
    });
    const res = result.response;
    if (result.fallback !== undefined) return answered(result.fallback.value, res, config, request);
    const sentBody = result.body;
    if (config.onUploadProgress !== undefined && sentBody !== undefined && !(sentBody instanceof Readable)) {
      const loaded = typeof sentBody === 'string' ? Buffer.byteLength(sentBody) : sentBody.length;
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
    return settle(await toAxiosResponse(res, config, request, result.upstream.options.pool.maxResponseSize));
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
  if (!relative) return base;
  // The common case without a regex: a base with no trailing slash and a path with one leading slash.
  if (base.charCodeAt(base.length - 1) !== 47 && relative.charCodeAt(0) === 47 && relative.charCodeAt(1) !== 47) {
    return base + relative;
  }
  return base.replace(/\/?\/$/, '') + '/' + relative.replace(/^\/+/, '');
}

/** The per-call Steady options core applies to each hop (the deadline is the chain's). */
function withoutTimeout(steady: SteadyRequestOptions): Omit<SteadyRequestOptions, 'timeout'> {
  const { timeout: _timeout, ...perCall } = steady;
  return perCall;
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
  res: UpstreamResponse | WholeResponse,
  config: InternalAxiosRequestConfig,
  request: SteadyRequestInfo,
): Promise<AxiosResponse> {
  request.fallback = true;
  if (value === res || value instanceof Response) return settle(await toAxiosResponse(res, config, request));
  res.body.dump().catch(noop);
  const headers = new AxiosHeaders({ 'content-type': res.headers['content-type'] as string });
  return { data: value, status: 200, statusText: 'OK', headers, config, request };
}

/**
 * Read the body inside the call (core's `wholeBody`) unless axios streams it, reports download
 * progress, or bounds it with `maxContentLength` (the stream stops at the limit instead of reading
 * up to `pool.maxResponseSize` first).
 */
function wholeBody(config: InternalAxiosRequestConfig): boolean {
  return (
    config.responseType !== 'stream' &&
    config.onDownloadProgress === undefined &&
    !((config.maxContentLength ?? -1) > -1)
  );
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
