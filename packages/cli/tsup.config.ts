import { defineConfig } from 'tsup';

export default defineConfig({
  // The library (createProgram, run) and the `cnm` bin; tsup keeps cli.ts's hashbang and makes it executable.
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  treeshake: true,
});
