/**
 * What a Steady-backed axios call exposes as `response.request` and `error.request`
 * (axios' http adapter puts a `ClientRequest` there; Steady has no such object).
 */
export interface SteadyRequestInfo {
  /** The upstream's name. */
  upstream: string;
  /** HTTP method of the last hop, upper-case. */
  method: string;
  /** Path and query of the last hop. */
  path: string;
  /** Redirects followed so far. */
  redirects: number;
  /** True when the response is the value of a `fallback`, not an HTTP response. */
  fallback: boolean;
  /** Same shape as `ClientRequest.res.responseUrl` with follow-redirects: the final URL. */
  res: { responseUrl: string };
}

/**
 * The {@link SteadyRequestInfo} of one call. A class, not an object literal: it lives as long as
 * the response it is attached to, and V8 may pretenure the allocation site of a literal whose
 * objects outlive young-generation GCs (core's `upstream/request-parts.ts` explains the cost).
 */
export class RequestInfo implements SteadyRequestInfo {
  upstream: string;
  method: string;
  path = '';
  redirects = 0;
  fallback = false;
  readonly res = new ResponseUrl();

  constructor(upstream: string, method: string) {
    this.upstream = upstream;
    this.method = method;
  }
}

class ResponseUrl {
  responseUrl = '';
}
