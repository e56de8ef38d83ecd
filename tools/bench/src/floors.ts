/**
 * Framework floors: axios and ky with the network taken away (`floors-process.ts`), measured in
 * a fresh process on the client core in the same run as the throughput rows. They bound what a
 * client built on axios or ky can reach: `createAxios()` can be at most
 * `axios default CPU ÷ (raw undici CPU + axios floor)` times axios default when both are
 * CPU-bound, since it does axios' own work and at least raw undici's.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pinnedCommand, SOURCE_CONDITION } from './children.ts';

const SCRIPT = fileURLToPath(new URL('./floors-process.ts', import.meta.url));

/** Client CPU µs per call of each framework alone. */
export interface Floors {
  /** axios with an adapter that answers at once (axios still merges config, builds headers, parses JSON). */
  axios: number;
  /** ky with a `fetch` that returns a new `Response` (ky, the `Response` and its `json()`). */
  ky: number;
  /** Building one `Response` and reading it with `json()`. */
  response: number;
  /** One Steady core call refused by an open breaker (no network). */
  breakerOpen: number;
  /** The load loop's own cost per call (an empty call), already taken off the figures above. */
  harness: number;
}

/** Measure the floors (`calls` calls each) in a child process pinned to `cpu`. */
export function measureFloors(cpu: string | undefined, calls: number): Promise<Floors> {
  const [command, argv] = pinnedCommand(cpu, process.execPath, [
    SOURCE_CONDITION,
    '--expose-gc',
    SCRIPT,
    String(calls),
  ]);
  return new Promise((resolve, reject) => {
    execFile(command, argv, { timeout: 120_000 }, (error, stdout) => {
      if (error) return reject(error);
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Floors);
      } catch (parse) {
        reject(parse as Error);
      }
    });
  });
}

/**
 * The most a client built on a framework can reach over the plain framework, req/s ratio when
 * both are CPU-bound: the plain client's CPU per call over (raw undici's + the framework floor).
 */
export function ceiling(
  plainCpu: number | undefined,
  undiciCpu: number | undefined,
  floor: number | undefined,
): number | undefined {
  if (plainCpu === undefined || undiciCpu === undefined || floor === undefined) return undefined;
  return plainCpu / (undiciCpu + floor);
}
