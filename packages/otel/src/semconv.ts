/**
 * Attribute and metric names. The HTTP ones are OpenTelemetry semantic conventions, copied
 * here as constants because several are still incubating (their names may move, and the
 * incubating entry of `@opentelemetry/semantic-conventions` is not meant as a runtime
 * dependency); the `steady.*` ones are Steady's own, in the style of Polly's `resilience.polly.*`.
 */

/** Stable: host name of the upstream's origin. */
export const ATTR_SERVER_ADDRESS = 'server.address';
/** Stable: port of the upstream's origin (80/443 when the origin names none). */
export const ATTR_SERVER_PORT = 'server.port';
/** Stable: `http` or `https`. */
export const ATTR_URL_SCHEME = 'url.scheme';
/** Stable: the request method, upper-case (`_OTHER` for a non-standard one, per the conventions). */
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
/** Stable: the response status code. */
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
/** Stable: why a call failed — the Steady code (`STEADY_TIMEOUT`…) or an error status (`503`). */
export const ATTR_ERROR_TYPE = 'error.type';
/** Incubating: `active` or `idle`, on `http.client.open_connections`. */
export const ATTR_HTTP_CONNECTION_STATE = 'http.connection.state';
/** Incubating: how many times the request was sent again (retries and stale-socket replays), on spans. */
export const ATTR_HTTP_REQUEST_RESEND_COUNT = 'http.request.resend_count';

/** Steady: the upstream's name. */
export const ATTR_STEADY_UPSTREAM = 'steady.upstream';
/** Steady: what happened, on `steady.client.events` (see {@link STEADY_EVENTS}). */
export const ATTR_STEADY_EVENT = 'steady.event';
/** Steady: `closed`, `open`, `half-open` or `isolated`, on `steady.client.breaker.state`. */
export const ATTR_STEADY_BREAKER_STATE = 'steady.breaker.state';
/** Steady: which deadline fired (`connect`, `headers`, `body`, `total`, `queue`), on `timeout` events. */
export const ATTR_STEADY_TIMEOUT_PHASE = 'steady.timeout.phase';
/** Steady: attempts the call made, on spans. */
export const ATTR_STEADY_ATTEMPTS = 'steady.call.attempts';

/** Incubating: open connections, by `http.connection.state`. UpDownCounter, `{connection}`. */
export const METRIC_HTTP_CLIENT_OPEN_CONNECTIONS = 'http.client.open_connections';
/** Incubating: how long each connection stayed open. Histogram, `s`. */
export const METRIC_HTTP_CLIENT_CONNECTION_DURATION = 'http.client.connection.duration';
/** Incubating: calls in flight. UpDownCounter, `{request}`. */
export const METRIC_HTTP_CLIENT_ACTIVE_REQUESTS = 'http.client.active_requests';
/** Stable: duration of one attempt (off by default: `@opentelemetry/instrumentation-undici` records it). */
export const METRIC_HTTP_CLIENT_REQUEST_DURATION = 'http.client.request.duration';

/** Steady: duration of a whole logical call (every attempt, backoff and fallback). Histogram, `s`. */
export const METRIC_STEADY_CALL_DURATION = 'steady.client.call.duration';
/** Steady: resilience events, by `steady.event`. Counter, `{event}`. */
export const METRIC_STEADY_EVENTS = 'steady.client.events';
/** Steady: 1 for the breaker's current state, 0 for the others, by `steady.breaker.state`. Gauge. */
export const METRIC_STEADY_BREAKER_STATE = 'steady.client.breaker.state';
/** Steady: calls running inside the bulkhead. Gauge, `{call}`. */
export const METRIC_STEADY_BULKHEAD_RUNNING = 'steady.client.bulkhead.running';
/** Steady: calls waiting in the bulkhead's queue. Gauge, `{call}`. */
export const METRIC_STEADY_BULKHEAD_QUEUED = 'steady.client.bulkhead.queued';
/** Steady: retries the retry budget still allows now. Gauge, `{retry}`. */
export const METRIC_STEADY_RETRY_BUDGET_AVAILABLE = 'steady.client.retry_budget.available';
/** Steady: sockets the pool holds open now. Gauge, `{socket}`. */
export const METRIC_STEADY_POOL_SOCKETS = 'steady.client.pool.sockets';
/** Steady: the most sockets the pool may open (`pool.connections`). Gauge, `{socket}`. */
export const METRIC_STEADY_POOL_SOCKETS_LIMIT = 'steady.client.pool.sockets.limit';
/** Steady: sockets the pool ever opened (its rate is connection churn). Counter, `{socket}`. */
export const METRIC_STEADY_POOL_SOCKETS_OPENED = 'steady.client.pool.sockets.opened';
/** Steady: requests waiting for a free socket. Gauge, `{request}`. */
export const METRIC_STEADY_POOL_PENDING = 'steady.client.pool.pending';

/** Every value of `steady.event`. */
export const STEADY_EVENTS = Object.freeze([
  'retry',
  'replay',
  'hedge',
  'budget_exhausted',
  'breaker_opened',
  'breaker_half_open',
  'breaker_closed',
  'rejected',
  'timeout',
  'fallback',
] as const);

/** A value of `steady.event`. */
export type SteadyEventName = (typeof STEADY_EVENTS)[number];

/** Bucket boundaries (s) the conventions advise for request and call durations. */
export const DURATION_BUCKETS = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);
/** Bucket boundaries (s) the conventions advise for `http.client.connection.duration`. */
export const CONNECTION_DURATION_BUCKETS = Object.freeze([
  0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
]);
