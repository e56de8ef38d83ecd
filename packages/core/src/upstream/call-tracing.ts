import {
  attemptTracing,
  callsInContext,
  callTracing,
  type AttemptTraceMessage,
  type CallTraceMessage,
} from '../events/diagnostics.ts';
import type { CallState } from './call-state.ts';
import type { Upstream } from './upstream.ts';

/**
 * Run a call on the `steady:call` tracing channel. Called only when the channel has
 * subscribers: with none, a call builds no message at all.
 */
export function traceCall<T>(upstream: Upstream, call: CallState, run: () => Promise<T>): Promise<T> {
  const message: CallTraceMessage = {
    upstream,
    method: call.method,
    attempts: 0,
    outcome: undefined,
    status: undefined,
  };
  call.trace = message;
  return callTracing.tracePromise(() => {
    const inContext = message.runInContext !== undefined;
    if (inContext) callsInContext.count++;
    let running: Promise<T>;
    try {
      running = inContext ? message.runInContext!(run) : run();
    } catch (error) {
      if (inContext) callsInContext.count--;
      throw error;
    }
    return running.then(
      (result) => {
        if (inContext) callsInContext.count--;
        call.trace = undefined;
        message.outcome = 'success';
        message.status = statusOf(call, result);
        return result;
      },
      (error: unknown) => {
        if (inContext) callsInContext.count--;
        call.trace = undefined;
        message.outcome = 'error';
        throw error;
      },
    );
  }, message);
}

/** Run one attempt on the `steady:attempt` tracing channel (only when it has subscribers). */
export function traceAttempt<T>(upstream: Upstream, call: CallState, run: (call: CallState) => Promise<T>): Promise<T> {
  const message: AttemptTraceMessage = { upstream, method: call.method, attempt: call.attempt, status: undefined };
  return attemptTracing.tracePromise(
    () =>
      run(call).then((result) => {
        message.status = statusOf(call, result);
        return result;
      }),
    message,
  );
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
