// Checks the packed packages as a new user gets them: `npm pack` each published package, install
// the tarballs (plus the peers an app brings, without the optional `@nestjs/terminus`) in a scratch
// app under the system temp dir (each with its LICENSE, README and the sources its maps name),
// start a `redis-server` on a free loopback port, then:
//   1. strict `tsc` (`skipLibCheck: false`) over an ESM file (.mts) and a CommonJS file (.cts) with
//      `"module": "nodenext"`, and over a CommonJS app with `"module": "commonjs"` (Nest's default);
//   2. run what tsc emitted on this Node: `import` (ESM) and `require()` (CommonJS, require(esm)),
//      each making real calls to a local server on 127.0.0.1 through core, axios, ky, a Nest
//      application context, @steady/otel (a metric read back from the metrics SDK), @steady/redis
//      (a fleet that syncs with the redis-server) and @steady/cli's `probe()`;
//   3. the `steady` binary: `npx steady probe <local server> --json` prints a report that parses;
//   4. import and require every package on a Node older than 22.19 (the system Node 20 when it is
//      on PATH, else `node@20` through npx) and expect "Steady needs Node ≥ 22.19 (this is 20.x.y)";
//      the `steady` binary there exits 1 with its own message;
//   5. remove axios, ky, otel and their adapters: @steady/nest alone still type-checks and runs.
// Needs `redis-server` on PATH (Debian/Ubuntu: `sudo apt-get install redis-server`). About 60 s.
// Usage: node tools/scripts/check-tarballs.mjs [--keep]   (--keep leaves the scratch app for a look)
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES = ['core', 'axios', 'ky', 'nest', 'otel', 'redis', 'cli'];
// The optional peers of @steady/nest (and the adapters that need them), removed for the last step.
const NEST_OPTIONAL = ['axios', 'ky', '@steady/axios', '@steady/ky', '@steady/otel', '@opentelemetry'];
const keep = process.argv.includes('--keep');
const started = Date.now();
const step = (what) => console.log(`check-tarballs: ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
const version = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

const redisServer = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
if (redisServer.error !== undefined || redisServer.status !== 0) {
  console.error(
    'check-tarballs: FAILED: `redis-server` is not on PATH (the @steady/redis check makes real calls through one).\n' +
      'Install it: sudo apt-get install -y redis-server   (macOS: brew install redis)',
  );
  process.exit(1);
}

const app = mkdtempSync(join(tmpdir(), 'steady-tarballs-'));
// The emitted apps, npx and the `steady` binary's `#!/usr/bin/env node` run on this Node.
const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
let redis;
let failed = false;
try {
  // Build (tsc -b through every project reference; nothing to do when dist is current) and pack.
  run('npm', ['run', 'build', '--silent', '-w', '@steady/axios'], { cwd: root });
  const libs = PACKAGES.filter((name) => name !== 'axios').map((name) => `packages/${name}/tsconfig.lib.json`);
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', ...libs], { cwd: root });
  const tarballs = {};
  for (const name of PACKAGES) {
    const file = run('npm', ['pack', '--silent', '--pack-destination', app], { cwd: join(root, 'packages', name) });
    tarballs[`@steady/${name}`] = `file:./${file.trim()}`;
  }
  step('built and packed');

  // The app: the tarballs and the peers a user installs (pinned to the workspace's versions, so npm
  // can answer from its cache). No @nestjs/terminus: an optional peer must not be needed.
  const peers = ['axios', 'ky', '@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs'];
  peers.push('@opentelemetry/api', '@opentelemetry/sdk-metrics', 'ioredis');
  const tools = ['typescript', '@types/node'];
  const dependencies = { ...tarballs };
  for (const name of [...peers, ...tools]) dependencies[name] = version(name);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, dependencies }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app });
  if (existsSync(join(app, 'node_modules/@nestjs/terminus'))) throw new Error('@nestjs/terminus got installed');
  for (const name of PACKAGES) {
    // What every package ships: its LICENSE and README, and the sources its source maps name.
    const dir = join(app, 'node_modules/@steady', name);
    const map = JSON.parse(readFileSync(join(dir, 'dist/index.js.map'), 'utf8'));
    const missing = ['LICENSE', 'README.md', ...map.sources.map((source) => join('dist', source))].filter(
      (file) => !existsSync(join(dir, file)),
    );
    if (missing.length > 0) throw new Error(`@steady/${name}'s tarball lacks ${missing.join(', ')}`);
  }
  step('installed in a scratch app');

  writeSources(app);
  const tsc = join(app, 'node_modules/typescript/bin/tsc');
  for (const config of ['tsconfig.nodenext.json', 'tsconfig.commonjs.json']) {
    run(process.execPath, [tsc, '-p', config], { cwd: app });
  }
  step('strict tsc (skipLibCheck: false): nodenext ESM + CommonJS, commonjs');

  redis = await startRedis();
  for (const file of ['out-nodenext/app.mjs', 'out-nodenext/app.cjs', 'out-commonjs/app.js']) {
    const out = run(process.execPath, [file], { cwd: app, env: { ...env, REDIS_PORT: String(redis.port) } });
    if (!out.includes('all calls answered')) throw new Error(`${file} printed:\n${out}`);
  }
  step(`ran the emitted ESM and CommonJS apps on Node ${process.versions.node} (redis-server on :${redis.port})`);

  const report = await probeWithBinary(app);
  if (report.status !== 200 || report.idle.rungs.length !== 2 || report.recommended.origin !== report.origin) {
    throw new Error(`npx steady probe --json reported:\n${JSON.stringify(report)}`);
  }
  step('npx steady probe --json: a report that parses');

  const old = oldNode();
  for (const name of PACKAGES) {
    const specifier = `@steady/${name}`;
    for (const [how, args] of [
      ['import', ['--input-type=module', '-e', `await import(${JSON.stringify(specifier)})`]],
      ['require', ['-e', `require(${JSON.stringify(specifier)})`]],
    ]) {
      const result = spawnSync(old.command, [...old.args, ...args], { cwd: app, encoding: 'utf8' });
      const expected = `Steady needs Node ≥ 22.19 (this is ${old.version})`;
      if (result.status === 0 || !result.stderr.includes(expected)) {
        throw new Error(`${how} ${specifier} on Node ${old.version}: expected "${expected}", got:\n${result.stderr}`);
      }
    }
  }
  const bin = spawnSync(
    old.command,
    [...old.args, 'node_modules/@steady/cli/dist/bin.js', 'probe', 'http://127.0.0.1:9'],
    {
      cwd: app,
      encoding: 'utf8',
    },
  );
  const binExpected = `steady needs Node.js 22.19.0 or newer; this is Node.js ${old.version}.`;
  if (bin.status !== 1 || !bin.stderr.includes(binExpected)) {
    throw new Error(
      `steady probe on Node ${old.version}: expected exit 1 and "${binExpected}", got ${bin.status}:\n${bin.stderr}`,
    );
  }
  step(`Node ${old.version}: every package refuses to load with the one clear message, the binary exits 1`);

  // Last (it removes packages): @steady/nest's types need none of its optional peers.
  for (const name of NEST_OPTIONAL) rmSync(join(app, 'node_modules', name), { recursive: true, force: true });
  run(process.execPath, [tsc, '-p', 'tsconfig.nest-only.json'], { cwd: app });
  run(process.execPath, ['out-nest-only/nest-only.js'], { cwd: app });
  step('@steady/nest without axios, ky, otel and terminus: strict tsc (skipLibCheck: false) and a run');
} catch (error) {
  failed = true;
  console.error(`check-tarballs: FAILED\n${error instanceof Error ? error.message : error}`);
} finally {
  redis?.process.kill('SIGKILL');
  if (keep) console.log(`check-tarballs: scratch app kept in ${app}`);
  else rmSync(app, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

/** A `redis-server` on a free loopback port, without persistence; resolves once it answers PING. */
async function startRedis() {
  const port = await new Promise((resolve, reject) => {
    const probe = createTcpServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server --port ${port} exited with ${child.exitCode}`);
    const pong = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
      socket.setTimeout(500, () => socket.destroy());
      socket.once('data', (data) => (socket.destroy(), resolve(data.toString().startsWith('+PONG'))));
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(false));
    });
    if (pong) return { port, process: child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server --port ${port} did not answer PING within 10 s`);
}

/** `npx steady probe` (the installed binary) with a short ladder against a local server: the parsed --json. */
async function probeWithBinary(dir) {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  try {
    const args = ['--no-install', 'steady', 'probe', origin, '--json', '--ladder', '0.1,0.2', '--max-idle', '1'];
    const { stdout } = await promisify(execFile)('npx', args, { cwd: dir, env, timeout: 30_000 });
    return JSON.parse(stdout);
  } finally {
    server.close();
  }
}

/** A Node older than 22.19: the first on PATH outside node_modules, else node@20 through npx. */
function oldNode() {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir.includes('node_modules') || !existsSync(join(dir, 'node'))) continue;
    const found = spawnSync(join(dir, 'node'), ['--version'], { encoding: 'utf8' }).stdout?.trim().slice(1);
    const [major, minor] = (found ?? '').split('.').map(Number);
    if (major < 22 || (major === 22 && minor < 19)) return { command: join(dir, 'node'), args: [], version: found };
  }
  const args = ['--yes', '-p', 'node@20', '--', 'node'];
  const found = execFileSync('npx', [...args, '--version'], { encoding: 'utf8' })
    .trim()
    .slice(1);
  return { command: 'npx', args, version: found };
}

function writeSources(dir) {
  const compilerOptions = { strict: true, skipLibCheck: false, target: 'es2022', types: ['node'], rootDir: 'src' };
  writeFileSync(
    join(dir, 'tsconfig.nodenext.json'),
    JSON.stringify({
      compilerOptions: { ...compilerOptions, module: 'nodenext', outDir: 'out-nodenext' },
      files: ['src/app.mts', 'src/app.cts'],
    }),
  );
  writeFileSync(
    join(dir, 'tsconfig.commonjs.json'),
    JSON.stringify({
      compilerOptions: { ...compilerOptions, module: 'commonjs', outDir: 'out-commonjs', esModuleInterop: true },
      files: ['src/app.ts'],
    }),
  );
  writeFileSync(
    join(dir, 'tsconfig.nest-only.json'),
    JSON.stringify({
      compilerOptions: { ...compilerOptions, module: 'nodenext', outDir: 'out-nest-only' },
      files: ['src/nest-only.ts'],
    }),
  );
  mkdirSync(join(dir, 'src'));
  writeFileSync(
    join(dir, 'src/nest-only.ts'),
    `import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { SteadyHealthIndicator, SteadyModule, type SteadyHealthResult } from '@steady/nest';

async function main(): Promise<void> {
  const nest = await NestFactory.createApplicationContext(
    SteadyModule.forRoot({ upstreams: { shop: { origin: 'http://127.0.0.1:9' } } }),
    { logger: false },
  );
  const health: SteadyHealthIndicator = nest.get(SteadyHealthIndicator);
  const check: () => Promise<SteadyHealthResult> = () => health.isHealthy();
  void check;
  await nest.close();
}
void main();
`,
  );
  // One program, three module kinds: the imports are the same text in each file.
  const body = `
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createUpstream, type UpstreamResponse } from '@steady/core';
import { createAxios, getUpstream } from '@steady/axios';
import { withSteady, getUpstream as getKyUpstream } from '@steady/ky';
import ky from 'ky';
import type { AxiosInstance } from 'axios';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { SteadyModule, getUpstreamToken, type SteadyHealthResult } from '@steady/nest';
import { instrumentSteady, METRIC_STEADY_CALL_DURATION, type SteadyInstrumentation } from '@steady/otel';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
} from '@opentelemetry/sdk-metrics';
import { redisFleet, type RedisFleet } from '@steady/redis';
import { Redis } from 'ioredis';
import { probe, type ProbeReport } from '@steady/cli';

function viaAxiosType(api: AxiosInstance) {
  return api.get<{ ok: boolean }>('/x', { steady: { retry: false, timeout: 2_000 } });
}

async function main(): Promise<void> {
  const server = createServer((_req, res) => res.end(JSON.stringify({ ok: true })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = 'http://127.0.0.1:' + (server.address() as AddressInfo).port;
  try {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const otel: SteadyInstrumentation = instrumentSteady({ meterProvider });

    const upstream = createUpstream({ origin, pool: { tls: { rejectUnauthorized: true } } });
    const res: UpstreamResponse = await upstream.request('/x', { fallback: () => ({ ok: false }) });
    const fromCore = (await res.body.json()) as { ok: boolean };
    await upstream.close();

    await reader.forceFlush();
    const calls = exporter
      .getMetrics()
      .flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics))
      .filter((m): m is HistogramMetricData => m.descriptor.name === METRIC_STEADY_CALL_DURATION)
      .flatMap((m) => m.dataPoints)
      .reduce((sum, point) => sum + point.value.count, 0);
    otel.shutdown();
    await meterProvider.shutdown();
    if (calls !== 1) throw new Error('otel: ' + calls + ' points of ' + METRIC_STEADY_CALL_DURATION + ', expected 1');

    const redis = new Redis(Number(process.env.REDIS_PORT), '127.0.0.1', { lazyConnect: false });
    const fleet: RedisFleet = redisFleet({ redis, name: 'tarballs-' + process.pid, quorum: 1, flushInterval: 250 });
    const inFleet = createUpstream({ name: 'shop', origin, fleet });
    const fromFleet = (await (await inFleet.request('/x')).body.json()) as { ok: boolean };
    for (let i = 0; i < 40 && inFleet.stats().fleet?.connected !== true; i++) await new Promise((r) => setTimeout(r, 100));
    const synced = inFleet.stats().fleet;
    const fleetConnected = fleet.connected;
    await inFleet.close();
    redis.disconnect();
    if (synced?.connected !== true || !fleetConnected) {
      throw new Error('redis: the fleet never synced: ' + JSON.stringify(synced));
    }

    const report: ProbeReport = await probe({ origin, ladder: [100, 200], maxIdle: 1_000, samples: 1 });
    if (report.status !== 200 || report.idle.rungs.length !== 2) throw new Error('probe: ' + JSON.stringify(report));

    const api = createAxios({ origin, retry: false });
    const fromAxios = (await viaAxiosType(api)).data;
    await getUpstream(api).close();

    const kyApi = withSteady(ky, { origin });
    const fromKy = await kyApi.get('x').json<{ ok: boolean }>();
    await getKyUpstream(kyApi)?.close();

    const nest = await NestFactory.createApplicationContext(SteadyModule.forRoot({ upstreams: { shop: { origin } } }), {
      logger: false,
    });
    const shop = nest.get(getUpstreamToken('shop'), { strict: false }) as typeof upstream;
    const fromNest = (await (await shop.request('/x')).body.json()) as { ok: boolean };
    await nest.close();
    const health: SteadyHealthResult = {};
    void health;

    if (![fromCore, fromAxios, fromKy, fromNest, fromFleet].every((r) => r.ok === true)) throw new Error('a call failed');
    console.log('all calls answered');
  } finally {
    server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;
  for (const file of ['app.mts', 'app.cts', 'app.ts']) writeFileSync(join(dir, 'src', file), body);
}
