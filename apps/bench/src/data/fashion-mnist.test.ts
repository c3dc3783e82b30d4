import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_FILES, findDataFile, loadFashionMnist } from './fashion-mnist';
import { encodeIdx, parseIdx } from './idx';

function images(count: number, seed = 1): Uint8Array {
  const data = new Uint8Array(count * 784);
  for (let i = 0; i < data.length; i += 1) data[i] = (i * 31 + seed) % 256;
  return encodeIdx([count, 28, 28], data.subarray(0, count * 784));
}

function labels(count: number): Uint8Array {
  return encodeIdx(
    [count],
    Uint8Array.from({ length: count }, (_, i) => i % 10),
  );
}

/** Writes a small dataset (train 12, test 5) into a fresh directory, gzip or plain. */
function writeDataset(
  gzip: boolean,
  overrides: Partial<Record<keyof typeof FASHION_MNIST_FILES, Uint8Array>> = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'cnm-fmnist-'));
  const files = {
    trainImages: images(12),
    trainLabels: labels(12),
    testImages: images(5, 7),
    testLabels: labels(5),
    ...overrides,
  };
  for (const [key, bytes] of Object.entries(files)) {
    const base = FASHION_MNIST_FILES[key as keyof typeof FASHION_MNIST_FILES];
    writeFileSync(join(dir, gzip ? `${base}.gz` : base), gzip ? gzipSync(bytes) : bytes);
  }
  return dir;
}

const offline = (() => Promise.reject(new Error('offline'))) as unknown as typeof fetch;

function optionsFor(dataDir: string) {
  const home = mkdtempSync(join(tmpdir(), 'cnm-home-'));
  return {
    env: { CNM_DATA_DIR: dataDir },
    home,
    systemDirectory: join(home, 'no-system'),
    fetch: offline,
    requireOfficialCounts: false,
    progress: false,
  };
}

describe('parseIdx', () => {
  it('round-trips encodeIdx, plain and gzip', () => {
    const data = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    for (const bytes of [encodeIdx([2, 3], data), gzipSync(encodeIdx([2, 3], data))]) {
      const parsed = parseIdx(bytes);
      expect(parsed.shape).toEqual([2, 3]);
      expect([...parsed.data]).toEqual([...data]);
    }
  });

  it('refuses each corruption with a message naming it', () => {
    const good = encodeIdx([2, 3], new Uint8Array(6));
    const withByte = (index: number, value: number) => {
      const copy = good.slice();
      copy[index] = value;
      return copy;
    };
    expect(() => parseIdx(withByte(0, 1))).toThrow(/magic/);
    expect(() => parseIdx(withByte(2, 0x0d))).toThrow(/not unsigned byte/);
    expect(() => parseIdx(withByte(3, 0))).toThrow(/dimension count 0/);
    expect(() => parseIdx(withByte(3, 5))).toThrow(/dimension count 5/);
    expect(() => parseIdx(good.subarray(0, good.length - 1))).toThrow(/does not match its header/);
    expect(() => parseIdx(Uint8Array.from([...good, 0]))).toThrow(/does not match its header/);
    expect(() => parseIdx(good.subarray(0, 6))).toThrow(/truncated IDX header/);
    expect(() => parseIdx(good.subarray(0, 3))).toThrow(/too short/);
    expect(() => parseIdx(encodeIdx([2, 3], new Uint8Array(6)).fill(0, 4, 8))).toThrow(/dimension 0 is 0/);
    const gz = gzipSync(good);
    expect(() => parseIdx(gz.subarray(0, gz.length - 6))).toThrow(/corrupt gzip/);
  });
});

describe('loadFashionMnist', () => {
  it('reads gzip and plain files from $CNM_DATA_DIR', async () => {
    for (const gzip of [true, false]) {
      const dir = writeDataset(gzip);
      const data = await loadFashionMnist(optionsFor(dir));
      expect(data.directory).toBe(dir);
      expect(data.train.count).toBe(12);
      expect(data.test.count).toBe(5);
      expect(data.train.images.length).toBe(12 * 784);
      expect([...data.test.labels]).toEqual([0, 1, 2, 3, 4]);
      expect(data.test.images[0]).toBe(7);
    }
  });

  it('accepts the dotted file names some mirrors use', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnm-dotted-'));
    writeFileSync(join(dir, 'train-images.idx3-ubyte'), images(1));
    expect(findDataFile(dir, FASHION_MNIST_FILES.trainImages)).toBe(join(dir, 'train-images.idx3-ubyte'));
  });

  it('looks in the cache, then the system directory, in that order', async () => {
    const system = writeDataset(true);
    const home = mkdtempSync(join(tmpdir(), 'cnm-home-'));
    const base = { env: {}, home, systemDirectory: system, fetch: offline, requireOfficialCounts: false };
    expect((await loadFashionMnist(base)).directory).toBe(system);
    const cache = join(home, '.cache', 'cnm', 'fashion-mnist');
    mkdirSync(cache, { recursive: true });
    const source = writeDataset(false);
    for (const base of Object.values(FASHION_MNIST_FILES)) {
      writeFileSync(
        join(cache, base),
        await import('node:fs').then((fs) => fs.readFileSync(join(source, base))),
      );
    }
    expect((await loadFashionMnist(base)).directory).toBe(cache);
  });

  it('refuses mismatched counts, wrong shapes, bad labels and the wrong official size', async () => {
    await expect(
      loadFashionMnist(optionsFor(writeDataset(true, { trainLabels: labels(11) }))),
    ).rejects.toThrow(/12 images but 11 labels/);
    const wide = encodeIdx([2, 28, 27], new Uint8Array(2 * 28 * 27));
    await expect(loadFashionMnist(optionsFor(writeDataset(true, { testImages: wide })))).rejects.toThrow(
      /not \[N, 28, 28\]/,
    );
    const badLabels = encodeIdx([5], Uint8Array.from([0, 1, 10, 2, 3]));
    await expect(loadFashionMnist(optionsFor(writeDataset(true, { testLabels: badLabels })))).rejects.toThrow(
      /label 10 at index 2/,
    );
    const labelsAs2d = encodeIdx([5, 1], new Uint8Array(5));
    await expect(
      loadFashionMnist(optionsFor(writeDataset(true, { testLabels: labelsAs2d }))),
    ).rejects.toThrow(/is not \[N\]/);
    const official = { ...optionsFor(writeDataset(true)), requireOfficialCounts: true };
    await expect(loadFashionMnist(official)).rejects.toThrow(/12 examples, the dataset has 60000/);
  });

  it('downloads into the cache when nothing is found, refusing a corrupt download', async () => {
    const source = writeDataset(true);
    const { readFileSync } = await import('node:fs');
    const requested: string[] = [];
    const fake = (async (url: string) => {
      requested.push(url);
      const name = url.split('/').pop()!;
      return new Response(readFileSync(join(source, name)));
    }) as unknown as typeof fetch;
    const home = mkdtempSync(join(tmpdir(), 'cnm-home-'));
    const options = {
      env: {},
      home,
      systemDirectory: join(home, 'none'),
      fetch: fake,
      url: 'https://example.test/fm/',
      requireOfficialCounts: false,
      progress: false,
    };
    const data = await loadFashionMnist(options);
    expect(data.directory).toBe(join(home, '.cache', 'cnm', 'fashion-mnist'));
    expect(requested).toHaveLength(4);
    expect(requested[0]).toBe('https://example.test/fm/train-images-idx3-ubyte.gz');

    const corrupt = (async () => new Response(Uint8Array.from([1, 2, 3, 4, 5]))) as unknown as typeof fetch;
    const otherHome = mkdtempSync(join(tmpdir(), 'cnm-home-'));
    await expect(loadFashionMnist({ ...options, home: otherHome, fetch: corrupt })).rejects.toThrow(
      /bad IDX magic/,
    );
  });

  it('names every option when offline and nothing is found', async () => {
    const home = mkdtempSync(join(tmpdir(), 'cnm-home-'));
    const error = loadFashionMnist({
      env: { CNM_DATA_DIR: join(home, 'mine') },
      home,
      systemDirectory: '/nonexistent/fashion-mnist',
      fetch: offline,
      progress: false,
    });
    await expect(error).rejects.toThrow(/download failed: offline/);
    await expect(error).rejects.toThrow(/CNM_DATA_DIR/);
    await expect(error).rejects.toThrow(/\.cache\/cnm\/fashion-mnist/);
    await expect(error).rejects.toThrow(/\/nonexistent\/fashion-mnist/);
    await expect(error).rejects.toThrow(/dataset-fashion-mnist/);
    await expect(error).rejects.toThrow(/fashion-mnist\.s3-website/);
    await expect(
      loadFashionMnist({ env: {}, home, systemDirectory: '/none', download: false }),
    ).rejects.toThrow(/downloading is disabled/);
  });
});
