/**
 * Route table: maps a request to the {@link Behaviour} that answers it.
 * Precedence: `x-fault` header, then a configured route, then the built-in
 * paths (`/echo` for any method, `/status/NNN`), then the default behaviour.
 */
import type { Behaviour, RouteSpec } from './types.ts';

interface RouteState {
  steps: Behaviour[];
  next: number;
}

/** Thrown when an `x-fault` header is not a JSON object. */
export class BadFaultHeaderError extends Error {}

/** Mutable routes with per-route sequence cursors. */
export class RouteTable {
  #routes = new Map<string, RouteState>();

  /** Set or replace a route; resets its sequence cursor. */
  set(path: string, spec: RouteSpec): void {
    const steps = Array.isArray(spec) ? [...spec] : [spec];
    if (steps.length === 0) steps.push({});
    this.#routes.set(path, { steps, next: 0 });
  }

  /** Pick the behaviour for one request (consumes one step of a sequence). */
  resolve(pathname: string, faultHeader: string | undefined): Behaviour {
    if (faultHeader !== undefined) return parseFaultHeader(faultHeader);
    const state = this.#routes.get(pathname);
    if (state) {
      const index = Math.min(state.next, state.steps.length - 1);
      state.next = index + 1;
      return state.steps[index] ?? {};
    }
    if (pathname === '/echo') return { echo: true };
    const status = /^\/status\/(\d{3})$/.exec(pathname);
    if (status?.[1] !== undefined) return { status: Number(status[1]) };
    return {};
  }
}

/** Parse the `x-fault` header value into a behaviour. */
export function parseFaultHeader(value: string): Behaviour {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new BadFaultHeaderError(`x-fault is not valid JSON: ${value}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadFaultHeaderError('x-fault must be a JSON object');
  }
  return parsed as Behaviour;
}
