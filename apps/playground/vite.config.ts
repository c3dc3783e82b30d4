import { resolve } from 'node:path';
import { defaultClientConditions, defineConfig } from 'vite';

// Relative asset URLs, so the built page works from any folder of a static server; sibling @cnm packages from
// their TypeScript sources.
export default defineConfig({
  base: './',
  resolve: { conditions: ['@cnm/source', ...defaultClientConditions] },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        lab: resolve(import.meta.dirname, 'lab.html'),
      },
    },
  },
});
