import { describe, expect, it, vi } from 'vitest';
import { addAbortListener } from 'node:events';
import { DeadlineSignal } from './deadline-signal.ts';

describe('DeadlineSignal', () => {
  it('runs each listener once with the reason set, then drops them all', () => {
    const signal = new DeadlineSignal();
    const seen: unknown[] = [];
    const a = vi.fn(() => seen.push(signal.reason));
    const b = vi.fn();
    signal.addEventListener('abort', a);
    signal.addEventListener('abort', b);
    signal.addEventListener('abort', a); // twice: still once, like EventTarget
    expect(signal.listenerCount).toBe(2);
    const reason = new Error('deadline');
    signal.abort(reason);
    signal.abort(new Error('second'));
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(1);
    expect(seen).toEqual([reason]);
    expect(signal).toMatchObject({ aborted: true, reason });
    expect(signal.listenerCount).toBe(0);
    expect(() => signal.throwIfAborted()).toThrow(reason);
  });

  it('removes listeners, ignores other event types and listeners added after the abort', () => {
    const signal = new DeadlineSignal();
    const a = vi.fn();
    const b = vi.fn();
    const c = { handleEvent: vi.fn() };
    signal.addEventListener('abort', a);
    signal.addEventListener('abort', b);
    signal.addEventListener('abort', c);
    signal.addEventListener('other', a);
    signal.removeEventListener('abort', a);
    signal.removeEventListener('abort', b);
    expect(signal.listenerCount).toBe(1);
    expect(() => signal.throwIfAborted()).not.toThrow();
    signal.abort('r');
    signal.addEventListener('abort', a);
    expect(a).not.toHaveBeenCalled();
    expect(b).not.toHaveBeenCalled();
    expect(c.handleEvent).toHaveBeenCalledWith({ type: 'abort', target: signal });
  });

  it("works with node:events addAbortListener (the path undici's request() takes) and its disposer", () => {
    const signal = new DeadlineSignal();
    const kept = vi.fn();
    const dropped = vi.fn();
    addAbortListener(signal as unknown as AbortSignal, kept);
    addAbortListener(signal as unknown as AbortSignal, dropped)[Symbol.dispose]();
    expect(signal.listenerCount).toBe(1);
    signal.abort('gone');
    expect(kept).toHaveBeenCalledTimes(1);
    expect(dropped).not.toHaveBeenCalled();
  });

  it('a throwing listener does not stop the others; its error is rethrown in a microtask', () => {
    const signal = new DeadlineSignal();
    const after = vi.fn();
    const queued: Array<() => void> = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((fn) => queued.push(fn));
    const bug = new Error('listener bug');
    signal.addEventListener('abort', () => {
      throw bug;
    });
    signal.addEventListener('abort', after);
    signal.abort('r');
    spy.mockRestore();
    expect(after).toHaveBeenCalledTimes(1);
    expect(queued).toHaveLength(1);
    expect(() => queued[0]!()).toThrow(bug);
  });
});
