import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { type IdxArray, parseIdx } from './idx';

/** One split of Fashion-MNIST: `count` images of 28x28 bytes (row-major) and their labels 0-9. */
export interface FashionMnistSplit {
  /** Number of examples. */
  readonly count: number;
  /** `count * 784` pixel bytes, 0-255. */
  readonly images: Uint8Array;
  /** `count` labels in 0-9. */
  readonly labels: Uint8Array;
}

/** The dataset with the place it was read from. */
export interface FashionMnist {
  /** The training split (60,000 examples in the real dataset). */
  readonly train: FashionMnistSplit;
  /** The test split (10,000 examples in the real dataset). */
  readonly test: FashionMnistSplit;
  /** Directory the files were read from. */
  readonly directory: string;
}

/** Base names of the four files (without `.gz`). */
export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

type FileKey = keyof typeof FASHION_MNIST_FILES;

/** The dataset's official download location (Zalando Research), the files gzip-compressed. */
export const FASHION_MNIST_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

/** Where Debian's `dataset-fashion-mnist` package installs the files. */
export const DEBIAN_DIRECTORY = '/usr/share/datasets/fashion-mnist';

const OFFICIAL_COUNTS = { train: 60_000, test: 10_000 } as const;
const SIDE = 28;

/** Options of {@link loadFashionMnist}. */
export interface LoadFashionMnistOptions {
  /** Environment to read `CNM_DATA_DIR` from; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Home directory for the cache `~/.cache/cnm/fashion-mnist`; default `os.homedir()`. */
  readonly home?: string;
  /** Debian's directory; default {@link DEBIAN_DIRECTORY} (tests point it elsewhere). */
  readonly systemDirectory?: string;
  /** Whether to download into the cache when no directory has the files; default true. */
  readonly download?: boolean;
  /** The `fetch` used to download; default the global one (injected in tests). */
  readonly fetch?: typeof globalThis.fetch;
  /** Base URL of the files; default {@link FASHION_MNIST_URL}. */
  readonly url?: string;
  /** Require the official 60,000/10,000 counts; default true (tests use small generated files). */
  readonly requireOfficialCounts?: boolean;
  /** Show a progress bar while downloading; default true when stderr is a terminal. */
  readonly progress?: boolean;
}

/** One place the files are looked for, in order. */
export interface DataLocation {
  /** Where the directory comes from (`$CNM_DATA_DIR`, the cache, Debian's package). */
  readonly origin: string;
  /** The directory. */
  readonly directory: string;
}

/** The directories searched, in order: `$CNM_DATA_DIR` (when set), the user cache, Debian's directory. */
export function dataLocations(options: LoadFashionMnistOptions = {}): DataLocation[] {
  const env = options.env ?? process.env;
  const locations: DataLocation[] = [];
  const fromEnv = env.CNM_DATA_DIR;
  if (fromEnv != null && fromEnv !== '') locations.push({ origin: '$CNM_DATA_DIR', directory: fromEnv });
  locations.push({ origin: 'user cache', directory: cacheDirectory(options) });
  locations.push({
    origin: "Debian's dataset-fashion-mnist",
    directory: options.systemDirectory ?? DEBIAN_DIRECTORY,
  });
  return locations;
}

function cacheDirectory(options: LoadFashionMnistOptions): string {
  return join(options.home ?? homedir(), '.cache', 'cnm', 'fashion-mnist');
}

/**
 * The file holding `base` in `directory`, trying the names in use: `base.gz`, `base`, and the variant with a
 * dot before `idx` (`train-images.idx3-ubyte`, as some mirrors name them), each gzip or plain.
 */
export function findDataFile(directory: string, base: string): string | undefined {
  const dotted = base.replace(/-idx/, '.idx');
  for (const name of [`${base}.gz`, base, `${dotted}.gz`, dotted]) {
    const path = join(directory, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function filesIn(directory: string): Record<FileKey, string> | undefined {
  const found: Partial<Record<FileKey, string>> = {};
  for (const [key, base] of Object.entries(FASHION_MNIST_FILES) as [FileKey, string][]) {
    const path = findDataFile(directory, base);
    if (path == null) return undefined;
    found[key] = path;
  }
  return found as Record<FileKey, string>;
}

/** Checks a decoded images/labels pair and returns the split. */
export function toSplit(
  images: IdxArray,
  labels: IdxArray,
  name: string,
  expectedCount?: number,
): FashionMnistSplit {
  if (images.shape.length !== 3 || images.shape[1] !== SIDE || images.shape[2] !== SIDE) {
    throw new Error(`${name} images: shape [${images.shape.join(', ')}] is not [N, 28, 28]`);
  }
  if (labels.shape.length !== 1) {
    throw new Error(`${name} labels: shape [${labels.shape.join(', ')}] is not [N]`);
  }
  const count = images.shape[0]!;
  if (labels.shape[0] !== count) {
    throw new Error(`${name}: ${count} images but ${labels.shape[0]} labels`);
  }
  if (expectedCount != null && count !== expectedCount) {
    throw new Error(`${name}: ${count} examples, the dataset has ${expectedCount}`);
  }
  const bad = labels.data.findIndex((label) => label > 9);
  if (bad >= 0) throw new Error(`${name} labels: label ${labels.data[bad]} at index ${bad} is not in 0-9`);
  return { count, images: images.data, labels: labels.data };
}

async function readDirectory(directory: string, requireOfficialCounts: boolean): Promise<FashionMnist> {
  const files = filesIn(directory);
  if (files == null) throw new Error(`${directory}: some Fashion-MNIST files are missing`);
  const read = async (key: FileKey) => parseIdx(new Uint8Array(await readFile(files[key])), files[key]);
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    read('trainImages'),
    read('trainLabels'),
    read('testImages'),
    read('testLabels'),
  ]);
  return {
    train: toSplit(
      trainImages,
      trainLabels,
      'train',
      requireOfficialCounts ? OFFICIAL_COUNTS.train : undefined,
    ),
    test: toSplit(testImages, testLabels, 'test', requireOfficialCounts ? OFFICIAL_COUNTS.test : undefined),
    directory,
  };
}

async function downloadFile(
  fetchImpl: typeof globalThis.fetch,
  url: string,
  target: string,
  bar: cliProgress.MultiBar | undefined,
): Promise<void> {
  const response = await fetchImpl(url);
  if (!response.ok || response.body == null) throw new Error(`GET ${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get('content-length') ?? 0);
  const progress = bar?.create(total > 0 ? total : 1, 0, { file: url.split('/').pop() });
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    progress?.update(Math.min(received, total > 0 ? total : received));
  }
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  parseIdx(bytes, url); // refuse a corrupt download before it lands in the cache
  await writeFile(`${target}.part`, bytes);
  await rename(`${target}.part`, target);
}

/** Downloads the four gzip files into `directory`, with one progress bar per file. */
async function downloadAll(
  directory: string,
  options: LoadFashionMnistOptions,
  fetchImpl: typeof globalThis.fetch,
): Promise<void> {
  await mkdir(directory, { recursive: true });
  const showBar = options.progress ?? process.stderr.isTTY === true;
  const bar = showBar
    ? new cliProgress.MultiBar(
        { format: ' {file} [{bar}] {percentage}% | ETA {eta}s', hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const base = options.url ?? FASHION_MNIST_URL;
  try {
    for (const name of Object.values(FASHION_MNIST_FILES)) {
      await downloadFile(fetchImpl, `${base}${name}.gz`, join(directory, `${name}.gz`), bar);
    }
  } finally {
    bar?.stop();
  }
}

/**
 * Loads Fashion-MNIST from the first directory that has all four files (gzip or plain): `$CNM_DATA_DIR`,
 * `~/.cache/cnm/fashion-mnist`, `/usr/share/datasets/fashion-mnist`; else downloads them into the cache from
 * the official location; else fails with an error naming every option. Files found but corrupt are an
 * error, never skipped silently.
 */
export async function loadFashionMnist(options: LoadFashionMnistOptions = {}): Promise<FashionMnist> {
  const requireOfficialCounts = options.requireOfficialCounts ?? true;
  const locations = dataLocations(options);
  for (const location of locations) {
    if (filesIn(location.directory) != null) return readDirectory(location.directory, requireOfficialCounts);
  }
  const cache = cacheDirectory(options);
  let downloadError = 'downloading is disabled';
  if (options.download ?? true) {
    const fetchImpl = options.fetch ?? globalThis.fetch;
    try {
      await downloadAll(cache, options, fetchImpl);
      return await readDirectory(cache, requireOfficialCounts);
    } catch (error) {
      downloadError = `download failed: ${(error as Error).message}`;
    }
  }
  const names = Object.values(FASHION_MNIST_FILES)
    .map((n) => `${n}[.gz]`)
    .join(', ');
  throw new Error(
    [
      `Fashion-MNIST not found (${downloadError}). Provide the files ${names} in one of:`,
      ...locations.map((l) => `  - ${l.directory} (${l.origin})`),
      '  - set CNM_DATA_DIR to a directory that holds them',
      '  - install the Debian package: apt-get install dataset-fashion-mnist',
      `  - or let the benchmark download them (needs network access) from ${options.url ?? FASHION_MNIST_URL}`,
    ].join('\n'),
  );
}
