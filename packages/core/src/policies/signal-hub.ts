/**
 * One `abort` listener per caller signal, however many calls share it.
 *
 * Services often pass one signal to many calls (a shutdown signal, a per-job signal). An
 * EventTarget listener per call makes each removal walk every other listener and trips
 * Node's max-listener warning; here a signal gets a single listener and its calls sit in
 * a Set (O(1) to join and to leave). The listener goes when the last call leaves.
 */

interface Hub {
  readonly callbacks: Set<() => void>;
  readonly listener: () => void;
}

const hubs = new WeakMap<AbortSignal, Hub>();

/** Call `callback` once when `signal` aborts; the returned function unsubscribes. */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let hub = hubs.get(signal);
  if (hub === undefined) {
    const callbacks = new Set<() => void>();
    const listener = (): void => {
      hubs.delete(signal);
      for (const fn of callbacks) fn();
      callbacks.clear();
    };
    hub = { callbacks, listener };
    hubs.set(signal, hub);
    signal.addEventListener('abort', listener, { once: true });
  }
  const { callbacks, listener } = hub;
  callbacks.add(callback);
  return () => {
    if (!callbacks.delete(callback) || callbacks.size > 0) return;
    if (hubs.get(signal)?.callbacks === callbacks) hubs.delete(signal);
    signal.removeEventListener('abort', listener);
  };
}
