/**
 * One `abort` listener per caller signal, however many calls share it.
 *
 * Services often pass one signal to many calls (a shutdown signal, a per-job signal). An
 * EventTarget listener per call makes each removal walk every other listener and trips
 * Node's max-listener warning; here a signal gets a single listener and its calls sit in an
 * intrusive doubly linked list (O(1) to join and to leave). The listener goes when the last
 * call leaves, or when the signal aborts.
 *
 * A list, not a `Set`: with one signal shared by 64 calls in flight, the `Set` of callbacks (in
 * the old generation, like the signal) made V8 copy 6–7 MB of finished calls on every scavenge
 * instead of ~0.6 MB (`--trace-gc-nvp`, `new_space_survived`). A node that leaves drops every
 * reference it held, so a finished call is never kept alive through the signal.
 */

/**
 * One call waiting on a signal: a list node that is also its own unsubscribe function's state.
 * A class, not an object literal: these live as long as their call, so V8 may pretenure a
 * literal's allocation site (see `upstream/request-parts.ts`); this one was among the sites
 * `--trace-pretenuring-statistics` showed pretenured in runs that fell into the slow GC mode.
 */
class Subscriber {
  callback: (() => void) | undefined;
  prev: Subscriber | undefined;
  next: Subscriber | undefined = undefined;
  hub: Hub | undefined;

  constructor(callback: () => void, hub: Hub) {
    this.callback = callback;
    this.prev = hub.tail;
    this.hub = hub;
  }
}

interface Hub {
  readonly signal: AbortSignal;
  head: Subscriber | undefined;
  tail: Subscriber | undefined;
  readonly listener: () => void;
}

const hubs = new WeakMap<AbortSignal, Hub>();

/** Call `callback` once when `signal` aborts; the returned function unsubscribes. */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let hub = hubs.get(signal);
  if (hub === undefined) {
    const created: Hub = {
      signal,
      head: undefined,
      tail: undefined,
      listener: () => {
        if (hubs.get(signal) === created) hubs.delete(signal);
        signal.removeEventListener('abort', created.listener);
        // Every call subscribed at the abort is told once, even if a callback makes another leave:
        // the list is detached from the hub first, so leaving from a callback does nothing.
        const first = created.head;
        created.head = created.tail = undefined;
        for (let node = first; node !== undefined; node = node.next) node.hub = undefined;
        let node = first;
        while (node !== undefined) {
          const { next, callback: fn } = node;
          node.callback = node.prev = node.next = undefined;
          fn?.();
          node = next;
        }
      },
    };
    hubs.set(signal, created);
    signal.addEventListener('abort', created.listener);
    hub = created;
  }
  // Appended: the calls of a signal abort in the order they subscribed.
  const node = new Subscriber(callback, hub);
  if (hub.tail !== undefined) hub.tail.next = node;
  else hub.head = node;
  hub.tail = node;
  return () => leave(node);
}

function leave(node: Subscriber): void {
  const hub = node.hub;
  if (hub === undefined) return;
  const { prev, next } = node;
  if (prev !== undefined) prev.next = next;
  else hub.head = next;
  if (next !== undefined) next.prev = prev;
  else hub.tail = prev;
  node.callback = node.prev = node.next = node.hub = undefined;
  if (hub.head !== undefined) return;
  if (hubs.get(hub.signal) === hub) hubs.delete(hub.signal);
  hub.signal.removeEventListener('abort', hub.listener);
}
