import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The engine core must run in a browser: no Node built-ins and no CommonJS require in its sources. */
describe('engine sources', () => {
  const root = join(import.meta.dirname, '..', 'src');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      // backend/ holds the optional Node-specific backend set-up, parallel/ the worker threads of the node entry;
      // everything else is the engine core.
      if (entry.isDirectory()) {
        if (entry.name !== 'backend' && entry.name !== 'parallel') walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && entry.name !== 'node.ts')
        files.push(path);
    }
  };
  walk(root);
  it('import nothing Node-only', () => {
    expect(files.length).toBeGreaterThan(5);
    const nodeOnly = /from ['"](node:|fs['"]|path['"]|os['"]|crypto['"]|worker_threads)|require\(|process\./;
    const offenders = files.filter((f) => nodeOnly.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
  it('never reach the worker threads of parallel/ (node entry only)', () => {
    const offenders = files.filter((f) =>
      /from ['"][./]+(?:[\w-]+\/)*parallel\//.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
    expect(readFileSync(join(root, 'node.ts'), 'utf8')).toMatch(/from '\.\/parallel\/worker-pool'/);
  });
});
