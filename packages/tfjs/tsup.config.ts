import { defineConfig } from 'tsup';

export default defineConfig({
  // The clipping worker is its own entry: worker threads load it by file name, beside node.js.
  entry: {
    index: 'src/index.ts',
    node: 'src/node.ts',
    internal: 'src/internal.ts',
    'clipping-worker': 'src/parallel/clipping-worker.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  treeshake: true,
});
