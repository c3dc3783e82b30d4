import { defineConfig } from 'vitest/config';

// One vitest project per workspace package; each package's own vitest.config.ts names it and
// resolves sibling packages from source (the "@cnm/source" export condition), so tests need no build.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
  },
});
