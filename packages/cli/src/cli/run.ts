/**
 * The `steady` command: parse, probe, print. Returns the exit code: 0 probed, 1 usage error,
 * 2 the origin could not be reached (or did not answer HTTP). Never prints a credential.
 */
import { isInvalidOptionError, isSteadyError } from '@steady/core';
import { readFileSync } from 'node:fs';
import { formatDuration } from '../probe/finding.ts';
import { resolveProbeOptions } from '../probe/probe-options.ts';
import { probe } from '../probe/probe.ts';
import { flagOf, parseCommand, USAGE, UsageError } from './args.ts';
import { formatReport } from './report.ts';

/** Where the CLI writes, and the environment it reads (`NO_COLOR`). */
export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
}

/** Exit codes of `steady`. */
export const EXIT = Object.freeze({ OK: 0, USAGE: 1, UNREACHABLE: 2 });

/** Run `steady` with `argv` (without node and the script); resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usage(io, error.message);
  }
  if (command.kind === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return EXIT.OK;
  }
  if (command.kind === 'version') {
    io.stdout.write(`${version()}\n`);
    return EXIT.OK;
  }
  try {
    const { origin, ladder } = resolveProbeOptions(command.options);
    if (!command.json)
      io.stderr.write(
        `probing ${origin.origin}: this takes about ${formatDuration(ladder.at(-1) ?? 0)}, the longest idle rung…\n`,
      );
    const report = await probe(command.options);
    if (command.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const color = command.color ?? (io.stdout.isTTY === true && io.env.NO_COLOR === undefined);
      io.stdout.write(formatReport(report, color));
    }
    return EXIT.OK;
  } catch (error) {
    if (isInvalidOptionError(error)) {
      const message = `${flagOf(error.option)} must be ${error.expected} (received ${describe(error.received)})`;
      return usage(io, message);
    }
    if (!isSteadyError(error)) throw error;
    const cause = (error as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `: ${cause.message}${causeCode(cause)}` : '';
    io.stderr.write(`steady: ${error.url ?? ''} unreachable${detail}\n`);
    if (command.json)
      io.stdout.write(`${JSON.stringify({ error: { code: error.code, message: error.message + detail } })}\n`);
    return EXIT.UNREACHABLE;
  }
}

function usage(io: CliIo, message: string): number {
  io.stderr.write(`steady: ${message}\n\n${USAGE}\n`);
  return EXIT.USAGE;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
}

function causeCode(error: Error): string {
  const inner = (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof inner === 'string' ? ` (${inner})` : '';
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
