/**
 * The messages between the bench and a client process (`client-process.ts`): one measured
 * throughput run of one client in a fresh Node process.
 */

/** argv of a client process, as `--name value` pairs. */
export interface ClientRunArgs {
  client: string;
  origin: string;
  connections: number;
  warmup: number;
  requests: number;
  concurrency: number;
  timeLimitMs: number;
}

/** What the measured calls gave, summarised in the client process. */
export interface LoadSummary {
  started: number;
  ok: number;
  failed: number;
  errors: Record<string, number>;
  durationMs: number;
  p50: number;
  p99: number;
  cpuMicrosPerCall: number;
  peakRss: number;
}

/** Client → bench: warmed up (`calls` warm-up calls; `steady` unless a bound ended it), waiting for `go`; or done; or failed. */
export type ClientMessage =
  | { type: 'warm'; calls: number; steady: boolean }
  | { type: 'done'; summary: LoadSummary }
  | { type: 'error'; message: string };

/** Bench → client: start the measured calls. */
export interface GoMessage {
  type: 'go';
}

/** `ClientRunArgs` as argv. */
export function toArgv(args: ClientRunArgs): string[] {
  return Object.entries(args).flatMap(([key, value]) => [`--${key}`, String(value)]);
}

/** argv back to `ClientRunArgs`; throws naming a missing or bad value. */
export function fromArgv(argv: readonly string[]): ClientRunArgs {
  const get = (key: string): string => {
    const index = argv.indexOf(`--${key}`);
    const value = index === -1 ? undefined : argv[index + 1];
    if (value === undefined) throw new Error(`client process: --${key} missing`);
    return value;
  };
  const count = (key: string): number => {
    const n = Number(get(key));
    if (!Number.isInteger(n) || n < 0) throw new Error(`client process: --${key} must be an integer ≥ 0`);
    return n;
  };
  return {
    client: get('client'),
    origin: get('origin'),
    connections: count('connections'),
    warmup: count('warmup'),
    requests: count('requests'),
    concurrency: count('concurrency'),
    timeLimitMs: count('timeLimitMs'),
  };
}
