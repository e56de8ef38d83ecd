// Every ```ts block in the READMEs is a complete snippet that compiles under strict tsc, or it is
// marked as a fragment (first line `// fragment…`). One tsc run over all blocks, each written as
// its own module inside the repo, so `@steady/*` resolve to their sources through the
// `steady-source` condition, exactly as a reader who copies the block into a file would see it.
// A block whose first line names a file (`// app.module.ts`) is saved under that name, beside the
// other blocks of its README, so a later block can import it (`import { AppModule } from './app.module.ts'`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const scratch = join(root, 'tmp', `readme-examples-${process.pid}`);

interface Block {
  readme: string;
  line: number;
  file: string;
}

function readmes(): string[] {
  const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(root, 'packages', entry.name, 'README.md'));
  return [join(root, 'README.md'), ...packages].filter((path) => {
    try {
      readFileSync(path);
      return true;
    } catch {
      return false;
    }
  });
}

function extractBlocks(): Block[] {
  const blocks: Block[] = [];
  for (const readme of readmes()) {
    const lines = readFileSync(readme, 'utf8').split('\n');
    const dir = join(scratch, relative(root, readme).replaceAll('/', '__').replace(/\.md$/, ''));
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < lines.length; i++) {
      if (!/^```(ts|typescript)\s*$/.test(lines[i] ?? '')) continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && !/^```\s*$/.test(lines[end] ?? '')) end++;
      const body = lines.slice(start, end);
      i = end;
      if (/^\s*\/\/\s*fragment\b/i.test(body[0] ?? '')) continue;
      const named = /^\/\/ ([\w.-]+\.m?ts)\s*$/.exec(body[0] ?? '')?.[1];
      const file = join(dir, named ?? `block-at-line-${start + 1}.mts`);
      if (blocks.some((block) => block.file === file))
        throw new Error(`${relative(root, readme)}: two blocks named ${named}`);
      // `export {}` keeps a block without imports a module, so blocks never share globals.
      writeFileSync(file, `${body.join('\n')}\nexport {};\n`);
      blocks.push({ readme: relative(root, readme), line: start + 1, file });
    }
  }
  return blocks;
}

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('README examples', () => {
  it('every ```ts block compiles under strict tsc (or is marked // fragment)', () => {
    mkdirSync(scratch, { recursive: true });
    const blocks = extractBlocks();
    expect(blocks.length).toBeGreaterThan(10);
    writeFileSync(
      join(scratch, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          lib: ['ES2023', 'DOM'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          customConditions: ['steady-source'],
          allowImportingTsExtensions: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
          skipLibCheck: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
        },
        files: blocks.map((block) => block.file),
      }),
    );
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const run = spawnSync(process.execPath, [tsc, '-p', join(scratch, 'tsconfig.json'), '--pretty', 'false'], {
      cwd: scratch,
      encoding: 'utf8',
    });
    const output = `${run.stdout}${run.stderr}`;
    // Name each error by README and line: `README.md block at line 42, line 3: error TS2304 …`.
    const errors = output
      .split('\n')
      .filter((line) => /error TS\d+/.test(line))
      .map((line) => {
        const block = blocks.find((candidate) => line.includes(relative(scratch, candidate.file)));
        if (!block) return line;
        const at = /\((\d+),\d+\): (.*)$/.exec(line);
        const inner = Number(at?.[1] ?? 0);
        return `${block.readme}:${block.line + inner - 1} (block from line ${block.line}): ${at?.[2] ?? line}`;
      });
    expect(errors, output).toEqual([]);
    expect(run.status, output).toBe(0);
  }, 120_000);
});

describe('the @steady/otel quick start', () => {
  it('is packages/otel/examples/prometheus.ts verbatim (the file its tests run), from its first import', () => {
    const example = readFileSync(join(root, 'packages/otel/examples/prometheus.ts'), 'utf8');
    const code = example.slice(example.indexOf('import ')).trimEnd();
    const readme = readFileSync(join(root, 'packages/otel/README.md'), 'utf8');
    expect(code.length).toBeGreaterThan(500);
    expect(readme).toContain(`\`\`\`ts\n${code}\n\`\`\``);
  });
});
