import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library (createProgram, run) for ESM and CommonJS consumers, like every other package.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    treeshake: true,
  },
  {
    // The `cnm` bin: tsup keeps cli.ts's hashbang and makes it executable.
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'es2022',
    treeshake: true,
  },
]);
