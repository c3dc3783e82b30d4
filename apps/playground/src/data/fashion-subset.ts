import type { PlaygroundData } from './examples';

/** Magic bytes of the subset file written by `scripts/make-subset.mjs`. */
const MAGIC = 'CNMFMNS1';
const HEADER_BYTES = 16;
const PIXELS = 28 * 28;

/** The ten Fashion-MNIST classes, by label. */
export const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

function split(bytes: Uint8Array, offset: number, count: number) {
  const features = new Float32Array(count * PIXELS);
  for (let i = 0; i < features.length; i += 1) features[i] = bytes[offset + i]! / 255;
  const labels = Int32Array.from(bytes.subarray(offset + count * PIXELS, offset + count * PIXELS + count));
  for (const label of labels) {
    if (label > 9) throw new RangeError(`Fashion-MNIST subset: label ${label} is not in 0-9`);
  }
  return { examples: { count, features, labels }, end: offset + count * (PIXELS + 1) };
}

/**
 * Reads the Fashion-MNIST subset shipped with the page (see `scripts/make-subset.mjs` for the layout): pixels
 * scaled to [0, 1], labels 0–9.
 *
 * @throws RangeError when the bytes are not such a file (wrong magic, truncated, trailing bytes).
 */
export function parseFashionSubset(bytes: Uint8Array): PlaygroundData {
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length));
  if (bytes.length < HEADER_BYTES || magic !== MAGIC) {
    throw new RangeError('Fashion-MNIST subset: not a subset file (bad magic)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const trainCount = view.getUint32(8, true);
  const testCount = view.getUint32(12, true);
  const expected = HEADER_BYTES + (trainCount + testCount) * (PIXELS + 1);
  if (bytes.length !== expected) {
    throw new RangeError(`Fashion-MNIST subset: expected ${expected} bytes, got ${bytes.length}`);
  }
  const train = split(bytes, HEADER_BYTES, trainCount);
  const test = split(bytes, train.end, testCount);
  return {
    name: `Fashion-MNIST subset (${trainCount} training, ${testCount} test images)`,
    featureCount: PIXELS,
    classCount: 10,
    train: train.examples,
    test: test.examples,
  };
}
