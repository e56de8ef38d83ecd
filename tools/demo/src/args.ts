/**
 * Command-line flags of the demo.
 */
import { parseArgs } from 'node:util';

/** The demo's knobs, after defaults. */
export interface DemoOptions {
  /** Print only the JSON summary on stdout (no live view). */
  json: boolean;
  /** Rough length of each act in ms; every act derives its timings from it. */
  actMs: number;
  /** Idle timeout of the emulated load balancer in act 1, ms. */
  lbIdleMs: number;
  /** Calls fired at once per client in act 4. */
  burst: number;
  /** Pool size (and bulkhead concurrency) of the Steady upstream in act 4. */
  poolSize: number;
  /** Redraw the live view in place (ANSI); false prints plain lines. */
  tty: boolean;
}

/** Usage text for `--help` and bad flags. */
export const USAGE = `npm start [-- options]

  --quick            short acts (about 1.5 s each), for CI and tests
  --act-ms <ms>      length of each act (default 6000; 500…60000)
  --lb-idle <ms>     load-balancer idle timeout in act 1 (default 400; 50…5000)
  --burst <n>        calls fired at once per client in act 4 (default 2000; 10…10000)
  --pool <n>         Steady pool size in act 4 (default 10; 1…100)
  --json             print only the JSON summary on stdout
  --no-tty           plain lines even on a terminal
  --help             this text`;

function intFlag(name: string, value: string | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${name} must be an integer in ${min}…${max} (received ${value})`);
  }
  return n;
}

/** Parse the flags (without the node and script paths). Throws with a message naming the flag. */
export function parseDemoArgs(argv: string[], isTTY = false): DemoOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowNegative: true,
    options: {
      quick: { type: 'boolean' },
      'act-ms': { type: 'string' },
      'lb-idle': { type: 'string' },
      burst: { type: 'string' },
      pool: { type: 'string' },
      json: { type: 'boolean' },
      tty: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) return 'help';
  const quick = values.quick === true;
  const json = values.json === true;
  return {
    json,
    actMs: intFlag('act-ms', values['act-ms'], 500, 60_000, quick ? 1500 : 6000),
    lbIdleMs: intFlag('lb-idle', values['lb-idle'], 50, 5000, quick ? 200 : 400),
    burst: intFlag('burst', values.burst, 10, 10_000, 2000),
    poolSize: intFlag('pool', values.pool, 1, 100, 10),
    tty: !json && isTTY && values.tty !== false,
  };
}
