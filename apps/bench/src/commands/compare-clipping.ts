import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import {
  CLIPPING_METHODS,
  type ClippingCellResult,
  type ClippingMethod,
  ghostGramExplanation,
} from '../clipping/cell';
import {
  DEFAULT_PHYSICAL_BATCH_SIZES,
  formatPhysicalBatch,
  type PhysicalBatchSizes,
} from '../clipping/physical-batch';
import { CLIPPING_WORKLOADS, type ClippingWorkload } from '../clipping/workloads';
import { commandLine, machineInfo } from '../machine';

/** Options of the `compare-clipping` command. */
export interface CompareClippingOptions {
  /** Workloads. */
  readonly models: string[];
  /** Batch sizes. */
  readonly batchSizes: number[];
  /** Methods (default all). */
  readonly methods?: string[];
  /** Timed steps per cell. */
  readonly steps: number;
  /** Preferred backend. */
  readonly backend: string;
  /** Output directory. */
  readonly out: string;
  /** Per-cell time limit, seconds. */
  readonly cellTimeout?: number;
  /**
   * Examples per physical chunk for each model, the same for every method of the model (bounds memory); a model
   * left out runs whole batches. Default {@link DEFAULT_PHYSICAL_BATCH_SIZES}.
   */
  readonly physicalBatch?: PhysicalBatchSizes;
}

const CELL_SCRIPT = join(import.meta.dirname, '..', 'clipping', 'cell-process.ts');

function runCell(
  model: string,
  method: string,
  batchSize: number,
  steps: number,
  backend: string,
  timeoutSeconds: number,
  physicalBatch: number | undefined,
): Promise<ClippingCellResult & { backend?: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@cnm/source',
        '--import',
        'tsx',
        CELL_SCRIPT,
        model,
        method,
        String(batchSize),
        String(steps),
        backend,
        String(physicalBatch ?? ''),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutSeconds * 1000 },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith('CELL '));
      if (line != null) {
        resolve(JSON.parse(line.slice(5)));
        return;
      }
      const reason =
        signal != null
          ? `stopped by ${signal}${signal === 'SIGTERM' ? ` (over the ${timeoutSeconds} s limit)` : ''}`
          : (stderr
              .split('\n')
              .find((l) => /^(\w*Error\b|Aborted\(|FATAL|.*heap out of memory)/.test(l))
              ?.trim() ?? `exit code ${code}`);
      resolve({
        model: model as ClippingWorkload['name'],
        method: method as ClippingMethod,
        batchSize,
        status: 'failed',
        note: reason.slice(0, 300),
        samplesPerSecond: null,
        stepTimeMs: null,
        peakMemoryMiB: null,
        steps,
      });
    });
  });
}

/** The chunk a cell of `model` at `batchSize` actually uses, or undefined for one whole batch. */
function effectiveChunk(sizes: PhysicalBatchSizes, model: string, batchSize: number): number | undefined {
  const chunk = sizes[model as ClippingWorkload['name']];
  return chunk == null || chunk >= batchSize ? undefined : chunk;
}

/** The chunking of one model's table, in words. */
export function chunkingText(
  sizes: PhysicalBatchSizes,
  model: string,
  batchSizes: readonly number[],
): string {
  const chunk = sizes[model as ClippingWorkload['name']];
  const chunked = batchSizes.filter((b) => effectiveChunk(sizes, model, b) != null);
  if (chunk == null || chunked.length === 0) return 'whole batches (one chunk)';
  const whole = batchSizes.filter((b) => !chunked.includes(b));
  return `physical chunks of ${chunk} examples for every method at batch ${chunked.join(', ')}${whole.length > 0 ? ` (batch ${whole.join(', ')}: one chunk)` : ''}`;
}

/** A failed pure ghost cell's note, with the size of the Gram matrices that explain an out-of-memory failure. */
function explainFailure(cell: ClippingCellResult): ClippingCellResult {
  if (cell.status !== 'failed' || cell.method !== 'ghost' || cell.note?.startsWith('stopped by')) return cell;
  const workload = CLIPPING_WORKLOADS[cell.model];
  if (workload == null) return cell;
  const chunk = Math.min(cell.physicalBatchSize ?? cell.batchSize, cell.batchSize);
  return { ...cell, note: `${cell.note} (${ghostGramExplanation(workload, chunk)})` };
}

function cellText(cell: ClippingCellResult | undefined, nonPrivate: ClippingCellResult | undefined): string {
  if (cell == null) return '–';
  if (cell.status !== 'ok') return `${cell.status}`;
  const ratio =
    nonPrivate?.status === 'ok' && cell.method !== 'non-private'
      ? ` (${(nonPrivate.samplesPerSecond! / cell.samplesPerSecond!).toFixed(2)}x)`
      : '';
  return `${cell.samplesPerSecond!.toFixed(0)}${ratio} / ${cell.peakMemoryMiB!.toFixed(0)}`;
}

/** Markdown of the comparison: one table per model, rows = methods, columns = batch sizes. */
export function clippingMarkdown(
  cells: readonly ClippingCellResult[],
  models: readonly string[],
  batchSizes: readonly number[],
  methods: readonly string[],
  physicalBatch: PhysicalBatchSizes = {},
): string {
  const out: string[] = [];
  for (const model of models) {
    out.push(
      `**${model}** — samples/s (slowdown vs non-private) / peak RSS MiB; ${chunkingText(physicalBatch, model, batchSizes)}`,
      '',
    );
    out.push(`| method | ${batchSizes.map((b) => `batch ${b}`).join(' | ')} |`);
    out.push(`|---|${batchSizes.map(() => '---:').join('|')}|`);
    for (const method of methods) {
      const cellsText = batchSizes.map((b) => {
        const find = (m: string) =>
          cells.find((c) => c.model === model && c.method === m && c.batchSize === b);
        return cellText(find(method), find('non-private'));
      });
      out.push(`| ${method} | ${cellsText.join(' | ')} |`);
    }
    out.push('');
  }
  const failures = cells.filter((c) => c.status !== 'ok');
  if (failures.length > 0) {
    out.push('Cells without a number:', '');
    for (const c of failures) out.push(`- ${c.model} ${c.method} batch ${c.batchSize}: ${c.note}`);
    out.push('');
  }
  return out.join('\n');
}

/** Runs every (model, batch size, method) cell in its own process and writes `compare-clipping.{json,md}`. */
export async function compareClippingCommand(options: CompareClippingOptions): Promise<ClippingCellResult[]> {
  const methods = options.methods ?? [...CLIPPING_METHODS];
  for (const m of methods) {
    if (!CLIPPING_METHODS.includes(m as ClippingMethod)) {
      throw new RangeError(`unknown method '${m}'; methods are ${CLIPPING_METHODS.join(', ')}`);
    }
  }
  for (const m of options.models) {
    if (!Object.hasOwn(CLIPPING_WORKLOADS, m)) {
      throw new RangeError(`unknown model '${m}'; models are ${Object.keys(CLIPPING_WORKLOADS).join(', ')}`);
    }
  }
  for (const b of options.batchSizes) {
    if (!Number.isInteger(b) || b < 1)
      throw new RangeError(`batch sizes must be positive integers, got ${b}`);
  }
  const physicalBatch = options.physicalBatch ?? DEFAULT_PHYSICAL_BATCH_SIZES;
  const total = options.models.length * options.batchSizes.length * methods.length;
  const bar = new cliProgress.SingleBar(
    {
      format: ' cells [{bar}] {value}/{total} | ETA {eta_formatted} | {cell}',
      etaBuffer: 10,
      noTTYOutput: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { cell: '' });
  const cells: (ClippingCellResult & { backend?: string })[] = [];
  for (const model of options.models) {
    for (const batchSize of options.batchSizes) {
      for (const method of methods) {
        bar.update({ cell: `${model} ${method} batch ${batchSize}` });
        const chunk = effectiveChunk(physicalBatch, model, batchSize);
        const cell = await runCell(
          model,
          method,
          batchSize,
          options.steps,
          options.backend,
          options.cellTimeout ?? 600,
          chunk,
        );
        cells.push(explainFailure(chunk == null ? cell : { ...cell, physicalBatchSize: chunk }));
        bar.increment();
      }
    }
  }
  bar.stop();
  const backend = cells.find((c) => c.backend != null)?.backend ?? options.backend;
  const report = {
    date: new Date().toISOString(),
    machine: machineInfo(backend),
    command: commandLine(),
    steps: options.steps,
    physicalBatchSizes: Object.fromEntries(
      options.models.map((m) => [m, physicalBatch[m as ClippingWorkload['name']] ?? null]),
    ),
    methods,
    cells: cells.map(({ backend: _b, ...cell }) => cell),
  };
  await mkdir(options.out, { recursive: true });
  await writeFile(join(options.out, 'compare-clipping.json'), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = [
    `Command: \`${report.command}\``,
    '',
    `Date: ${report.date}. Machine: ${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}, backend \`${backend}\`, load average at start ${report.machine.loadAverage.map((l) => l.toFixed(2)).join(' / ')}. ${options.steps} timed steps per cell after one warm-up step, each cell in its own process. Physical chunks (same gradients, bounded memory; the same for every method of a model): ${formatPhysicalBatch(physicalBatch, options.models)}.`,
    '',
    clippingMarkdown(report.cells, options.models, options.batchSizes, methods, physicalBatch),
  ].join('\n');
  await writeFile(join(options.out, 'compare-clipping.md'), markdown);
  console.log(markdown);
  return report.cells;
}
