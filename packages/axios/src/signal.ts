import type { Cancel, InternalAxiosRequestConfig } from 'axios';

/** The signal a call passes to the upstream, when axios' `signal` alone will not do. */
export interface CallSignal {
  signal: AbortSignal;
  /** Unsubscribe from the `cancelToken` / generic signal. */
  release(): void;
}

/**
 * Bridge axios' cancellation to one AbortSignal: a legacy `cancelToken` (its `CanceledError`
 * becomes the abort reason, so the call rejects with it) and a non-standard `signal`.
 * Returns undefined when `config.signal` is absent or already a real AbortSignal and
 * there is no cancel token: the common case costs nothing.
 */
export function callSignal(config: InternalAxiosRequestConfig): CallSignal | undefined {
  const token = config.cancelToken;
  const given = config.signal;
  if (token === undefined && (given === undefined || given instanceof AbortSignal)) return undefined;
  const controller = new AbortController();
  const onCancel = (reason: Cancel): void => controller.abort(reason);
  const onAbort = (): void => controller.abort();
  token?.subscribe(onCancel);
  if (given !== undefined) {
    if (given.aborted) controller.abort();
    else given.addEventListener?.('abort', onAbort);
  }
  return {
    signal: controller.signal,
    release() {
      token?.unsubscribe(onCancel);
      given?.removeEventListener?.('abort', onAbort);
    },
  };
}
