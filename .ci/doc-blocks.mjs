#!/usr/bin/env node
// Runs the code blocks of the user docs (README.md files and docs/*.md) as printed, so that none rots.
//
// The rule, for every fenced block:
// - `ts` / `typescript` blocks are type-checked (tsc, the repository's strict settings) and run with tsx, as are `js`
//   / `javascript` blocks. Each block is a program of its own, run from packages/tfjs, which depends on
//   the other @cnm packages and on tfjs-core, -layers, -data and the backends (the packages resolve to their sources, so no build is needed).
// - `sh` / `bash` blocks run with bash from the repository root.
// - A block right after the line `<!-- docs-check: skip: <reason> -->` is not run; the reason is required and
//   printed (shell commands that take minutes or hours, installs that the consumer smoke test runs, ...).
// - A block right after `<!-- docs-check: prelude: <name> -->` runs after .ci/doc-preludes/<name>.ts, which
//   defines what the block takes as the reader's own (a model, its loss, data): the block stays as printed.
// - Blocks in other languages are not this project's code and are not run: `python` (the original library,
//   quoted for comparison), `text` (printed output), and untagged blocks (tables of output).
//
// Usage: node .ci/doc-blocks.mjs [file.md ...]   (default: every README.md and docs/*.md)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runner = join(root, 'packages', 'tfjs');
const scratch = join(runner, '.doc-blocks');
const started = Date.now();

function docFiles() {
  const files = [join(root, 'README.md')];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(root, group))) {
      const readme = join(root, group, name, 'README.md');
      if (existsSync(readme)) files.push(readme);
    }
  }
  for (const name of readdirSync(join(root, 'docs')))
    if (name.endsWith('.md')) files.push(join(root, 'docs', name));
  return files;
}

/** The fenced blocks of a markdown file: language, code, line, and the skip reason when marked. */
function blocksOf(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (open === null) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    if (i === lines.length) throw new Error(`${relative(root, file)}:${start + 1}: unclosed code block`);
    let previous = start - 1;
    while (previous >= 0 && lines[previous].trim() === '') previous--;
    const marker = /^<!-- docs-check: (skip|prelude): (.+) -->$/.exec(lines[previous] ?? '');
    if (/^<!-- docs-check/.test(lines[previous] ?? '') && marker === null) {
      throw new Error(
        `${relative(root, file)}:${previous + 1}: write <!-- docs-check: skip: <reason> --> or <!-- docs-check: prelude: <name> -->`,
      );
    }
    let prelude = '';
    if (marker?.[1] === 'prelude') {
      const path = join(root, '.ci', 'doc-preludes', `${marker[2]}.ts`);
      if (!existsSync(path))
        throw new Error(`${relative(root, file)}:${previous + 1}: no prelude ${relative(root, path)}`);
      prelude = readFileSync(path, 'utf8');
    }
    const skip = marker?.[1] === 'skip' ? marker[2] : undefined;
    blocks.push({ language: open[1], code: `${prelude}${body.join('\n')}\n`, line: start + 1, skip });
  }
  return blocks;
}

const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => join(process.cwd(), f)) : docFiles();
rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });
const programs = [];
const skipped = [];
let shells = 0;
for (const file of files) {
  const name = relative(root, file);
  for (const block of blocksOf(file)) {
    const where = `${name}:${block.line}`;
    if (block.skip !== undefined) {
      skipped.push(`${where} (${block.skip})`);
      continue;
    }
    const kind = { ts: 'ts', typescript: 'ts', js: 'mjs', javascript: 'mjs', sh: 'sh', bash: 'sh' }[
      block.language
    ];
    if (kind === undefined) continue;
    if (kind === 'sh') {
      console.log(`--- ${where} (sh)`);
      execFileSync('bash', ['-euo', 'pipefail', '-c', block.code], { cwd: root, stdio: 'inherit' });
      shells++;
      continue;
    }
    const path = join(scratch, `${name.replace(/[/.]/g, '_')}_${block.line}.${kind}`);
    writeFileSync(path, block.code);
    programs.push({ where, path, kind });
  }
}

const typescript = programs.filter((p) => p.kind === 'ts');
if (typescript.length > 0) {
  // The repository's strict settings; each block is a module (top-level await allowed).
  writeFileSync(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../../tsconfig.base.json',
      compilerOptions: { noUnusedLocals: false, moduleDetection: 'force' },
      include: ['*.ts'],
    }),
  );
  console.log(`--- type-checking ${typescript.length} TypeScript blocks`);
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', scratch], {
      cwd: runner,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (error) {
    // Name the doc and line of each error instead of the scratch file.
    let message = `${error.stdout}${error.stderr}`;
    for (const p of typescript) message = message.replaceAll(relative(runner, p.path), `${p.where} (block)`);
    console.error(message);
    process.exit(1);
  }
}
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
for (const program of programs) {
  console.log(`--- ${program.where} (${program.kind === 'ts' ? 'ts' : 'js'})`);
  const args = [tsx, '--conditions=@cnm/source', program.path];
  try {
    execFileSync(process.execPath, args, { cwd: scratch, stdio: 'inherit' }); // files a block writes land in scratch
  } catch {
    console.error(`doc block ${program.where} failed`);
    process.exit(1);
  }
}
rmSync(scratch, { recursive: true, force: true });
console.log(
  `ran ${programs.length} code blocks and ${shells} shell blocks in ${((Date.now() - started) / 1000).toFixed(1)} s; skipped as marked:`,
);
for (const s of skipped) console.log(`  ${s}`);
