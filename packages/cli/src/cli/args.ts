/**
 * `steady probe <origin> [flags]` parsed into {@link ProbeOptions}. Anything wrong is a
 * {@link UsageError} (exit code 1) that names the flag, what it takes and what it got.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ProbeOptions } from '../probe/probe-options.ts';
import { safeUrl } from '../probe/probe-options.ts';

/** Help text. */
export const USAGE = `Usage: steady probe <origin> [options]

Measures the idle timeout of the whole path to an HTTP(S) origin (server, load balancers, NAT),
its handshake times and keep-alive behaviour, and prints createUpstream options to paste.
Only GET/HEAD requests of --path are sent, never a body.

Options:
  --path <path>              path to request (default /)
  --method <GET|HEAD>        request method (default HEAD)
  --max-idle <duration>      longest idle rung; the probe takes about this long (default 130s)
  --ladder <d1,d2,...>       idle rungs, one socket each, in parallel; bare numbers are seconds
                             (default 1,2,5,10,20,30,45,60,75,90,120; at most 11 with 3 samples)
  --max-requests <n>         cap on all requests sent (default 200)
  --samples <n>              handshakes timed, median reported (1-5, default 3)
  --connect-timeout <d>      DNS + connect + TLS deadline per socket (default 5s)
  --response-timeout <d>     a request unanswered this long counts as hung (default 5s)
  --proxy <url>              HTTP forward proxy (http://[user:pass@]host:port)
  --ca <file>                extra CA certificate(s), PEM, for an https: origin
  --json                     print one JSON object instead of the report
  --no-color                 no colours (colours are used only on a TTY, and never with NO_COLOR)
  -h, --help                 this help
  -v, --version              the version

Durations: 500ms, 1.5s, 2m, or a bare number of seconds.
Exit codes: 0 probed, 1 usage error, 2 origin unreachable (or not answering HTTP).`;

/** A command line that cannot be run. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** What the command line asks for. */
export type Command =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'probe'; options: ProbeOptions; json: boolean; color: boolean | undefined };

/** Parse `argv` (without node and the script). */
export function parseCommand(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      allowNegative: true,
      strict: true,
      options: {
        path: { type: 'string' },
        method: { type: 'string' },
        'max-idle': { type: 'string' },
        ladder: { type: 'string' },
        'max-requests': { type: 'string' },
        samples: { type: 'string' },
        'connect-timeout': { type: 'string' },
        'response-timeout': { type: 'string' },
        proxy: { type: 'string' },
        ca: { type: 'string' },
        json: { type: 'boolean' },
        color: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    // node:util messages quote the argument; a secret could only be in a value, which they do not echo.
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const [command, origin, ...rest] = positionals;
  if (command !== 'probe')
    throw new UsageError(
      command === undefined ? 'missing command: probe' : `unknown command "${command}" (only "probe")`,
    );
  if (origin === undefined) throw new UsageError('missing <origin>, e.g. steady probe https://api.example.com');
  if (rest.length > 0) throw new UsageError(`unexpected argument "${safeUrl(rest[0])}"`);

  const options: ProbeOptions = { origin };
  if (values.path !== undefined) options.path = values.path;
  if (values.method !== undefined) {
    const method = values.method.toUpperCase();
    if (method !== 'GET' && method !== 'HEAD')
      throw new UsageError(`--method takes GET or HEAD (received "${values.method}")`);
    options.method = method;
  }
  if (values['max-idle'] !== undefined) options.maxIdle = duration('--max-idle', values['max-idle']);
  if (values.ladder !== undefined) {
    options.ladder = values.ladder.split(',').map((part) => duration('--ladder', part.trim()));
  }
  if (values['max-requests'] !== undefined) options.maxRequests = integer('--max-requests', values['max-requests']);
  if (values.samples !== undefined) options.samples = integer('--samples', values.samples);
  if (values['connect-timeout'] !== undefined)
    options.connectTimeout = duration('--connect-timeout', values['connect-timeout']);
  if (values['response-timeout'] !== undefined)
    options.responseTimeout = duration('--response-timeout', values['response-timeout']);
  if (values.proxy !== undefined) options.proxy = values.proxy;
  if (values.ca !== undefined) {
    try {
      options.ca = readFileSync(values.ca);
    } catch (error) {
      throw new UsageError(`--ca: cannot read "${values.ca}" (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return { kind: 'probe', options, json: values.json === true, color: values.color };
}

/** `500ms`, `1.5s`, `2m`, or a bare number of seconds, in ms. */
export function duration(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!match)
    throw new UsageError(`${flag} takes a duration such as 500ms, 1.5s, 2m or 30 (seconds) (received "${text}")`);
  const n = Number(match[1]);
  const unit = match[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000);
}

function integer(flag: string, text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`${flag} takes a whole number (received "${text}")`);
  return Number(text);
}

/** The CLI flag of a `ProbeOptions` path, e.g. `maxIdle` → `--max-idle`, `ladder[2]` → `--ladder`. */
export function flagOf(option: string): string {
  const base = option.replace(/\[\d+\]$/, '');
  if (base === 'origin') return '<origin>';
  return `--${base.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
