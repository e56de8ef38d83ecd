// Checks the packed packages as a new user gets them: `npm pack` each published package, install
// the tarballs (plus the peers an app brings, without the optional `@nestjs/terminus`) in a scratch
// app under the system temp dir, then:
//   1. strict `tsc` (`skipLibCheck: false`) over an ESM file (.mts) and a CommonJS file (.cts) with
//      `"module": "nodenext"`, and over a CommonJS app with `"module": "commonjs"` (Nest's default);
//   2. run what tsc emitted on this Node: `import` (ESM) and `require()` (CommonJS, require(esm)),
//      each making real calls through core, axios, ky and a Nest application context to a local
//      server on 127.0.0.1;
//   3. import and require every package on a Node older than 22.19 (the system Node 20 when it is
//      on PATH, else `node@20` through npx) and expect "Steady needs Node ≥ 22.19 (this is 20.x.y)";
//   4. remove axios, ky and their adapters: @steady/nest alone still type-checks and runs.
// Usage: node tools/scripts/check-tarballs.mjs [--keep]   (--keep leaves the scratch app for a look)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES = ['core', 'axios', 'ky', 'nest'];
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

const app = mkdtempSync(join(tmpdir(), 'steady-tarballs-'));
let failed = false;
try {
  // Build (tsc -b through every project reference; nothing to do when dist is current) and pack.
  run('npm', ['run', 'build', '--silent', '-w', '@steady/axios'], { cwd: root });
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/nest/tsconfig.lib.json'], {
    cwd: root,
  });
  const tarballs = {};
  for (const name of PACKAGES) {
    const file = run('npm', ['pack', '--silent', '--pack-destination', app], { cwd: join(root, 'packages', name) });
    tarballs[`@steady/${name}`] = `file:./${file.trim()}`;
  }
  step('built and packed');

  // The app: the tarballs and the peers a user installs (pinned to the workspace's versions, so npm
  // can answer from its cache). No @nestjs/terminus: an optional peer must not be needed.
  const peers = ['axios', 'ky', '@nestjs/common', '@nestjs/core', 'reflect-metadata', 'rxjs'];
  const tools = ['typescript', '@types/node'];
  const dependencies = { ...tarballs };
  for (const name of [...peers, ...tools]) dependencies[name] = version(name);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, dependencies }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app });
  if (existsSync(join(app, 'node_modules/@nestjs/terminus'))) throw new Error('@nestjs/terminus got installed');
  step('installed in a scratch app');

  writeSources(app);
  const tsc = join(app, 'node_modules/typescript/bin/tsc');
  for (const config of ['tsconfig.nodenext.json', 'tsconfig.commonjs.json']) {
    run(process.execPath, [tsc, '-p', config], { cwd: app });
  }
  step('strict tsc (skipLibCheck: false): nodenext ESM + CommonJS, commonjs');

  for (const file of ['out-nodenext/app.mjs', 'out-nodenext/app.cjs', 'out-commonjs/app.js']) {
    const out = run(process.execPath, [file], { cwd: app });
    if (!out.includes('all calls answered')) throw new Error(`${file} printed:\n${out}`);
  }
  step(`ran the emitted ESM and CommonJS apps on Node ${process.versions.node}`);

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
  step(`Node ${old.version}: every package refuses to load with the one clear message`);

  // Last (it removes packages): @steady/nest's types need none of its optional peers.
  for (const name of ['axios', 'ky', '@steady/axios', '@steady/ky']) {
    rmSync(join(app, 'node_modules', name), { recursive: true, force: true });
  }
  run(process.execPath, [tsc, '-p', 'tsconfig.nest-only.json'], { cwd: app });
  run(process.execPath, ['out-nest-only/nest-only.js'], { cwd: app });
  step('@steady/nest without axios, ky and terminus: strict tsc (skipLibCheck: false) and a run');
} catch (error) {
  failed = true;
  console.error(`check-tarballs: FAILED\n${error instanceof Error ? error.message : error}`);
} finally {
  if (keep) console.log(`check-tarballs: scratch app kept in ${app}`);
  else rmSync(app, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);

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

function viaAxiosType(api: AxiosInstance) {
  return api.get<{ ok: boolean }>('/x', { steady: { retry: false, timeout: 2_000 } });
}

async function main(): Promise<void> {
  const server = createServer((_req, res) => res.end(JSON.stringify({ ok: true })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = 'http://127.0.0.1:' + (server.address() as AddressInfo).port;
  try {
    const upstream = createUpstream({ origin, pool: { tls: { rejectUnauthorized: true } } });
    const res: UpstreamResponse = await upstream.request('/x', { fallback: () => ({ ok: false }) });
    const fromCore = (await res.body.json()) as { ok: boolean };
    await upstream.close();

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

    if (![fromCore, fromAxios, fromKy, fromNest].every((r) => r.ok === true)) throw new Error('a call failed');
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
