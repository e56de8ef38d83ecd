#!/usr/bin/env node
/**
 * `npm start`: a live side-by-side demo of Steady against plain axios, ky and fetch on
 * five production failures. Run with `node --conditions=steady-source tools/demo/src/main.ts`
 * so that the `@steady/*` packages resolve to their TypeScript sources (no build needed).
 */
import { parseDemoArgs, USAGE } from './args.ts';
import type { DemoOptions } from './args.ts';
import { Children } from './children.ts';
import { runDemo } from './demo.ts';
import { paint, plainLive, silentLive, ttyLive } from './live.ts';
import { summaryTable } from './summary-table.ts';

function parse(): DemoOptions {
  try {
    const parsed = parseDemoArgs(process.argv.slice(2), process.stdout.isTTY === true);
    if (parsed === 'help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    return parsed;
  } catch (error) {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    process.exit(2);
  }
}

const options = parse();
const write = (text: string): void => {
  process.stdout.write(text);
};
const colours = paint(options.tty);
const live = options.json
  ? silentLive()
  : options.tty
    ? ttyLive(write, () => process.stdout.columns ?? 120)
    : plainLive(write);
const children = new Children();

// Ctrl-C or a kill: stop every child by pid, restore the cursor, leave.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    live.stop();
    const pids = children.pids();
    children.killAllNow();
    process.stderr.write(`\ndemo: ${signal}: stopped child processes ${JSON.stringify(pids)}\n`);
    process.exit(code);
  });
}

try {
  const summary = await runDemo(options, live, colours, children);
  live.stop();
  if (options.json) {
    write(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    live.print(summaryTable(summary, colours));
  }
  // Pooled keep-alive sockets of the plain clients would keep the loop alive: leave now.
  process.exit(0);
} catch (error) {
  live.stop();
  children.killAllNow();
  process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
