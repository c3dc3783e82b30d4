// Child-process entry of the clipping comparison: one cell per process, so that each peak RSS is the
// cell's own (the wasm heap never shrinks) and an out-of-memory failure cannot take the run down.
import { selectBackend, type TrainingBackendName } from '@cnm/tfjs';
import { type ClippingCellResult, type ClippingMethod, runClippingCell } from './cell';
import type { ClippingWorkload } from './workloads';

const [modelName, method, batchSize, steps, backend, physical] = process.argv.slice(2);
const selection = await selectBackend({ preferred: backend as TrainingBackendName });
let result: ClippingCellResult;
try {
  result = runClippingCell(
    modelName as ClippingWorkload['name'],
    method as ClippingMethod,
    Number(batchSize),
    Number(steps),
    physical == null || physical === '' ? undefined : Number(physical),
  );
} catch (error) {
  result = {
    model: modelName as ClippingWorkload['name'],
    method: method as ClippingMethod,
    batchSize: Number(batchSize),
    status: 'failed',
    note: `${(error as Error).name}: ${(error as Error).message}`.slice(0, 300),
    samplesPerSecond: null,
    stepTimeMs: null,
    peakMemoryMiB: process.resourceUsage().maxRSS / 1024,
    steps: Number(steps),
  };
}
process.stdout.write(`CELL ${JSON.stringify({ ...result, backend: selection.backend })}\n`);
process.exit(0);
