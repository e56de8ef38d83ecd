// `npm test`: every project's vitest suite through Nx, one project at a time, output streamed.
// The suites open real sockets and time real deadlines, so they run one project after another
// (`--parallel=1`); Nx then ends every run with a "performance report" advising more
// parallelism. That advert is not a test result, so it is dropped here: a passing run prints
// test results only. Everything else, and the exit code, passes through untouched.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const nxManifest = createRequire(import.meta.url).resolve('nx/package.json');
const nx = join(dirname(nxManifest), JSON.parse(readFileSync(nxManifest, 'utf8')).bin.nx);
const args = ['run-many', '-t', 'test', '--outputStyle=stream', '--parallel=1', ...process.argv.slice(2)];

const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
if (process.stdout.isTTY && env.FORCE_COLOR === undefined) env.FORCE_COLOR = '1';

const child = spawn(process.execPath, [nx, ...args], { cwd: root, env, stdio: ['inherit', 'pipe', 'inherit'] });
let inReport = false;
createInterface({ input: child.stdout }).on('line', (line) => {
  // Nx prints the report last, starting with its "Run duration:" line.
  if (/^\s*Run duration:\s/.test(line)) inReport = true;
  if (!inReport) process.stdout.write(`${line}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('close', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
