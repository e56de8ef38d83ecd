import type { BreakerState, UpstreamEventName, UpstreamEvents } from '@steady/core';
import { methodAttribute } from './attributes.ts';
import type { CallSpans } from './call-spans.ts';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_STEADY_TIMEOUT_PHASE,
  type SteadyEventName,
} from './semconv.ts';
import type { SteadyMetrics } from './steady-metrics.ts';
import type { TrackedUpstream } from './tracked-upstreams.ts';

const BREAKER_EVENTS: Partial<Record<BreakerState, SteadyEventName>> = {
  open: 'breaker_opened',
  // An operator's isolate() opens the breaker too.
  isolated: 'breaker_opened',
  'half-open': 'breaker_half_open',
  closed: 'breaker_closed',
};

/**
 * Count the upstream's events on `steady.client.events` and add the per-call ones (retry,
 * replay, budget exhausted, rejection) to the span of the call they happen in. Event
 * payloads carry URLs; only their bounded fields (method, code, phase) become attributes.
 */
export function watchUpstreamEvents(
  tracked: TrackedUpstream,
  metrics: SteadyMetrics,
  spans: CallSpans | undefined,
): void {
  const on = <K extends UpstreamEventName>(name: K, listener: (event: UpstreamEvents[K]) => void) => {
    tracked.disposers.push(tracked.upstream.on(name, listener));
  };
  on('retry', (e) => {
    metrics.event(tracked, 'retry', { [ATTR_HTTP_REQUEST_METHOD]: methodAttribute(e.method) });
    spans?.event('steady.retry', {
      'steady.attempt': e.attempt,
      'steady.retry.delay_ms': e.delay,
      'steady.retry.reason': e.reason,
    });
  });
  on('hedge', (e) => {
    metrics.event(tracked, 'hedge', { [ATTR_HTTP_REQUEST_METHOD]: methodAttribute(e.method) });
    spans?.event('steady.hedge', { 'steady.attempt': e.attempt, 'steady.hedge.delay_ms': e.delay });
  });
  on('replay', (e) => {
    metrics.event(tracked, 'replay', { [ATTR_HTTP_REQUEST_METHOD]: methodAttribute(e.method) });
    spans?.event('steady.replay', { 'steady.replay.reason': e.reason }, true);
  });
  on('retryBudgetExhausted', (e) => {
    metrics.event(tracked, 'budget_exhausted', { [ATTR_HTTP_REQUEST_METHOD]: methodAttribute(e.method) });
    spans?.event('steady.retry_budget_exhausted', { 'steady.attempt': e.attempt });
  });
  on('breakerStateChange', (e) => {
    const name = BREAKER_EVENTS[e.to];
    if (name !== undefined) metrics.event(tracked, name);
  });
  on('rejected', (e) => {
    metrics.event(tracked, 'rejected', { [ATTR_ERROR_TYPE]: e.code });
    spans?.event('steady.rejected', { [ATTR_ERROR_TYPE]: e.code });
  });
  on('timeout', (e) => {
    metrics.event(tracked, 'timeout', {
      [ATTR_HTTP_REQUEST_METHOD]: methodAttribute(e.method),
      [ATTR_STEADY_TIMEOUT_PHASE]: e.phase,
    });
  });
  on('fallback', (e) => {
    metrics.event(tracked, 'fallback', e.code === undefined ? undefined : { [ATTR_ERROR_TYPE]: e.code });
  });
}
