// Runs every package's test suite on Node 22 (the oldest Node Steady supports), the same
// way `npm test` runs them on Node 24: one vitest run per project, sequentially.
// Node 22 comes from the `node` package at 22.x through `npx -p`, so only npm is needed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const NODE22 = 'node@22.23.3';
const root = fileURLToPath(new URL('../..', import.meta.url));
const projects = [
  'packages/core',
  'packages/axios',
  'packages/ky',
  'packages/nest',
  'packages/redis',
  'packages/otel',
  'packages/cli',
  'tools/fault-server',
];
const vitest = `${root}node_modules/vitest/vitest.mjs`;

const version = spawnSync('npx', ['--yes', '-p', NODE22, '--', 'node', '--version'], { encoding: 'utf8' });
if (version.status !== 0 || !version.stdout.startsWith('v22.')) {
  console.error(`could not obtain Node 22 through npx -p ${NODE22}:\n${version.stderr}`);
  process.exit(1);
}
console.log(`test:node22 — running on Node ${version.stdout.trim()}`);

let failed = 0;
for (const project of projects) {
  console.log(`\n> ${project}`);
  const run = spawnSync('npx', ['--yes', '-p', NODE22, '--', 'node', vitest, 'run'], {
    cwd: `${root}${project}`,
    stdio: 'inherit',
  });
  if (run.status !== 0) failed++;
}
if (failed > 0) {
  console.error(`\ntest:node22: ${failed} project(s) failed`);
  process.exit(1);
}
console.log('\ntest:node22: every project passed on Node 22');
