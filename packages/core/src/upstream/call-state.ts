import { redactUrl } from '../errors/steady-error.ts';
import type { Dispatcher } from 'undici';
import type { EventHub } from '../events/events.ts';
import type { CallContext, PolicyOverrides, ResultInfo } from '../policies/policy.ts';
import type { AttemptContext } from './types.ts';

/** What the upstream knows of a call before it starts. */
export interface CallInit {
  upstream: string;
  method: string;
  origin: string;
  /** Path or URL as given; redacted only when an error or an event needs it. */
  rawUrl: string | undefined;
  idempotent: boolean;
  replayable: boolean;
  signal: AbortSignal;
  total: number;
  overrides: PolicyOverrides;
  classify: ((result: unknown) => ResultInfo | undefined) | undefined;
  discard: ((result: unknown) => void) | undefined;
  events: EventHub;
  retain: { release: (() => void) | undefined } | undefined;
  /** The attempt function; it receives this state as its {@link AttemptContext}. */
  attempt: (ctx: AttemptContext) => Promise<unknown>;
  dispatcher: Dispatcher;
}

/**
 * One call's {@link CallContext}: a class, so every call has the same shape, and the
 * redacted URL is built only if an error or an event asks for it.
 */
export class CallState implements CallContext, AttemptContext {
  readonly upstream: string;
  readonly method: string;
  readonly idempotent: boolean;
  readonly replayable: boolean;
  readonly startedAt: number;
  signal: AbortSignal;
  deadline: number;
  attempt = 0;
  readonly overrides: PolicyOverrides;
  readonly classify: CallContext['classify'];
  readonly discard: CallContext['discard'];
  readonly events: EventHub;
  readonly retain: CallContext['retain'];
  /** Runs one attempt of the call. */
  readonly run: (ctx: AttemptContext) => Promise<unknown>;
  readonly dispatcher: Dispatcher;
  readonly #origin: string;
  readonly #rawUrl: string | undefined;
  #url: string | undefined | null = null;

  constructor(init: CallInit) {
    this.upstream = init.upstream;
    this.method = init.method;
    this.idempotent = init.idempotent;
    this.replayable = init.replayable;
    this.startedAt = Date.now();
    this.signal = init.signal;
    this.deadline = this.startedAt + init.total;
    this.overrides = init.overrides;
    this.classify = init.classify;
    this.discard = init.discard;
    this.events = init.events;
    this.retain = init.retain;
    this.run = init.attempt;
    this.dispatcher = init.dispatcher;
    this.#origin = init.origin;
    this.#rawUrl = init.rawUrl;
  }

  /** Origin and path, no query, no credentials. */
  get url(): string | undefined {
    if (this.#url === null)
      this.#url = this.#rawUrl === undefined ? undefined : redactUrl(absolute(this.#rawUrl, this.#origin));
    return this.#url;
  }
}

function absolute(url: string, origin: string): string {
  try {
    return new URL(url, origin).href;
  } catch {
    return url;
  }
}
