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
