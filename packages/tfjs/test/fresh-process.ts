import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const packageRoot = join(import.meta.dirname, '..');
const tsx = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'cli.mjs');

/**
 * Runs an ES module `source` in a fresh Node process from the package root (the sources of the @cnm packages, via
 * tsx) and returns its trimmed standard output: for cases that depend on tfjs's global state (the backend registry,
 * the engine's chosen backend), which the test file's own process has already set.
 */
export function runFresh(source: string): string {
  return execFileSync(
    process.execPath,
    [tsx, '--conditions=@cnm/source', '--input-type=module', '-e', source],
    { cwd: packageRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  ).trim();
}
