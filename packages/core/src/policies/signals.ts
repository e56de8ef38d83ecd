/**
 * Small AbortSignal helpers shared by the policies and reusable by the request layer:
 * a signal that aborts at a deadline or with its parent, a race of a promise against a
 * signal, and a cancellable sleep. Each one removes every listener and clears every
 * timer it created once it is done.
 */

/** A derived signal and the function that detaches it from its parent and clears its timer. */
export interface DeadlineSignal {
  readonly signal: AbortSignal;
  /** Clear the timer and remove the listener on the parent. Idempotent. */
  dispose(): void;
}

/** How {@link createDeadlineSignal} builds its signal. */
export interface DeadlineSignalOptions {
  /** The signal to follow (the caller's, or an outer deadline's). */
  parent: AbortSignal;
  /** Absolute `Date.now()`-based deadline; `Infinity` for none (no timer is created). */
  deadline: number;
  /** Builds the abort reason when the deadline fires (e.g. a `TimeoutError`). */
  onDeadline: () => unknown;
  /** Maps the parent's reason to this signal's reason. @default the parent's reason as is */
  onParentAbort?: (reason: unknown) => unknown;
  /** `unref()` the timer so that it never keeps the process alive. @default false */
  unref?: boolean;
}

/**
 * A signal that aborts with `onDeadline()` at `deadline`, or with `onParentAbort(reason)`
 * when `parent` aborts. When the parent is already aborted or the deadline already passed,
 * the returned signal is already aborted. Call `dispose()` when the guarded work settles.
 */
export function createDeadlineSignal(options: DeadlineSignalOptions): DeadlineSignal {
  const { parent, deadline, onDeadline } = options;
  const mapParent = options.onParentAbort ?? ((reason: unknown) => reason);
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(mapParent(parent.reason));
    return { signal: controller.signal, dispose: () => {} };
  }
  const remaining = deadline - Date.now();
  if (remaining <= 0) {
    controller.abort(onDeadline());
    return { signal: controller.signal, dispose: () => {} };
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  const onParent = (): void => {
    dispose();
    controller.abort(mapParent(parent.reason));
  };
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    parent.removeEventListener('abort', onParent);
  };
  parent.addEventListener('abort', onParent, { once: true });
  if (deadline !== Infinity) {
    timer = setTimeout(() => {
      timer = undefined;
      dispose();
      controller.abort(onDeadline());
    }, remaining);
    if (options.unref === true) timer.unref?.();
  }
  return { signal: controller.signal, dispose };
}

/**
 * Settle with `promise`, or reject with `signal.reason` as soon as `signal` aborts, even if
 * the promise ignores the signal. A value that arrives after losing the race is handed to
 * `onLate` (so a response body can be released); a late rejection is swallowed.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal, onLate?: (value: T) => void): Promise<T> {
  if (signal.aborted) {
    promise.then(onLate, () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      settled = true;
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        if (settled) return onLate?.(value);
        settled = true;
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Resolve after `ms`, or reject with `signal.reason` as soon as `signal` aborts (the timer is cleared). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
