/**
 * What every section receives: the run's settings, the clients and a logger.
 */
import type { ClientSpec } from './clients.ts';
import type { UpstreamChoice } from './throughput-upstream.ts';

/** The run's settings, from the command line. */
export interface BenchSettings {
  quick: boolean;
  /** Requests per throughput run. */
  requests: number;
  /** Measured, interleaved rounds. */
  rounds: number;
  /** Requests per warm-up run. */
  warmup: number;
  /** In flight for the throughput section. */
  concurrency: number;
  /** `taskset` CPU for the upstream, or undefined when not pinned. */
  serverCpu: string | undefined;
  /** `taskset` CPU for the client processes, or undefined when not pinned. */
  clientCpu: string | undefined;
  /** The throughput section's upstream: nginx when installed (`auto`), or forced. */
  upstream: UpstreamChoice;
  /** Sections to run. */
  sections: ReadonlySet<SectionName>;
}

/** Section names, as in `--only`. */
export type SectionName = 'throughput' | 'scaling' | 'queue' | 'faults' | 'hedge' | 'h2';

/** Everything a section needs. */
export interface BenchContext {
  settings: BenchSettings;
  clients: readonly ClientSpec[];
  log(line: string): void;
}

/** Turn a status into a thrown error for status ≥ 400, so every client counts HTTP errors the same way. */
export function expectOk(status: number): number {
  if (status >= 400) throw Object.assign(new Error(`HTTP ${status}`), { code: `HTTP_${status}` });
  return status;
}

/** Sleep `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
