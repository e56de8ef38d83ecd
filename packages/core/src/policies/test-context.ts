/**
 * Test helper (not part of the public API): builds a {@link CallContext} the way the
 * upstream does, with fake HTTP-ish results `{ status, headers }`.
 */
import { vi } from 'vitest';
import { EventHub } from '../events/events.ts';
import type { CallContext, PolicyOverrides } from './policy.ts';

/** A fake response used by the policy specs. */
export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
}

/** A fake response with `status` and optional headers. */
export function fakeResponse(status: number, headers?: Record<string, string>): FakeResponse {
  return { status, headers };
}

/** Options of {@link createTestContext}; everything is optional. */
export interface TestContextOptions {
  upstream?: string;
  method?: string;
  url?: string;
  idempotent?: boolean;
  replayable?: boolean;
  signal?: AbortSignal;
  /** Total timeout in ms from now (sets `deadline`). */
  total?: number;
  deadline?: number;
  overrides?: PolicyOverrides;
  events?: EventHub;
  discard?: (result: unknown) => void;
}

/** A call context as the upstream would create it, with sensible test defaults (GET, replayable, no deadline). */
export function createTestContext(options: TestContextOptions = {}): CallContext {
  const startedAt = Date.now();
  const method = options.method ?? 'GET';
  return {
    upstream: options.upstream ?? 'test',
    method,
    url: options.url ?? 'http://upstream.test/items',
    idempotent: options.idempotent ?? ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'].includes(method),
    replayable: options.replayable ?? true,
    startedAt,
    signal: options.signal ?? new AbortController().signal,
    deadline: options.deadline ?? (options.total === undefined ? Infinity : startedAt + options.total),
    attempt: 0,
    overrides: options.overrides ?? {},
    classify: (result) => {
      if (typeof result !== 'object' || result === null || !('status' in result)) return undefined;
      const response = result as FakeResponse;
      return { status: response.status, header: (name) => response.headers?.[name] };
    },
    discard: options.discard,
    events: options.events ?? new EventHub(),
  };
}

/** Run `promise` to completion under fake timers (advancing them `ms`); returns its value or its error. */
export async function settleWithFakeTimers<T>(
  promise: Promise<T>,
  ms = 60_000,
): Promise<{ value?: T; error?: unknown }> {
  const settled = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await vi.advanceTimersByTimeAsync(ms);
  return settled;
}
