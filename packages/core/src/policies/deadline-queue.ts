/**
 * One timer for every call that shares a deadline length. Calls with the same total deadline
 * expire in the order they started, so they wait in a list sorted by deadline and a single
 * unref'd timer is armed for the head: joining and leaving cost no allocation and no timer
 * handle. A call that leaves does not re-arm the timer; when it fires early (its head left),
 * it re-arms for the new head. The timer is cleared as soon as the list is empty, so an idle
 * upstream keeps no timer at all.
 */

/** A member of a {@link DeadlineQueue}. */
export interface Expiring {
  /** Absolute `Date.now()`-based deadline. */
  readonly expiresAt: number;
  /** Called once when the deadline passed; the member has already left the queue. */
  expire(): void;
  /** Links, owned by the queue. */
  queuePrev: Expiring | undefined;
  queueNext: Expiring | undefined;
  queue: DeadlineQueue | undefined;
}

export class DeadlineQueue {
  #head: Expiring | undefined = undefined;
  #tail: Expiring | undefined = undefined;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #timerAt = Infinity;
  /** One callback for the queue's life, whatever the number of calls. */
  readonly #onTimer = (): void => this.#fire();

  get empty(): boolean {
    return this.#head === undefined;
  }

  /** Join, sorted by `expiresAt` (searched from the tail: calls of one length arrive in order). */
  add(item: Expiring): void {
    item.queue = this;
    let after = this.#tail;
    while (after !== undefined && after.expiresAt > item.expiresAt) after = after.queuePrev;
    item.queuePrev = after;
    item.queueNext = after === undefined ? this.#head : after.queueNext;
    if (item.queueNext !== undefined) item.queueNext.queuePrev = item;
    else this.#tail = item;
    if (after !== undefined) after.queueNext = item;
    else this.#head = item;
    if (item.expiresAt < this.#timerAt) this.#arm(item.expiresAt);
  }

  /** Leave; clears the timer when nobody is left. */
  remove(item: Expiring): void {
    if (item.queue !== this) return;
    const { queuePrev: prev, queueNext: next } = item;
    if (prev !== undefined) prev.queueNext = next;
    else this.#head = next;
    if (next !== undefined) next.queuePrev = prev;
    else this.#tail = prev;
    item.queuePrev = item.queueNext = item.queue = undefined;
    if (this.#head === undefined && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Infinity;
    }
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    // A deadline never keeps the process alive: the sockets of running requests do.
    this.#timer = setTimeout(this.#onTimer, Math.max(0, at - Date.now())).unref();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    let head = this.#head;
    while (head !== undefined && head.expiresAt <= now) {
      this.remove(head);
      head.expire();
      head = this.#head;
    }
    if (head !== undefined && head.expiresAt < this.#timerAt) this.#arm(head.expiresAt);
  }
}
