import { describe, expect, it } from 'vitest';
import { TimeoutError } from './errors.ts';
import { SteadyError, isSteadyError } from './steady-error.ts';

/** An error as a second installed copy of Steady would build it: its own classes, the shared brand. */
function fromAnotherCopy(): Error {
  class OtherSteadyError extends Error {
    readonly code = 'STEADY_TIMEOUT';
    constructor() {
      super('deadline');
      Object.defineProperty(this, Symbol.for('steady.error'), { value: true });
    }
  }
  return new OtherSteadyError();
}

describe('SteadyError across installed copies', () => {
  it('instanceof SteadyError and isSteadyError recognise the brand, not the prototype', () => {
    const foreign = fromAnotherCopy();
    expect(isSteadyError(foreign)).toBe(true);
    expect(foreign instanceof SteadyError).toBe(true);
    expect(new Error('plain') instanceof SteadyError).toBe(false);
    expect((null as unknown as object) instanceof SteadyError).toBe(false);
  });

  it('subclasses keep the ordinary prototype check', () => {
    const own = new TimeoutError('total', 5, {});
    expect(own instanceof TimeoutError).toBe(true);
    expect(own instanceof SteadyError).toBe(true);
    expect(new SteadyError('STEADY_CLOSED', 'x') instanceof TimeoutError).toBe(false);
    expect(fromAnotherCopy() instanceof TimeoutError).toBe(false);
  });
});
