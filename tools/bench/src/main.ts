/**
 * Entry point of `npm run bench`: re-executes the bench (`run.ts`) with the flags it needs
 * (`--conditions=steady-source` so '@steady/*' resolve to their sources, `--expose-gc`),
 * pinned to CPU 1 with `taskset` when available (the upstream gets CPU 0, the client processes
 * of the throughput section CPU 1), and forwards
 * SIGINT/SIGTERM. Node-only imports here, so it runs without any flag.
 */
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const run = fileURLToPath(new URL('./run.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const nodeFlags = ['--conditions=steady-source', '--expose-gc'];
if (argv.includes('--cpu-prof')) nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${root}tmp/bench/prof`);

const canPin = !argv.includes('--no-pin') && availableParallelism() >= 2 && spawnSync('taskset', ['-V']).status === 0;
const env = { ...process.env };
if (canPin) {
  env.STEADY_BENCH_CLIENT_CPU = '1';
  env.STEADY_BENCH_SERVER_CPU = '0';
}
const [command, args] = canPin
  ? ['taskset', ['-c', '1', process.execPath, ...nodeFlags, run, ...argv]]
  : [process.execPath, [...nodeFlags, run, ...argv]];
const child = spawn(command, args, { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (child.exitCode === null) child.kill(signal);
  });
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
