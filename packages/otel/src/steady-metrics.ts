import type {
  Attributes,
  BatchObservableCallback,
  Counter,
  Histogram,
  Meter,
  ObservableCounter,
  ObservableGauge,
  ObservableUpDownCounter,
} from '@opentelemetry/api';
import type { Socket } from 'node:net';
import type { BreakerState } from '@steady/core';
import { ATTR_HTTP_CONNECTION_STATE, ATTR_STEADY_BREAKER_STATE } from './semconv.ts';
import * as names from './semconv.ts';
import type { TrackedUpstream } from './tracked-upstreams.ts';

const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half-open', 'isolated'];

/** The instruments, and what feeds them. */
export class SteadyMetrics {
  readonly #callDuration: Histogram;
  readonly #attemptDuration: Histogram | undefined;
  readonly #connectionDuration: Histogram;
  readonly #activeRequests: ObservableUpDownCounter;
  readonly #events: Counter;
  readonly #observables: Array<ObservableGauge | ObservableUpDownCounter | ObservableCounter>;
  readonly #openConnections: ObservableUpDownCounter;
  readonly #breakerState: ObservableGauge;
  readonly #bulkheadRunning: ObservableGauge;
  readonly #bulkheadQueued: ObservableGauge;
  readonly #budgetAvailable: ObservableGauge;
  readonly #poolSockets: ObservableGauge;
  readonly #poolLimit: ObservableGauge;
  readonly #poolOpened: ObservableCounter;
  readonly #poolPending: ObservableGauge;
  readonly #meter: Meter;
  readonly #observe: BatchObservableCallback;
  /** Sockets whose `close` will record a connection duration, and the listener to remove on shutdown. */
  readonly #sockets = new Map<Socket, () => void>();

  constructor(meter: Meter, attemptDuration: boolean, upstreams: () => Iterable<TrackedUpstream>) {
    this.#meter = meter;
    this.#callDuration = meter.createHistogram(names.METRIC_STEADY_CALL_DURATION, {
      description: 'Duration of a whole logical call through Steady: every attempt, backoff and fallback.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...names.DURATION_BUCKETS] },
    });
    this.#attemptDuration = attemptDuration
      ? meter.createHistogram(names.METRIC_HTTP_CLIENT_REQUEST_DURATION, {
          description: 'Duration of HTTP client requests (one point per attempt).',
          unit: 's',
          advice: { explicitBucketBoundaries: [...names.DURATION_BUCKETS] },
        })
      : undefined;
    this.#connectionDuration = meter.createHistogram(names.METRIC_HTTP_CLIENT_CONNECTION_DURATION, {
      description: 'The duration of the successfully established outbound HTTP connections.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...names.CONNECTION_DURATION_BUCKETS] },
    });
    // Observed from counts kept per upstream and method: a call costs two integer updates, not two SDK calls.
    this.#activeRequests = meter.createObservableUpDownCounter(names.METRIC_HTTP_CLIENT_ACTIVE_REQUESTS, {
      description: 'Number of active HTTP requests (Steady calls in flight, backoff included).',
      unit: '{request}',
    });
    this.#events = meter.createCounter(names.METRIC_STEADY_EVENTS, {
      description: 'Resilience events: retries, replays, breaker transitions, rejections, timeouts, fallbacks.',
      unit: '{event}',
    });
    this.#openConnections = meter.createObservableUpDownCounter(names.METRIC_HTTP_CLIENT_OPEN_CONNECTIONS, {
      description: 'Number of outbound HTTP connections that are currently active or idle on the client.',
      unit: '{connection}',
    });
    this.#breakerState = meter.createObservableGauge(names.METRIC_STEADY_BREAKER_STATE, {
      description: 'Circuit breaker state: 1 for the current state, 0 for the others.',
      unit: '1',
    });
    this.#bulkheadRunning = meter.createObservableGauge(names.METRIC_STEADY_BULKHEAD_RUNNING, {
      description: 'Calls running inside the bulkhead.',
      unit: '{call}',
    });
    this.#bulkheadQueued = meter.createObservableGauge(names.METRIC_STEADY_BULKHEAD_QUEUED, {
      description: "Calls waiting in the bulkhead's queue.",
      unit: '{call}',
    });
    this.#budgetAvailable = meter.createObservableGauge(names.METRIC_STEADY_RETRY_BUDGET_AVAILABLE, {
      description: 'Retries the retry budget still allows now.',
      unit: '{retry}',
    });
    this.#poolSockets = meter.createObservableGauge(names.METRIC_STEADY_POOL_SOCKETS, {
      description: 'Sockets the pool holds open now.',
      unit: '{socket}',
    });
    this.#poolLimit = meter.createObservableGauge(names.METRIC_STEADY_POOL_SOCKETS_LIMIT, {
      description: 'The most sockets the pool may open.',
      unit: '{socket}',
    });
    this.#poolOpened = meter.createObservableCounter(names.METRIC_STEADY_POOL_SOCKETS_OPENED, {
      description: 'Sockets the pool ever opened; its rate is connection churn.',
      unit: '{socket}',
    });
    this.#poolPending = meter.createObservableGauge(names.METRIC_STEADY_POOL_PENDING, {
      description: 'Requests waiting for a free socket.',
      unit: '{request}',
    });
    this.#observables = [
      this.#activeRequests,
      this.#openConnections,
      this.#breakerState,
      this.#bulkheadRunning,
      this.#bulkheadQueued,
      this.#budgetAvailable,
      this.#poolSockets,
      this.#poolLimit,
      this.#poolOpened,
      this.#poolPending,
    ];
    this.#observe = (result) => {
      for (const tracked of upstreams()) this.#observeUpstream(result, tracked);
    };
    meter.addBatchObservableCallback(this.#observe, this.#observables);
  }

  /** A call settled after `seconds`. */
  callEnded(outcome: Attributes, seconds: number): void {
    this.#callDuration.record(seconds, outcome);
  }

  /** An attempt settled after `seconds` (only with `attemptDuration`). */
  attemptEnded(outcome: Attributes, seconds: number): void {
    this.#attemptDuration?.record(seconds, outcome);
  }

  get recordsAttempts(): boolean {
    return this.#attemptDuration !== undefined;
  }

  /** Count one resilience event. */
  event(tracked: TrackedUpstream, name: names.SteadyEventName, extra?: Attributes): void {
    this.#events.add(1, tracked.eventAttributes(name, extra));
  }

  /** A pool socket opened: its `close` records how long it lived. */
  socketOpened(tracked: TrackedUpstream, socket: Socket): void {
    if (socket.destroyed || this.#sockets.has(socket)) return;
    const opened = performance.now();
    const onClose = () => {
      this.#sockets.delete(socket);
      this.#connectionDuration.record((performance.now() - opened) / 1000, tracked.base);
    };
    this.#sockets.set(socket, onClose);
    socket.once('close', onClose);
  }

  /** Stop observing and recording. */
  shutdown(): void {
    this.#meter.removeBatchObservableCallback(this.#observe, this.#observables);
    for (const [socket, onClose] of this.#sockets) socket.off('close', onClose);
    this.#sockets.clear();
  }

  #observeUpstream(result: Parameters<BatchObservableCallback>[0], tracked: TrackedUpstream): void {
    const stats = tracked.upstream.stats();
    const base = tracked.base;
    for (const [method, { count }] of tracked.active) {
      observe(result, this.#activeRequests, count, tracked.request(method));
    }
    const active = Math.max(0, stats.pool.connected - stats.pool.free);
    observe(result, this.#openConnections, active, { ...base, [ATTR_HTTP_CONNECTION_STATE]: 'active' });
    observe(result, this.#openConnections, stats.pool.free, { ...base, [ATTR_HTTP_CONNECTION_STATE]: 'idle' });
    observe(result, this.#poolSockets, stats.pool.socketsOpen, base);
    observe(result, this.#poolLimit, stats.pool.connections, base);
    observe(result, this.#poolOpened, stats.pool.socketsOpened, base);
    observe(result, this.#poolPending, stats.pool.pending, base);
    if (stats.breaker !== null) {
      for (const state of BREAKER_STATES) {
        observe(result, this.#breakerState, state === stats.breaker.state ? 1 : 0, {
          ...base,
          [ATTR_STEADY_BREAKER_STATE]: state,
        });
      }
    }
    if (stats.bulkhead !== null) {
      observe(result, this.#bulkheadRunning, stats.bulkhead.running, base);
      observe(result, this.#bulkheadQueued, stats.bulkhead.queued, base);
    }
    const budget = stats.retry?.budget;
    if (budget !== null && budget !== undefined) observe(result, this.#budgetAvailable, budget.available, base);
  }
}

function observe(
  result: Parameters<BatchObservableCallback>[0],
  instrument: ObservableGauge | ObservableUpDownCounter | ObservableCounter,
  value: number,
  attributes: Attributes,
): void {
  result.observe(instrument, value, attributes);
}
