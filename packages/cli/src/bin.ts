#!/usr/bin/env node
// The `steady` binary. The Node floor is checked first; the CLI is loaded only on a Node that can run it.
import { nodeTooOld } from './node-version.ts';

const tooOld = nodeTooOld(process.versions.node);
if (tooOld !== undefined) {
  process.stderr.write(`${tooOld}\n`);
  process.exitCode = 1;
} else {
  const { runCli } = await import('./cli/run.ts');
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
}
