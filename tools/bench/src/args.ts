/**
 * Command-line flags of the bench (pure parsing).
 */
import type { SectionName } from './context.ts';
import type { UpstreamChoice } from './throughput-upstream.ts';

/** Parsed flags. */
export interface BenchArgs {
  quick: boolean;
  updateDocs: boolean;
  help: boolean;
  requests: number | undefined;
  rounds: number | undefined;
  sections: Set<SectionName>;
  /** Client ids to run (all when undefined). */
  clients: Set<string> | undefined;
  /** The throughput section's upstream. */
  upstream: UpstreamChoice;
}

const ALL: readonly SectionName[] = ['throughput', 'scaling', 'queue', 'faults', 'hedge', 'h2'];

/** Usage text. */
export const USAGE = `usage: npm run bench -- [--quick] [--update-docs] [--only throughput,scaling,queue,faults,hedge,h2]
                        [--requests N] [--rounds N] [--clients LIST] [--upstream auto|nginx|node]
                        [--cpu-prof] [--no-pin] [--help]
  --quick        smoke run, under a minute (2k requests per throughput run)
  --update-docs  also write docs/bench.svg (the chart the README embeds)
  --only LIST    run only these sections
  --requests N   requests per throughput run (default 20000, quick 2000)
  --rounds N     measured interleaved rounds (default 3, quick 1)
  --clients LIST only these clients (ids: see tools/bench/README.md), e.g. undici,steady,steady-fetch
  --upstream U   throughput upstream: auto (nginx when installed, default), nginx, node
  --cpu-prof     write V8 CPU profiles of the client processes to tmp/bench/prof/
  --no-pin       do not pin client and server to separate CPUs with taskset`;

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer (received ${value})`);
  return n;
}

/** Parse `argv` (without node and script). Throws with a message naming the flag. */
export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    quick: false,
    updateDocs: false,
    help: false,
    requests: undefined,
    rounds: undefined,
    sections: new Set(ALL),
    clients: undefined,
    upstream: 'auto',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? '').split('=', 2) as [string, string | undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--quick':
        args.quick = true;
        break;
      case '--update-docs':
        args.updateDocs = true;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      case '--requests':
        args.requests = positive('--requests', value());
        break;
      case '--rounds':
        args.rounds = positive('--rounds', value());
        break;
      case '--only': {
        const list = (value() ?? '').split(',').filter(Boolean);
        for (const name of list)
          if (!ALL.includes(name as SectionName)) throw new Error(`--only: unknown section ${name}`);
        args.sections = new Set(list as SectionName[]);
        break;
      }
      case '--clients':
        args.clients = new Set((value() ?? '').split(',').filter(Boolean));
        break;
      case '--upstream': {
        const choice = value();
        if (choice !== 'auto' && choice !== 'nginx' && choice !== 'node')
          throw new Error(`--upstream must be auto, nginx or node (received ${choice})`);
        args.upstream = choice;
        break;
      }
      case '--cpu-prof':
      case '--no-pin':
        break; // handled by main.ts
      default:
        throw new Error(`unknown flag ${flag}`);
    }
  }
  return args;
}
