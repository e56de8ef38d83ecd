import {
  attemptTracing,
  callsInContext,
  callTracing,
  type AttemptTraceMessage,
  type CallTraceMessage,
} from '../events/diagnostics.ts';
import type { CallState } from './call-state.ts';
import type { Upstream } from './upstream.ts';

/*
 * The `steady:call` and `steady:attempt` tracing channels, published by hand with the protocol
 * of `TracingChannel.tracePromise()`: `start` (through `start.runStores()`, so a store bound
 * with `bindStore()` holds while the call starts), `end` once it is started, then on settling
 * `error` (on failure), `asyncStart` and `asyncEnd`, with `result` or `error` on the message.
 * It costs less than `tracePromise()`: a message of one fixed shape and a single promise
 * reaction per call, shared with the upstream's own bookkeeping. A call that throws before it
 * returns a promise is published as a rejected one, so a subscriber always sees it settle.
 */

/** A call's message: a class, so every message has the same shape. */
class CallTrace implements CallTraceMessage {
  readonly upstream: Upstream;
  readonly method: string;
  attempts = 0;
  outcome: 'success' | 'error' | undefined = undefined;
  status: number | undefined = undefined;
  /** The call runs in a subscriber's context: counted in `callsInContext` until it settles. */
  #inContext = false;

  constructor(upstream: Upstream, method: string) {
    this.upstream = upstream;
    this.method = method;
  }

  /** The body of `start.runStores()`: `start` is published; run the call, in the subscriber's context if it asked. */
  static start<T>(this: void, trace: CallTrace, run: () => Promise<T>): Promise<T> {
    const inContext = (trace as CallTraceMessage).runInContext;
    if (inContext === undefined) return started(callTracing.end, trace, run);
    trace.#inContext = true;
    callsInContext.count++;
    return started(callTracing.end, trace, () => inContext(run));
  }

  /** The call settled: it no longer runs in a subscriber's context. */
  settled(): void {
    if (this.#inContext) callsInContext.count--;
    this.#inContext = false;
  }
}

/** An attempt's message: a class, so every message has the same shape. */
class AttemptTrace implements AttemptTraceMessage {
  readonly upstream: Upstream;
  readonly method: string;
  readonly attempt: number;
  status: number | undefined = undefined;

  constructor(upstream: Upstream, method: string, attempt: number) {
    this.upstream = upstream;
    this.method = method;
    this.attempt = attempt;
  }
}

/** Run `run` and publish `end` once it has started, whether it returned or threw (a throw becomes a rejection). */
function started<T>(end: { publish(message: unknown): void }, message: object, run: () => Promise<T>): Promise<T> {
  try {
    return run();
  } catch (error) {
    return Promise.reject(error);
  } finally {
    end.publish(message);
  }
}

/**
 * Run a call on the `steady:call` tracing channel, then `succeeded` or `failed` (the
 * upstream's bookkeeping) in the same promise reaction. Called only when the channel has
 * subscribers: with none, a call builds no message at all.
 */
export function traceCall<T>(
  upstream: Upstream,
  call: CallState,
  run: () => Promise<T>,
  succeeded: (result: T) => T,
  failed: (error: unknown) => never,
): Promise<T> {
  const trace = new CallTrace(upstream, call.method);
  const message: CallTraceMessage = trace;
  call.trace = message;
  return callTracing.start.runStores(message, CallTrace.start<T>, undefined, trace, run).then(
    (result) => {
      trace.settled();
      call.trace = undefined;
      message.outcome = 'success';
      message.status = statusOf(call, result);
      message.result = result;
      callTracing.asyncStart.publish(message);
      callTracing.asyncEnd.publish(message);
      return succeeded(result);
    },
    (error: unknown) => {
      trace.settled();
      call.trace = undefined;
      message.outcome = 'error';
      message.error = error;
      callTracing.error.publish(message);
      callTracing.asyncStart.publish(message);
      callTracing.asyncEnd.publish(message);
      return failed(error);
    },
  );
}

/** Run one attempt on the `steady:attempt` tracing channel (only when it has subscribers). */
export function traceAttempt<T>(upstream: Upstream, call: CallState, run: (call: CallState) => Promise<T>): Promise<T> {
  const message: AttemptTraceMessage = new AttemptTrace(upstream, call.method, call.attempt);
  return attemptTracing.start.runStores(message, startAttempt<T>, undefined, message, call, run).then(
    (result) => {
      message.status = statusOf(call, result);
      message.result = result;
      attemptTracing.asyncStart.publish(message);
      attemptTracing.asyncEnd.publish(message);
      return result;
    },
    (error: unknown) => {
      message.error = error;
      attemptTracing.error.publish(message);
      attemptTracing.asyncStart.publish(message);
      attemptTracing.asyncEnd.publish(message);
      throw error;
    },
  );
}

/** The body of the attempt's `start.runStores()`. */
function startAttempt<T>(
  message: AttemptTraceMessage,
  call: CallState,
  run: (call: CallState) => Promise<T>,
): Promise<T> {
  return started(attemptTracing.end, message, () => run(call));
}

/** The HTTP status of a result, when the call's classifier can tell (a fallback may return anything). */
function statusOf(call: CallState, result: unknown): number | undefined {
  try {
    const status = call.classify(result)?.status;
    return typeof status === 'number' ? status : undefined;
  } catch {
    return undefined;
  }
}
