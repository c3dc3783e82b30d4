// Writes public/fashion-mnist-subset.bin: a class-balanced subset of Fashion-MNIST shipped with the page.
// Source: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist, `apt-get install dataset-fashion-mnist`),
// or the directory given as the first argument. The first TRAIN_PER_CLASS training images of each class and the
// first TEST_PER_CLASS test images of each class, in file order, so the output is the same on every machine.
// Layout (little-endian): "CNMFMNS1" (8 bytes), uint32 trainCount, uint32 testCount, train images (784 bytes
// each, row-major, 0-255), train labels (1 byte each), test images, test labels.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const TRAIN_PER_CLASS = 200;
const TEST_PER_CLASS = 50;
const PIXELS = 28 * 28;
const directory = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const output = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'fashion-mnist-subset.bin');

function readIdx(name, magic) {
  const bytes = gunzipSync(readFileSync(join(directory, `${name}.gz`)));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== magic) throw new Error(`${name}: not an IDX file of the expected type`);
  const headerBytes = magic === 2051 ? 16 : 8;
  return { count: view.getUint32(4), data: bytes.subarray(headerBytes) };
}

function balanced(split, perClass) {
  const images = readIdx(`${split}-images-idx3-ubyte`, 2051);
  const labels = readIdx(`${split}-labels-idx1-ubyte`, 2049);
  const taken = new Array(10).fill(0);
  const chosen = [];
  for (let i = 0; i < labels.count && chosen.length < perClass * 10; i += 1) {
    const label = labels.data[i];
    if (taken[label] < perClass) {
      taken[label] += 1;
      chosen.push(i);
    }
  }
  const outImages = new Uint8Array(chosen.length * PIXELS);
  const outLabels = new Uint8Array(chosen.length);
  chosen.forEach((index, row) => {
    outImages.set(images.data.subarray(index * PIXELS, (index + 1) * PIXELS), row * PIXELS);
    outLabels[row] = labels.data[index];
  });
  return { images: outImages, labels: outLabels };
}

const train = balanced('train', TRAIN_PER_CLASS);
const test = balanced('t10k', TEST_PER_CLASS);
const header = new Uint8Array(16);
header.set(new TextEncoder().encode('CNMFMNS1'));
new DataView(header.buffer).setUint32(8, train.labels.length, true);
new DataView(header.buffer).setUint32(12, test.labels.length, true);
const parts = [header, train.images, train.labels, test.images, test.labels];
const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
let offset = 0;
for (const part of parts) {
  out.set(part, offset);
  offset += part.length;
}
writeFileSync(output, out);
console.log(
  `${output}: ${train.labels.length} train + ${test.labels.length} test examples, ${out.length} bytes`,
);
