/**
 * One measured throughput run of one client, in a fresh Node process started by the bench
 * (pinned to the client core): create the client, GC, warm it up until its cost per call
 * settles (`warmup.ts`), tell the bench, wait for `go`, run the measured calls (client CPU via `process.cpuUsage()` over exactly those), send
 * the summary, close the client and exit. Every loop is bounded in count and time.
 */
import { clientById } from './clients.ts';
import type { ClientMessage, GoMessage } from './client-protocol.ts';
import { fromArgv } from './client-protocol.ts';
import { expectOk } from './context.ts';
import { runLoad, summarize } from './load.ts';
import { warmupPlan, warmUntilSteady } from './warmup.ts';

const send = (message: ClientMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });

async function main(): Promise<void> {
  const args = fromArgv(process.argv.slice(2));
  const spec = clientById(args.client);
  if (spec === undefined) throw new Error(`unknown client ${args.client}`);
  const client = await spec.create({ origin: args.origin, connections: args.connections });
  try {
    const call = async (_index: number, signal: AbortSignal): Promise<number> =>
      expectOk(await client.get('/data', signal));
    const load = { concurrency: args.concurrency, timeLimitMs: args.timeLimitMs };
    // Collect first, then warm up until the cost per call settles (see warmup.ts): no forced GC
    // between the warm-up and the measured calls.
    (globalThis as { gc?: () => void }).gc?.();
    const warm = await warmUntilSteady(
      async (total) => (await runLoad(call, { ...load, total })).cpuMicrosPerCall,
      warmupPlan(args.warmup),
    );
    const go = new Promise<void>((resolve) => {
      process.on('message', (message: GoMessage) => {
        if (message.type === 'go') resolve();
      });
    });
    await send({ type: 'warm', calls: warm.calls, steady: warm.steady });
    await go;
    const result = await runLoad(call, { ...load, total: args.requests });
    await send({ type: 'done', summary: summarize(result) });
  } finally {
    await client.close();
  }
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    await send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  },
);
