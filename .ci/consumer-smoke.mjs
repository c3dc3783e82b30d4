#!/usr/bin/env node
// Consumer smoke test: packs every public package as npm would publish it, installs the tarballs into a fresh npm
// project (third-party dependencies from the registry or npm's cache), then runs an ESM and a CommonJS program that
// use each package and type-checks a TypeScript file with moduleResolution nodenext and bundler.
// Usage: node .ci/consumer-smoke.mjs [--prepack] [--keep]   (after `pnpm run build`; --keep leaves the project)
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, '.ci', 'consumer');
const keep = process.argv.includes('--keep');
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
const fail = (message) => {
  console.error(`consumer smoke: ${message}`);
  process.exit(1);
};

// Every package under packages/ that is not private is published.
const packages = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => manifest.private !== true);

// Manifest rules: a build before packing, the licence shipped, peers that npm cannot widen to another version.
for (const { dir, manifest } of packages) {
  if (manifest.scripts?.prepack === undefined)
    fail(`${manifest.name} has no prepack script (a tarball could lack dist/)`);
  if (!existsSync(join(dir, 'LICENSE')) || !manifest.files?.includes('LICENSE'))
    fail(`${manifest.name} must ship LICENSE`);
  for (const [peer, range] of Object.entries(manifest.peerDependencies ?? {})) {
    if (!/^\d+\.\d+\.\d+$/.test(range))
      fail(`${manifest.name}: peer ${peer} must be an exact version, got '${range}'`);
  }
}

const work = mkdtempSync(join(tmpdir(), 'cnm-consumer-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
// CI builds every package before this script, so the packing skips each prepack rebuild (the check above makes
// sure there is one); --prepack packs exactly as `pnpm publish` would, building first.
const filters = packages.flatMap(({ manifest }) => ['--filter', manifest.name]);
const ignoreScripts = process.argv.includes('--prepack') ? [] : ['--config.ignore-scripts=true'];
run(
  'npx',
  ['-y', 'pnpm@10.34.8', '-r', ...filters, ...ignoreScripts, 'pack', '--pack-destination', tarballs],
  root,
);
for (const { manifest } of packages) {
  const file = readdirSync(tarballs).find((f) =>
    f.startsWith(`${manifest.name.replace('@', '').replace('/', '-')}-`),
  );
  if (file === undefined) fail(`no tarball for ${manifest.name}`);
  const listing = run('tar', ['tzf', join(tarballs, file)], work).split('\n');
  for (const needed of [
    'package/dist/index.js',
    'package/dist/index.cjs',
    'package/dist/index.d.ts',
    'package/LICENSE',
  ]) {
    if (!listing.includes(needed))
      fail(`${file} lacks ${needed} (run pnpm run build first, or pass --prepack)`);
  }
}
console.log(`packed ${packages.length} packages (${elapsed()})`);

const app = join(work, 'app');
mkdirSync(app);
writeFileSync(
  join(app, 'package.json'),
  `${JSON.stringify({ name: 'cnm-consumer', private: true, type: 'module' }, null, 2)}\n`,
);
const tfjsVersion = JSON.parse(readFileSync(join(root, 'packages', 'tfjs', 'package.json'), 'utf8'))
  .peerDependencies['@tensorflow/tfjs-core'];
const nodeTypes = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies['@types/node'];
run(
  'npm',
  [
    'install',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    '--loglevel=error',
    ...readdirSync(tarballs).map((f) => join(tarballs, f)),
    `@tensorflow/tfjs-layers@${tfjsVersion}`,
    `@types/node@${nodeTypes}`,
  ],
  app,
);
// npm 7+ installs peers itself: exactly one tfjs-core, the pinned version.
const tree = JSON.parse(run('npm', ['ls', '--all', '--json', '@tensorflow/tfjs-core'], app));
const versions = new Set();
const walk = (node) => {
  for (const [name, child] of Object.entries(node.dependencies ?? {})) {
    if (name === '@tensorflow/tfjs-core') versions.add(child.version);
    walk(child);
  }
};
walk(tree);
if (versions.size !== 1 || !versions.has(tfjsVersion))
  fail(`tfjs-core installed as ${[...versions].join(', ')}, expected ${tfjsVersion} only`);
console.log(`installed into ${app} (${elapsed()})`);

for (const file of ['use-packages.mjs', 'use-packages.cjs', 'use-packages.ts'])
  copyFileSync(join(fixtures, file), join(app, file));
process.stdout.write(run('node', ['use-packages.mjs'], app));
process.stdout.write(run('node', ['use-packages.cjs'], app));

const tsc = join(
  dirname(createRequire(join(root, 'package.json')).resolve('typescript/package.json')),
  'bin',
  'tsc',
);
// tfjs's own declarations do not pass strict checking, so libraries are skipped as tfjs users do.
const common = {
  target: 'ES2022',
  lib: ['ES2022', 'DOM'],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: ['node'],
};
for (const [name, resolution] of [
  ['nodenext', { module: 'NodeNext', moduleResolution: 'NodeNext' }],
  ['bundler', { module: 'ESNext', moduleResolution: 'Bundler' }],
]) {
  const config = `tsconfig.${name}.json`;
  writeFileSync(
    join(app, config),
    JSON.stringify({ compilerOptions: { ...common, ...resolution }, files: ['use-packages.ts'] }),
  );
  run('node', [tsc, '-p', config], app);
  console.log(`tsc --noEmit (${name}) ok (${elapsed()})`);
}

if (keep) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
console.log(`consumer smoke passed in ${elapsed()}`);
