// `publint --strict` for the package in the working directory, except for findings the package
// documents as deliberate: each argument is `CODE@path` (path as dots, e.g.
// `EXPORTS_TYPES_INVALID_FORMAT@exports...types.require`). @steady/axios uses one: its `require`
// types are CommonJS twins (`.d.cts`) of an ESM runtime loaded by `require(esm)`, so that CommonJS
// apps see axios' CommonJS types (publint's concern, default-import interop, does not apply: the
// package has no default export). attw runs with `--ignore-rules false-cjs` for the same twins.
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { readFileSync } from 'node:fs';

const allowed = new Set(process.argv.slice(2));
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const { messages } = await publint({ pkgDir: process.cwd(), strict: true, pack: 'npm' });
let failed = 0;
for (const message of messages) {
  const key = `${message.code}@${message.path.join('.')}`;
  const text = formatMessage(message, pkg) ?? message.code;
  if (allowed.has(key)) {
    console.log(`publint: allowed (${key}): ${text}`);
  } else {
    console.error(`publint ${message.type}: ${text}`);
    failed++;
  }
}
console.log(`publint --strict: ${pkg.name}: ${failed === 0 ? 'ok' : `${failed} finding(s)`}`);
process.exit(failed === 0 ? 0 : 1);
