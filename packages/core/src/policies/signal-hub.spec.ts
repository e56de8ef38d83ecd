import { describe, expect, it, vi } from 'vitest';
import { onAbort } from './signal-hub.ts';

describe('onAbort', () => {
  it('shares one listener among every call on a signal and removes it when the last leaves', () => {
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, 'addEventListener');
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    const offs = Array.from({ length: 100 }, () => onAbort(controller.signal, () => {}));
    expect(add).toHaveBeenCalledTimes(1);
    for (const off of offs.slice(0, 99)) off();
    expect(remove).not.toHaveBeenCalled();
    offs[99]!();
    expect(remove).toHaveBeenCalledTimes(1);
    offs[0]!(); // unsubscribing twice is harmless
    expect(remove).toHaveBeenCalledTimes(1);
  });

  it('calls every subscriber once on abort, and none that left', () => {
    const controller = new AbortController();
    const a = vi.fn();
    const b = vi.fn();
    onAbort(controller.signal, a);
    const offB = onAbort(controller.signal, b);
    offB();
    controller.abort();
    controller.abort();
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).not.toHaveBeenCalled();
    // after an abort a fresh subscription starts a fresh hub
    const c = vi.fn();
    onAbort(new AbortController().signal, c);
    expect(c).not.toHaveBeenCalled();
  });
});

describe('onAbort under a shared signal', () => {
  it('aborts the calls in the order they subscribed, each once, and unsubscribing from inside a callback is harmless', () => {
    const controller = new AbortController();
    const order: number[] = [];
    const offs: Array<() => void> = [];
    for (let i = 0; i < 5; i++) {
      offs.push(
        onAbort(controller.signal, () => {
          order.push(i);
          offs[i]!(); // a call leaves as it settles
          offs[(i + 1) % 5]!(); // and may make another leave too: it is still called (it was subscribed at the abort)
        }),
      );
    }
    offs[2]!(); // left before the abort: not called
    controller.abort();
    expect(order).toEqual([0, 1, 3, 4]);
  });

  it('keeps no reference to a call that left: a long-lived signal does not hold finished calls', () => {
    const controller = new AbortController();
    const keep = onAbort(controller.signal, () => {});
    let called = 0;
    for (let i = 0; i < 10_000; i++) onAbort(controller.signal, () => called++)();
    controller.abort();
    expect(called).toBe(0);
    keep();
  });
});
