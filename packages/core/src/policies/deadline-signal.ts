/**
 * The signal the deadline policy hands to the attempts of `upstream.request()`: the members of
 * an `AbortSignal` that undici, Node's `events.addAbortListener` and the policies use —
 * `aborted`, `reason`, `throwIfAborted()`, `addEventListener('abort', …)`,
 * `removeEventListener('abort', …)` — without an `AbortController` and an `EventTarget` per
 * call. Listeners are kept in a field (the usual case: one, undici's) and each runs once.
 */

type AbortListener = ((event: AbortEvent) => void) | { handleEvent(event: AbortEvent): void };

/** What a listener receives when the signal aborts. */
interface AbortEvent {
  readonly type: 'abort';
  readonly target: DeadlineSignal;
}

export class DeadlineSignal {
  /** True once {@link abort} ran. */
  aborted = false;
  /** The abort reason (the Steady error the call ends with); undefined until aborted. */
  reason: unknown = undefined;
  #first: AbortListener | undefined = undefined;
  #more: AbortListener[] | undefined = undefined;

  /** Listen for `abort` (each listener once, like `{ once: true }`; a listener added twice runs once). */
  addEventListener(type: string, listener: AbortListener | null | undefined): void {
    if (type !== 'abort' || listener == null || this.aborted) return;
    if (this.#first === undefined) {
      if (this.#more?.includes(listener)) return;
      this.#first = listener;
      return;
    }
    if (this.#first === listener) return;
    const more = (this.#more ??= []);
    if (!more.includes(listener)) more.push(listener);
  }

  removeEventListener(type: string, listener: AbortListener | null | undefined): void {
    if (type !== 'abort' || listener == null) return;
    if (this.#first === listener) {
      this.#first = undefined;
      return;
    }
    const more = this.#more;
    if (more === undefined) return;
    const at = more.indexOf(listener);
    if (at >= 0) more.splice(at, 1);
  }

  /** Throw `reason` if aborted. */
  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  /** Abort once with `reason`: every listener runs once, then all are dropped. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const first = this.#first;
    const more = this.#more;
    this.#first = undefined;
    this.#more = undefined;
    const event: AbortEvent = { type: 'abort', target: this };
    if (first !== undefined) call(first, event);
    if (more !== undefined) for (const listener of more) call(listener, event);
  }

  /** Listeners still registered (for tests: every one is removed when its request ends). */
  get listenerCount(): number {
    return (this.#first === undefined ? 0 : 1) + (this.#more?.length ?? 0);
  }
}

function call(listener: AbortListener, event: AbortEvent): void {
  // Like EventTarget: a throwing listener does not stop the others (its error is reported).
  try {
    if (typeof listener === 'function') listener.call(event.target, event);
    else listener.handleEvent(event);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}
