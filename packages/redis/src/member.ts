/**
 * One upstream's membership in a Redis fleet: what its breaker and budget tell the fleet
 * (kept in memory until the next sync), and what each sync's answer changes locally.
 * Nothing here waits: the breaker and the budget call these methods on a call's path.
 */
import type { FleetBreakerControl, FleetBudgetControl, FleetMember, FleetMembership, FleetStats } from '@steady/core';
import { upstreamKeys, type UpstreamKeys } from './scripts.ts';

/** What a member needs from its fleet. */
export interface FleetLink {
  readonly instanceId: string;
  readonly quorum: number;
  readonly flushInterval: number;
  readonly prefix: string;
  readonly name: string;
  /** Whether the last sync succeeded and is at most one flush period old. */
  readonly connected: boolean;
  /** `Date.now()` when the fleet last fell back to local decisions; null while connected. */
  readonly localSince: number | null;
  /** Sync every member now (coalesced with a sync in flight). */
  syncSoon(): void;
  /** Ask Redis for one half-open probe token; false on refusal or any failure. */
  takeProbe(keys: UpstreamKeys, max: number, ttl: number): Promise<boolean>;
  /** Forget this member (liveness and vote in Redis, best effort). */
  leave(member: RedisFleetMember): void;
}

/** One sync's request for one upstream: SYNC's KEYS and ARGV, and the counts it carries. */
export interface SyncRequest {
  readonly keys: string[];
  readonly args: Array<string | number>;
  readonly calls: number;
  readonly retries: number;
  readonly lease: number;
  readonly event: '' | 'closed' | 'reset';
  readonly published: boolean;
}

/** SYNC's reply. */
type SyncReply = [number, number, Array<string | number>, number, number, number, number, number];

const BUDGET_BUCKETS = 10;

export class RedisFleetMember implements FleetMembership {
  readonly upstream: string;
  readonly keys: UpstreamKeys;
  readonly #link: FleetLink;
  readonly #breaker: FleetBreakerControl | null;
  readonly #budget: FleetBudgetControl | null;
  /** End (local ms) of the open period this instance's breaker chose on its own; 0 when none. */
  #ownUntil = 0;
  #probeFailed = false;
  #event: '' | 'closed' | 'reset' = '';
  #publish = false;
  #seenSeq = -1;
  #tokens = 0;
  #askingToken = false;
  #nextTokenAt = 0;
  #prefetch: NodeJS.Timeout | undefined;
  /** Counts a failed sync did not deliver, sent with the next one. */
  #carry = { calls: 0, retries: 0 };
  #synced = false;
  #instances = 0;
  #lastSyncAt: number | null = null;
  #votes = 0;
  #fleetIsolated = false;
  #fleetCalls = 0;
  #fleetRetries = 0;
  /** The budget lease Redis counts as spent for this instance (returned at the next sync). */
  #lease = 0;
  #syncs = 0;
  #failures = 0;
  #probesGranted = 0;
  #left = false;

  constructor(link: FleetLink, member: FleetMember) {
    this.#link = link;
    this.upstream = member.upstream;
    this.keys = upstreamKeys(link.prefix, link.name, member.upstream);
    this.#breaker = member.breaker;
    this.#budget = member.budget;
  }

  get connected(): boolean {
    return this.#synced && this.#link.connected;
  }

  // ---- the breaker's and budget's side: synchronous, in memory ----

  opened(openFor: number, probeFailed: boolean): void {
    this.#ownUntil = Date.now() + openFor;
    this.#probeFailed ||= probeFailed;
    this.#tokens = 0;
    this.#publish = true;
    this.#schedulePrefetch(this.#ownUntil);
    this.#link.syncSoon();
  }

  closed(): void {
    this.#ownUntil = 0;
    this.#tokens = 0;
    if (this.#event !== 'reset') this.#event = 'closed';
    this.#publish = true;
    this.#link.syncSoon();
  }

  isolated(): void {
    this.#ownUntil = 0;
    this.#tokens = 0;
    this.#publish = true;
    this.#link.syncSoon();
  }

  reset(): void {
    this.#ownUntil = 0;
    this.#tokens = 0;
    this.#event = 'reset';
    this.#publish = true;
    this.#link.syncSoon();
  }

  tryProbe(): boolean {
    if (!this.connected) return true;
    if (this.#tokens > 0) {
      this.#tokens--;
      return true;
    }
    this.#askToken();
    return false;
  }

  stats(): FleetStats {
    const now = Date.now();
    return {
      connected: this.connected,
      instances: this.#instances,
      lastSyncAgeMs: this.#lastSyncAt === null ? null : now - this.#lastSyncAt,
      localForMs: this.#link.localSince === null ? null : now - this.#link.localSince,
      fleet: this.#link.name,
      instanceId: this.#link.instanceId,
      quorum: this.#link.quorum,
      flushInterval: this.#link.flushInterval,
      openVotes: this.#votes,
      isolated: this.#fleetIsolated,
      probeTokens: this.#tokens,
      probesGranted: this.#probesGranted,
      budget:
        this.#budget === null ? null : { calls: this.#fleetCalls, retries: this.#fleetRetries, lease: this.#lease },
      syncs: this.#syncs,
      syncFailures: this.#failures,
    };
  }

  leave(): void {
    if (this.#left) return;
    this.#left = true;
    clearTimeout(this.#prefetch);
    this.#link.leave(this);
  }

  // ---- the fleet's side: building a sync and applying its answer ----

  /** SYNC's keys and arguments for this member, taking the budget's counts. */
  prepare(channel: string): SyncRequest {
    const taken = this.#budget?.take() ?? { calls: 0, retries: 0 };
    const calls = taken.calls + this.#carry.calls;
    const retries = taken.retries + this.#carry.retries;
    this.#carry = { calls: 0, retries: 0 };
    const now = Date.now();
    const breaker = this.#breaker;
    const own = this.#ownUntil > now && breaker?.state === 'open' ? this.#ownUntil - now : 0;
    const window = this.#budget?.window ?? 10_000;
    const ttl = Math.max(1000, 3 * this.#link.flushInterval);
    const event = this.#event;
    const published = this.#publish;
    const k = this.keys;
    const budget = this.#budget;
    return {
      keys: [k.instances, k.votes, k.isolated, k.seq, k.probes],
      args: [
        this.#link.instanceId,
        ttl,
        calls,
        retries,
        k.budget,
        window,
        BUDGET_BUCKETS,
        Math.ceil(own),
        own > 0 && this.#probeFailed ? 1 : 0,
        breaker?.halfOpenProbes ?? 1,
        breaker?.state === 'isolated' ? 1 : 0,
        this.#seenSeq,
        event,
        published ? channel : '',
        `${this.upstream}\n${this.#link.instanceId}`,
        Math.max(own, 60_000),
        budget === null ? '' : budget.ratio,
        budget === null ? 0 : budget.reserve,
        this.#lease,
      ],
      calls,
      retries,
      lease: this.#lease,
      event,
      published,
    };
  }

  /** A sync answered: adopt the fleet's view. */
  apply(reply: unknown, request: SyncRequest): void {
    const [serverNow, instances, votes, isolated, seq, fleetCalls, fleetRetries, granted] = reply as SyncReply;
    const now = Date.now();
    this.#syncs++;
    this.#synced = true;
    this.#lastSyncAt = now;
    this.#instances = Number(instances);
    this.#fleetIsolated = Number(isolated) === 1;
    this.#fleetCalls = Number(fleetCalls);
    this.#fleetRetries = Number(fleetRetries);
    this.#lease = Number(granted);
    if (request.event !== '' && this.#event === request.event) this.#event = '';
    if (request.published) this.#publish = false;
    this.#probeFailed = false;

    const breaker = this.#breaker;
    const seqNow = Number(seq);
    if (this.#seenSeq >= 0 && seqNow > this.#seenSeq && breaker !== null) {
      // A probe succeeded somewhere, or someone reset the fleet: close here too.
      this.#ownUntil = 0;
      this.#tokens = 0;
      if (breaker.state !== 'closed') breaker.close('fleet: closed by another instance');
    }
    this.#seenSeq = seqNow;
    if (breaker !== null && this.#fleetIsolated && breaker.state !== 'isolated') {
      this.#tokens = 0;
      breaker.isolate('fleet: isolated by another instance');
    }

    const ends: number[] = [];
    for (let i = 1; i < votes.length; i += 2) ends.push(Number(votes[i]));
    this.#votes = ends.length;
    const quorum = this.#link.quorum;
    if (breaker !== null && ends.length >= quorum) {
      ends.sort((a, b) => b - a);
      // Open until the quorum would no longer hold, on the local clock.
      const until = now + (ends[quorum - 1]! - Number(serverNow));
      const before = breaker.state;
      if (before === 'closed' || before === 'half-open') {
        breaker.open(until, `fleet: ${ends.length} instances open (quorum ${quorum})`);
        if ((breaker.state as string) === 'open') {
          this.#tokens = 0;
          this.#schedulePrefetch(until);
        }
      }
    }
    this.#budget?.share({
      calls: this.#fleetCalls,
      retries: this.#fleetRetries,
      instances: Math.max(1, this.#instances),
      granted: this.#lease,
    });
  }

  /** A sync failed: Redis ran nothing, so its counts go with the next one and the lease Redis knows is unchanged. */
  failed(request: SyncRequest): void {
    this.#failures++;
    this.#carry.calls += request.calls;
    this.#carry.retries += request.retries;
    this.disconnected();
  }

  /** Redis is out of reach: decide locally from now on. */
  disconnected(): void {
    this.#tokens = 0;
    this.#budget?.share(null);
  }

  #askToken(): void {
    const now = Date.now();
    if (this.#askingToken || now < this.#nextTokenAt || this.#breaker === null) return;
    this.#askingToken = true;
    this.#nextTokenAt = now + this.#link.flushInterval / 2;
    const breaker = this.#breaker;
    void this.#link
      .takeProbe(this.keys, breaker.halfOpenProbes, breaker.openFor)
      .then((granted) => {
        if (granted && breaker.state === 'half-open') {
          this.#tokens++;
          this.#probesGranted++;
        }
      })
      .finally(() => {
        this.#askingToken = false;
      });
  }

  /** Ask for a probe token as the open period ends, so the first half-open call can probe. */
  #schedulePrefetch(until: number): void {
    clearTimeout(this.#prefetch);
    this.#prefetch = setTimeout(
      () => {
        this.#nextTokenAt = 0;
        if (this.#breaker?.state === 'half-open' && this.connected) this.#askToken();
      },
      Math.max(0, until - Date.now()) + 1,
    );
    this.#prefetch.unref();
  }
}
