/**
 * Test helper (not published): an in-memory stand-in for an ioredis client that records the
 * commands a fleet sends and lets a spec decide when (and how) each pipeline answers.
 */
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';

export interface SentPipeline {
  commands: Array<{ command: 'eval' | 'evalsha'; args: unknown[] }>;
  answer(results: Array<[Error | null, unknown]>): void;
  fail(error: Error): void;
}

export class FakeRedis extends EventEmitter {
  readonly pipelines: SentPipeline[] = [];
  readonly calls: Array<{ command: 'eval' | 'evalsha'; args: unknown[] }> = [];
  readonly subscriber = Object.assign(new EventEmitter(), {
    channels: [] as string[],
    disconnected: false,
    subscribe(channel: string) {
      this.channels.push(channel);
      return Promise.resolve(1);
    },
    disconnect() {
      this.disconnected = true;
    },
  });
  /** Answer of `eval`/`evalsha` (probe and leave scripts). */
  reply: unknown = 1;

  duplicate() {
    return this.subscriber;
  }

  pipeline() {
    const commands: SentPipeline['commands'] = [];
    let settle!: { resolve: (v: Array<[Error | null, unknown]>) => void; reject: (e: Error) => void };
    const done = new Promise<Array<[Error | null, unknown]>>((resolve, reject) => {
      settle = { resolve, reject };
    });
    const pipeline = {
      eval: (...args: unknown[]) => commands.push({ command: 'eval', args }),
      evalsha: (...args: unknown[]) => commands.push({ command: 'evalsha', args }),
      exec: () => {
        this.pipelines.push({ commands, answer: settle.resolve, fail: settle.reject });
        return done;
      },
    };
    return pipeline;
  }

  eval(...args: unknown[]) {
    this.calls.push({ command: 'eval', args });
    return Promise.resolve(this.reply);
  }

  evalsha(...args: unknown[]) {
    this.calls.push({ command: 'evalsha', args });
    return Promise.resolve(this.reply);
  }

  asClient(): Redis {
    return this as unknown as Redis;
  }
}

/** A SYNC reply: server time, instances, votes as [id, until, …], isolated, seq, fleet calls/retries, lease. */
export function syncReply(
  reply: Partial<{
    now: number;
    instances: number;
    votes: Array<[string, number]>;
    isolated: boolean;
    seq: number;
    calls: number;
    retries: number;
    lease: number;
  }> = {},
): unknown[] {
  return [
    reply.now ?? 1_000_000,
    reply.instances ?? 1,
    (reply.votes ?? []).flatMap(([id, until]) => [id, String(until)]),
    reply.isolated ? 1 : 0,
    reply.seq ?? 0,
    reply.calls ?? 0,
    reply.retries ?? 0,
    reply.lease ?? 0,
  ];
}
