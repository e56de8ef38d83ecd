/**
 * One `abort` listener per caller signal, however many calls share it.
 *
 * Services often pass one signal to many calls (a shutdown signal, a per-job signal). An
 * EventTarget listener per call makes each removal walk every other listener and trips
 * Node's max-listener warning; here a signal gets a single listener and its calls sit in
 * a Set (O(1) to join and to leave). The listener goes when the last call leaves.
 */

interface Hub {
  /** The only subscriber, while there is one (no Set for a signal that serves one call). */
  single: (() => void) | undefined;
  /** Every subscriber, once a second one joined. */
  many: Set<() => void> | undefined;
  readonly listener: () => void;
}

const hubs = new WeakMap<AbortSignal, Hub>();

/** Call `callback` once when `signal` aborts; the returned function unsubscribes. */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  const hub = hubs.get(signal);
  if (hub === undefined) {
    const created: Hub = {
      single: callback,
      many: undefined,
      listener: () => {
        hubs.delete(signal);
        // Each callback unsubscribes itself as it settles its call.
        created.single?.();
        if (created.many !== undefined) for (const fn of [...created.many]) fn();
      },
    };
    hubs.set(signal, created);
    signal.addEventListener('abort', created.listener, { once: true });
    return () => leave(signal, created, callback);
  }
  if (hub.many === undefined) {
    hub.many = new Set();
    if (hub.single !== undefined) hub.many.add(hub.single);
    hub.single = undefined;
  }
  hub.many.add(callback);
  const joined = hub;
  return () => leave(signal, joined, callback);
}

function leave(signal: AbortSignal, hub: Hub, callback: () => void): void {
  if (hub.single === callback) hub.single = undefined;
  else if (hub.many === undefined || !hub.many.delete(callback)) return;
  if (hub.single !== undefined || (hub.many !== undefined && hub.many.size > 0)) return;
  if (hubs.get(signal) === hub) hubs.delete(signal);
  signal.removeEventListener('abort', hub.listener);
}
