/**
 * `redisFleet()`: the instances of a service share their breakers' openings and their retry
 * budgets through Redis. Every `flushInterval` each instance runs one pipelined round trip
 * (one Lua script per upstream); state changes are also announced on pub/sub so the others
 * sync at once. Calls never wait for any of it.
 */
import { randomUUID } from 'node:crypto';
import { InvalidOptionError, type Fleet, type FleetMember, type FleetMembership } from '@steady/core';
import type { Redis } from 'ioredis';
import { RedisFleetMember, type FleetLink, type SyncRequest } from './member.ts';
import { resolveRedisFleetOptions, type RedisFleetOptions, type ResolvedRedisFleetOptions } from './options.ts';
import { eventsChannel, LEAVE, PROBE, SYNC, type Script, type UpstreamKeys } from './scripts.ts';

/** A fleet on Redis: pass it as `createUpstream({ fleet })` (one fleet serves many upstreams). */
export class RedisFleet implements Fleet, FleetLink {
  readonly options: ResolvedRedisFleetOptions;
  /** This process's id in the fleet (random per `redisFleet()`). */
  readonly instanceId = randomUUID();
  readonly #redis: Redis;
  readonly #channel: string;
  readonly #members = new Map<string, RedisFleetMember>();
  readonly #loaded = new Set<string>();
  #subscriber: Redis | undefined;
  #timer: NodeJS.Timeout | undefined;
  #inFlight = false;
  #again = false;
  #soon = false;
  #connected = false;
  #localSince: number | null = Date.now();
  #closed = false;

  constructor(options: RedisFleetOptions) {
    this.options = resolveRedisFleetOptions(options);
    this.#redis = this.options.redis;
    this.#channel = eventsChannel(this.options.prefix, this.options.name);
  }

  get name(): string {
    return this.options.name;
  }
  get prefix(): string {
    return this.options.prefix;
  }
  get quorum(): number {
    return this.options.quorum;
  }
  get flushInterval(): number {
    return this.options.flushInterval;
  }
  /** The last sync succeeded and no later one has failed or timed out. */
  get connected(): boolean {
    return this.#connected;
  }
  get localSince(): number | null {
    return this.#localSince;
  }

  join(member: FleetMember): FleetMembership {
    if (this.#members.has(member.upstream)) {
      throw new InvalidOptionError(
        'fleet',
        `a fleet no other open upstream named ${JSON.stringify(member.upstream)} has joined`,
        `redisFleet({ name: ${JSON.stringify(this.options.name)} })`,
      );
    }
    const joined = new RedisFleetMember(this, member);
    this.#members.set(member.upstream, joined);
    this.#closed = false;
    this.#start();
    this.syncSoon();
    return joined;
  }

  syncSoon(): void {
    if (this.#soon || this.#closed) return;
    this.#soon = true;
    setImmediate(() => {
      this.#soon = false;
      void this.#sync();
    }).unref();
  }

  async takeProbe(keys: UpstreamKeys, max: number, ttl: number): Promise<boolean> {
    try {
      const granted = await this.#withDeadline(this.#run(PROBE, [keys.probes], [max, Math.max(1, Math.round(ttl))]));
      return granted === 1;
    } catch {
      return false;
    }
  }

  leave(member: RedisFleetMember): void {
    if (this.#members.get(member.upstream) !== member) return;
    this.#members.delete(member.upstream);
    const { instances, votes } = member.keys;
    if (this.#connected) this.#run(LEAVE, [instances, votes], [this.instanceId]).catch(() => {});
    if (this.#members.size === 0) this.close();
  }

  /** Stop syncing and close the pub/sub connection (the client you passed stays open). Idempotent. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#redis.off('close', this.#onClose);
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    subscriber?.disconnect();
    this.#connected = false;
    for (const member of this.#members.values()) member.disconnected();
  }

  #start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.#sync(), this.options.flushInterval);
    this.#timer.unref();
    this.#redis.on('close', this.#onClose);
    const subscriber = this.#redis.duplicate({ lazyConnect: false, enableOfflineQueue: true });
    subscriber.on('error', () => {}); // reconnects by itself; state is read from syncs
    subscriber.on('message', (_channel: string, message: string) => {
      const [upstream, from] = message.split('\n');
      if (from !== this.instanceId && upstream !== undefined && this.#members.has(upstream)) this.syncSoon();
    });
    subscriber.subscribe(this.#channel).catch(() => {});
    this.#subscriber = subscriber;
  }

  readonly #onClose = (): void => {
    this.#setDisconnected();
  };

  #setDisconnected(): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#localSince = Date.now();
    for (const member of this.#members.values()) member.disconnected();
  }

  /** One pipelined round trip: SYNC for every member. Never more than one in flight. */
  async #sync(): Promise<void> {
    if (this.#closed || this.#members.size === 0) return;
    if (this.#inFlight) {
      this.#again = true;
      return;
    }
    this.#inFlight = true;
    this.#again = false;
    const batch: Array<[RedisFleetMember, SyncRequest]> = [...this.#members.values()].map((m) => [
      m,
      m.prepare(this.#channel),
    ]);
    const pipeline = this.#redis.pipeline();
    const useSha = this.#loaded.has(SYNC.sha);
    for (const [, request] of batch) {
      if (useSha) pipeline.evalsha(SYNC.sha, request.keys.length, ...request.keys, ...request.args);
      else pipeline.eval(SYNC.source, request.keys.length, ...request.keys, ...request.args);
    }
    const sent = pipeline.exec();
    // No answer within a flush period: decide locally from now on. A late answer still counts
    // (it carries the budget lease Redis granted), and no other sync starts before it.
    const timer = setTimeout(() => this.#setDisconnected(), this.options.flushInterval).unref();
    try {
      const results = (await sent) ?? [];
      clearTimeout(timer);
      let ok = 0;
      batch.forEach(([member, request], i) => {
        const [error, reply] = results[i] ?? [new Error('no reply'), undefined];
        if (error === null) {
          member.apply(reply, request);
          ok++;
        } else {
          if (isNoScript(error)) {
            this.#loaded.delete(SYNC.sha);
            this.#again = true;
          }
          member.failed(request);
        }
      });
      if (ok === batch.length) {
        this.#connected = true;
        this.#localSince = null;
        if (!useSha) this.#loaded.add(SYNC.sha);
      } else if (!this.#again) {
        this.#setDisconnected();
      }
    } catch {
      clearTimeout(timer);
      for (const [member, request] of batch) member.failed(request);
      this.#setDisconnected();
    } finally {
      this.#inFlight = false;
      if (this.#again && !this.#closed) this.syncSoon();
    }
  }

  /** Run a script by SHA, loading it with EVAL when Redis does not know it (first use, restart). */
  async #run(script: Script, keys: string[], args: Array<string | number>): Promise<unknown> {
    if (this.#loaded.has(script.sha)) {
      try {
        return await this.#redis.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        this.#loaded.delete(script.sha);
      }
    }
    const reply = await this.#redis.eval(script.source, keys.length, ...keys, ...args);
    this.#loaded.add(script.sha);
    return reply;
  }

  #withDeadline<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('redis: no answer in time')), this.options.flushInterval).unref();
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * A fleet on Redis, from your ioredis client. Pass the same fleet to every upstream of the
 * process: `createUpstream({ origin, fleet })`. Options are validated here.
 */
export function redisFleet(options: RedisFleetOptions): RedisFleet {
  return new RedisFleet(options);
}
