import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { CallTraceMessage } from '@steady/core';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_STEADY_ATTEMPTS,
} from './semconv.ts';

/** What a call's span has seen so far. */
interface SpanState {
  replays: number;
}

/**
 * A span per logical call (`steady GET`), active for the whole call so that undici's
 * attempt spans become its children, with an event per retry, replay and rejection.
 */
export class CallSpans {
  readonly #tracer: Tracer;
  /** Spans of calls in flight (ended at shutdown if still open). */
  readonly #open = new Map<Span, SpanState>();

  constructor(tracer: Tracer) {
    this.#tracer = tracer;
  }

  /** Start the call's span and make the call run with it active. */
  start(message: CallTraceMessage, attributes: Attributes): Span {
    const span = this.#tracer.startSpan(`steady ${message.method}`, { kind: SpanKind.INTERNAL, attributes });
    this.#open.set(span, { replays: 0 });
    const active = trace.setSpan(context.active(), span);
    message.runInContext = <R>(run: () => R): R => context.with(active, run);
    return span;
  }

  /** End the call's span with its outcome. */
  end(span: Span, message: CallTraceMessage, errorType: string | undefined): void {
    const state = this.#open.get(span);
    if (state === undefined) return;
    this.#open.delete(span);
    if (message.status !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, message.status);
    span.setAttribute(ATTR_STEADY_ATTEMPTS, message.attempts);
    const resends = Math.max(0, message.attempts - 1) + state.replays;
    if (resends > 0) span.setAttribute(ATTR_HTTP_REQUEST_RESEND_COUNT, resends);
    if (errorType !== undefined) {
      // The error's message names the URL's path: only its code goes on the span.
      span.setAttribute(ATTR_ERROR_TYPE, errorType);
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    }
    span.end();
  }

  /** Add an event to the span of the call running in the current context, if it is one of ours. */
  event(name: string, attributes: Attributes, replay = false): void {
    const span = trace.getSpan(context.active());
    const state = span === undefined ? undefined : this.#open.get(span);
    if (state === undefined) return;
    if (replay) state.replays++;
    span!.addEvent(name, attributes);
  }

  /** End the spans still open. */
  shutdown(): void {
    for (const span of this.#open.keys()) span.end();
    this.#open.clear();
  }
}
