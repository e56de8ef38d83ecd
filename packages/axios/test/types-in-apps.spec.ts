// The `config.steady` augmentation as a new user's TypeScript app sees it: the built packages
// are packed (`npm pack`) and unpacked into a scratch app, and the real `tsc` checks files
// that use `config.steady` — with `strict`, `skipLibCheck: false`, in a CommonJS app compiled
// as `"module": "commonjs"` (Nest's default) and as `"module": "nodenext"`, and in an ESM app.
// In the CommonJS app, `createAxios()`'s instance must also be the AxiosInstance of axios'
// CommonJS types (`index.d.cts`), which the app's own `import ... from 'axios'` sees.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');
let app: string;

/** Build and pack `@steady/<name>`, unpack it into the app's node_modules. */
function install(name: string, into: string): void {
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', into], {
    cwd: join(root, 'packages', name),
    encoding: 'utf8',
  }).trim();
  const target = join(into, 'node_modules/@steady', name);
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', join(into, tarball), '-C', target, '--strip-components=1']);
}

beforeAll(() => {
  // The package's own build: tsc, then the CommonJS type twins (`scripts/cjs-types.mjs`).
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: join(root, 'packages/axios'), stdio: 'inherit' });
  app = mkdtempSync(join(tmpdir(), 'steady-axios-types-'));
  mkdirSync(join(app, 'node_modules/@types'), { recursive: true });
  install('core', app);
  install('axios', app);
  // Third-party packages as the user's npm would install them (linked from the workspace).
  for (const dep of ['axios', 'undici', '@types/node']) {
    symlinkSync(join(root, 'node_modules', dep), join(app, 'node_modules', dep), 'dir');
  }
  // The instance typed as axios' own AxiosInstance, in a file that never imports @steady/axios.
  const usesAxiosType = `import type { AxiosInstance } from 'axios';
export function pay(api: AxiosInstance) {
  return api.post('/pay', {}, { steady: { idempotent: true, timeout: 2_000, retry: false } });
}
export function wrong(api: AxiosInstance) {
  // @ts-expect-error \`steady.timeout\` is a number of ms: the augmentation is in force here too
  return api.get('/x', { steady: { timeout: '2s' } });
}
`;
  const createsInstance = `import { createAxios } from '@steady/axios';
import { pay } from './pay';
export const api = createAxios({ origin: 'http://127.0.0.1:1', retry: false });
void api.get('/x', { steady: { breaker: false, fallback: () => ({ cached: true }) } });
void pay(api);
`;
  mkdirSync(join(app, 'cjs'));
  writeFileSync(join(app, 'cjs/package.json'), JSON.stringify({ name: 'cjs-app', private: true }));
  writeFileSync(join(app, 'cjs/pay.ts'), usesAxiosType);
  writeFileSync(join(app, 'cjs/main.ts'), createsInstance);
  mkdirSync(join(app, 'esm'));
  writeFileSync(join(app, 'esm/package.json'), JSON.stringify({ name: 'esm-app', private: true, type: 'module' }));
  writeFileSync(join(app, 'esm/pay.ts'), usesAxiosType);
  writeFileSync(join(app, 'esm/main.ts'), createsInstance.replace("'./pay'", "'./pay.js'"));
}, 120_000);

afterAll(() => {
  if (app !== undefined) rmSync(app, { recursive: true, force: true });
});

/** Run tsc over `dir` with `module`; returns its output ('' when clean). */
function typecheck(dir: string, module: string): string {
  const config = {
    compilerOptions: {
      strict: true,
      skipLibCheck: false,
      module,
      target: 'es2022',
      types: ['node'],
      noEmit: true,
    },
    files: ['main.ts', 'pay.ts'],
  };
  writeFileSync(join(app, dir, 'tsconfig.json'), JSON.stringify(config));
  try {
    execFileSync(process.execPath, [tsc, '-p', join(app, dir)], { encoding: 'utf8' });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

describe('config.steady in TypeScript apps (packed package, real tsc)', () => {
  it.each([
    ['a CommonJS app, "module": "commonjs"', 'cjs', 'commonjs'],
    ['a CommonJS app, "module": "nodenext"', 'cjs', 'nodenext'],
    ['an ESM app, "module": "nodenext"', 'esm', 'nodenext'],
  ])(
    '%s: typed where the instance is an AxiosInstance, wrong values refused',
    (_name, dir, module) => {
      expect(typecheck(dir, module)).toBe('');
    },
    120_000,
  );
});
