// Writes a CommonJS twin (`.d.cts`) of every declaration file in dist/. axios ships two type
// entry points (`index.d.ts` for import, `index.d.cts` for require) whose classes do not mix, so a
// CommonJS app needs @steady/axios' types — `createAxios(): AxiosInstance` and the `config.steady`
// augmentation — written against axios' `index.d.cts`: inside a `.d.cts`, `'axios'` resolves there.
// The exports map sends `require` type resolution to `dist/index.d.cts`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
let written = 0;
for (const entry of readdirSync(dist, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const file = join(entry.parentPath, entry.name);
  const twin = readFileSync(file, 'utf8')
    // Relative specifiers point at the twins: './x.ts' / './x.js' → './x.cts'.
    .replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+?)\.(?:ts|js)\2/g, '$1$2$3.cts$2');
  writeFileSync(file.slice(0, -'.d.ts'.length) + '.d.cts', twin);
  written++;
}
if (written === 0) throw new Error(`no declaration files in ${dist}: build first`);
