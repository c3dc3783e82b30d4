/**
 * Vitest global setup: builds @cnm/accountant, @cnm/core and @cnm/cli with tsup when a `dist` is missing
 * or older than its sources, so that `pnpm test` on a fresh clone runs the real bin (CI builds first,
 * and then nothing is rebuilt here).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// In dependency order: the bin imports the built accountant and core.
const packages = ['accountant', 'core', 'cli'];

function newestModification(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const file = path.join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestModification(file) : statSync(file).mtimeMs);
  }
  return newest;
}

function isStale(directory: string): boolean {
  const built = path.join(directory, 'dist', 'index.js');
  if (!existsSync(built)) return true;
  const sources = Math.max(
    newestModification(path.join(directory, 'src')),
    statSync(path.join(directory, 'package.json')).mtimeMs,
  );
  return sources > statSync(built).mtimeMs;
}

export default function buildBin(): void {
  const tsup = path.join(root, 'node_modules', '.bin', 'tsup');
  for (const name of packages) {
    const directory = path.join(root, 'packages', name);
    if (!isStale(directory)) continue;
    try {
      execFileSync(tsup, [], { cwd: directory, stdio: 'pipe' });
    } catch (error) {
      const output = (error as { stdout?: Buffer; stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`building packages/${name} for the cli tests failed:\n${output}`);
    }
  }
}
