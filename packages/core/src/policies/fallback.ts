import { isSteadyError } from '../errors/steady-error.ts';
import { functionOr } from '../options/validate.ts';
import type { CallContext, Next, Policy } from './policy.ts';

/**
 * Answers instead of a failed call: gets the error the pipeline rejected with and the call's
 * context, returns the value to resolve with (or throws, and that error propagates).
 */
export type FallbackHandler<T = unknown> = (error: unknown, ctx: CallContext) => T | Promise<T>;

/**
 * The `fallback` option: a {@link FallbackHandler}.
 * @default undefined (no fallback)
 */
export type FallbackOptions = FallbackHandler;

/** {@link FallbackOptions} after validation. */
export type ResolvedFallbackOptions = FallbackHandler;

/** Defaults of the fallback: there is none unless given. */
export const DEFAULT_FALLBACK_OPTIONS = Object.freeze({
  /** None: answering with made-up data must be a deliberate choice. */
  fallback: undefined,
});

/** Validate the `fallback` option at `path`: a function, or `undefined`/`false` for none. */
export function resolveFallbackOptions(input: unknown, path: string): ResolvedFallbackOptions | false {
  if (input === false || input === undefined) return false;
  return functionOr<FallbackHandler>(path, input, () => undefined);
}

/**
 * The outermost policy: on any rejection (caller aborts included) it calls `fallback` and
 * resolves with its value, emitting `fallback`. If the fallback throws, that error propagates.
 */
export class FallbackPolicy implements Policy {
  readonly name = 'fallback';
  readonly #fallback: FallbackHandler;

  constructor(fallback: FallbackHandler) {
    this.#fallback = fallback;
  }

  async execute<T>(next: Next<T>, ctx: CallContext): Promise<T> {
    try {
      return await next(ctx);
    } catch (error) {
      const value = (await this.#fallback(error, ctx)) as T;
      const code = isSteadyError(error) ? error.code : undefined;
      ctx.events.emit('fallback', () => ({ upstream: ctx.upstream, method: ctx.method, url: ctx.url, code }));
      return value;
    }
  }
}

/** A fallback policy around `fallback`. */
export function withFallback<T>(fallback: FallbackHandler<T>): FallbackPolicy {
  return new FallbackPolicy(fallback);
}

/** Create the fallback policy from a resolved option. */
export function createFallbackPolicy(fallback: ResolvedFallbackOptions): FallbackPolicy {
  return new FallbackPolicy(fallback);
}
