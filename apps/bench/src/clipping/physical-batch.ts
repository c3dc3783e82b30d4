import type { ClippingWorkload } from './workloads';

/** Examples per physical chunk for each model of the clipping comparison; a model left out runs whole batches. */
export type PhysicalBatchSizes = Readonly<Partial<Record<ClippingWorkload['name'], number>>>;

const MODEL_NAMES: readonly ClippingWorkload['name'][] = ['cnn', 'unet', 'lstm', 'transformer'];

/**
 * Default chunks: the largest power of two at which every method of the model fits the 4 GiB wasm heap at every
 * batch size of the table, except pure ghost clipping on the U-Net, whose 4096×4096 Gram matrices need more than
 * the heap for any useful chunk. CNN: pure ghost at 256 peaked at 2.3 GB and failed at 1024. U-Net: book-keeping
 * and materialised failed at 256 and peaked at 1.2 GB in chunks of 64 (docs/BENCHMARKS.md). Every method of a model
 * uses the same chunk, so the comparison stays fair.
 */
export const DEFAULT_PHYSICAL_BATCH_SIZES: PhysicalBatchSizes = { cnn: 256, unet: 64 };

const FORM =
  "a positive integer for every model, or model=n pairs such as 'cnn=256,unet=64' (n may be 'whole')";

function chunkSize(text: string, value: string): number | undefined {
  if (text === 'whole') return undefined;
  const parsed = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    throw new RangeError(`--physical-batch: '${text}' in '${value}' is not a chunk size; expected ${FORM}`);
  }
  return parsed;
}

/**
 * Parses `--physical-batch`: `256` (every model), `whole` (no chunking), or `cnn=256,unet=64`; a model not named
 * in the pairs keeps its {@link DEFAULT_PHYSICAL_BATCH_SIZES} entry. Throws a RangeError naming the option and the
 * accepted form on anything else (unknown model, repeated model, zero, fractions, empty parts).
 */
export function parsePhysicalBatch(value: string): PhysicalBatchSizes {
  const text = value.trim();
  if (!text.includes('=')) {
    const size = chunkSize(text, value);
    return Object.fromEntries(
      size == null ? [] : MODEL_NAMES.map((model) => [model, size]),
    ) as PhysicalBatchSizes;
  }
  const sizes: Partial<Record<ClippingWorkload['name'], number>> = { ...DEFAULT_PHYSICAL_BATCH_SIZES };
  const named = new Set<string>();
  for (const part of text.split(',')) {
    const [model, size, ...rest] = part.split('=').map((s) => s.trim());
    if (model == null || size == null || rest.length > 0 || model === '') {
      throw new RangeError(`--physical-batch: '${part}' in '${value}' is not model=n; expected ${FORM}`);
    }
    if (!MODEL_NAMES.includes(model as ClippingWorkload['name'])) {
      throw new RangeError(
        `--physical-batch: unknown model '${model}' in '${value}'; models are ${MODEL_NAMES.join(', ')}`,
      );
    }
    if (named.has(model))
      throw new RangeError(`--physical-batch: model '${model}' given twice in '${value}'`);
    named.add(model);
    const parsed = chunkSize(size, value);
    if (parsed == null) delete sizes[model as ClippingWorkload['name']];
    else sizes[model as ClippingWorkload['name']] = parsed;
  }
  return sizes;
}

/** Human-readable form of the chunk sizes, e.g. `cnn=256,unet=whole`, for help texts and reports. */
export function formatPhysicalBatch(
  sizes: PhysicalBatchSizes,
  models: readonly string[] = MODEL_NAMES,
): string {
  return models.map((m) => `${m}=${sizes[m as ClippingWorkload['name']] ?? 'whole'}`).join(',');
}
