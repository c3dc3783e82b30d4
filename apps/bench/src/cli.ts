import { Command, InvalidArgumentError, Option } from 'commander';
import {
  decayInUnitInterval,
  nonNegativeInteger,
  numberList,
  positiveInteger,
  positiveNumber,
} from './cli-arguments';
import {
  DEFAULT_PHYSICAL_BATCH_SIZES,
  formatPhysicalBatch,
  parsePhysicalBatch,
} from './clipping/physical-batch';
import { DEFAULT_RESULTS_DIRECTORY, tableCommand } from './commands/table-command';
import { sweepCommand } from './sweep/sweep-command';

const backendOption = () =>
  new Option('--backend <name>', 'preferred tfjs backend (falls back in the order tensorflow, wasm, cpu)')
    .choices(['tensorflow', 'wasm', 'cpu'])
    .default('wasm');

const program = new Command()
  .name('cnm-bench')
  .description(
    'Benchmarks of @cnm: the Fashion-MNIST table, the clipping-method comparison, micro-benchmarks',
  );

program
  .command('table', { isDefault: true })
  .description('train the table rows on Fashion-MNIST and write results/<profile>.{json,md} and plots')
  .addOption(
    new Option('--profile <name>', 'quick (about 7 min on 2 cores) or full (50 epochs)')
      .choices(['quick', 'full'])
      .default('quick'),
  )
  .option('--rows <ids>', 'comma-separated row ids or names (default: all)', (v: string) => v.split(','))
  .option('--epochs <n>', 'epochs per row (overrides the profile)', positiveInteger('epochs'))
  .option('--train-examples <n>', 'use only the first n training examples', positiveInteger('train-examples'))
  .option('--seed <n>', 'seed of initialisation, sampling and noise', nonNegativeInteger, 0)
  .option(
    '--adam-variance-floor <x>',
    "DP-AdamBC second-moment floor of the private Adam rows (default: the profile's, full 1e-5; else the engine default 1e-8)",
    positiveNumber('adam-variance-floor'),
  )
  .option(
    '--weight-average-decay <d>',
    'decay of the exponential moving average of the weights evaluated beside the last iterate (with warm-up)',
    decayInUnitInterval,
    0.999,
  )
  .option('--no-weight-average', 'evaluate the last iterate only')
  .addOption(backendOption())
  .option('--out <dir>', 'output directory', DEFAULT_RESULTS_DIRECTORY)
  .action(async (options) => {
    await tableCommand(options);
  });

program
  .command('sweep')
  .description(
    'privacy-utility sweep: DP-SGD, Multi-Epoch-BLT, Amplified-BandMF and their Adam counterparts at several ε and seeds, learning rate chosen on a validation split at ε = 8 (and trained at every ε beside the default); writes sweep.{json,md} and a plot',
  )
  .option(
    '--epsilons <list>',
    'target epsilons, trained in this order (must include 8)',
    numberList('epsilons'),
    [1, 2, 4, 8],
  )
  .option('--seeds <n>', 'number of seeds (0, 1, ...)', positiveInteger('seeds'), 3)
  // About 110 runs: at ~85 s per row-epoch on all 60,000 examples (quick profile, 2 cores) 1 epoch is ~2.5 h on
  // this thread, less with the worker pool; fewer epochs are better than fewer seeds.
  .option('--epochs <n>', 'epochs of every run', positiveInteger('epochs'), 1)
  .option('--train-examples <n>', 'use only the first n training examples', positiveInteger('train-examples'))
  .option('--test-examples <n>', 'use only the first n test examples', positiveInteger('test-examples'))
  .option(
    '--validation-examples <n>',
    'last training examples held out to choose the learning rate',
    positiveInteger('validation-examples'),
    10_000,
  )
  .option(
    '--lr-factors <list>',
    "factors of each row's learning rate tried at ε = 8",
    numberList('lr-factors'),
    [1, 0.5, 0.25],
  )
  .option('--rows <ids>', 'comma-separated sweep rows (default: all six)', (v: string) => v.split(','))
  .option('--batch-size <n>', 'expected batch size', positiveInteger('batch-size'), 1024)
  .option(
    '--workers <n>',
    'clipping worker threads (0: this thread)',
    (v: string) => (v === '0' ? 0 : positiveInteger('workers')(v)),
    2,
  )
  .option(
    '--adam-variance-floor <x>',
    'DP-AdamBC second-moment floor of the Adam rows',
    positiveNumber('adam-variance-floor'),
  )
  .addOption(backendOption())
  .option('--out <dir>', 'output directory', DEFAULT_RESULTS_DIRECTORY)
  .option(
    '--resume <sweep.json>',
    "a stopped sweep's file: keep its learning-rate choices and runs, train only the missing ones (same settings)",
  )
  .action(async (options) => {
    await sweepCommand({ ...options, learningRateFactors: options.lrFactors });
  });

program
  .command('audit')
  .description(
    'one-run privacy audit (canaries) of every mode on the benchmark CNN, scaled down to minutes; writes audit.{json,md}',
  )
  .option('--modes <names>', 'comma-separated mode names (default: all)', (v: string) => v.split(','))
  .option('--train-examples <n>', 'real training examples', positiveInteger('train-examples'), 1000)
  .option('--canaries <n>', 'canaries per audit', positiveInteger('canaries'), 1000)
  .addOption(
    new Option('--canary-kind <kind>', 'canaries').choices(['gradient', 'input']).default('gradient'),
  )
  .option('--epochs <n>', 'epochs of each audited run', positiveInteger('epochs'), 2)
  .option('--batch-size <n>', 'batch size over examples and canary slots', positiveInteger('batch-size'), 250)
  .option('--epsilon <x>', 'target epsilon of the audited runs', positiveNumber('epsilon'), 2)
  .option(
    '--delta <x>',
    'delta of the claim (keep it well below 1 / canaries)',
    positiveNumber('delta'),
    1e-5,
  )
  .option('--seed <n>', 'seed of the model, sampling, noise and canaries', nonNegativeInteger, 0)
  .addOption(backendOption())
  .option('--out <dir>', 'output directory', DEFAULT_RESULTS_DIRECTORY)
  .action(async (options) => {
    const { auditCommand } = await import('./commands/audit-command');
    await auditCommand(options);
  });

program
  .command('compare-clipping')
  .description('samples/s and peak memory of non-private training and each per-example clipping method')
  .option('--models <names>', 'comma-separated: cnn, unet, lstm, transformer', (v: string) => v.split(','), [
    'cnn',
    'unet',
  ])
  .option(
    '--batch-sizes <list>',
    'comma-separated batch sizes',
    (v: string) => v.split(',').map(Number),
    [64, 256, 1024],
  )
  .option(
    '--methods <list>',
    'comma-separated: non-private, loop, materialized, ghost, mixed-ghost, bookkeeping',
    (v: string) => v.split(','),
  )
  .option('--steps <n>', 'timed steps per cell (after one warm-up step)', positiveInteger('steps'), 3)
  .option(
    '--physical-batch <spec>',
    `examples per physical chunk, the same for every method of a model (same gradients, bounded memory): n for every model, 'whole', or model=n pairs (default ${formatPhysicalBatch(DEFAULT_PHYSICAL_BATCH_SIZES)}; a model not named keeps its default)`,
    (value: string) => {
      try {
        return parsePhysicalBatch(value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
    },
  )
  .option(
    '--cell-timeout <s>',
    'time limit of one cell in seconds (a cell over it is recorded as failed)',
    positiveInteger('cell-timeout'),
    600,
  )
  .addOption(backendOption())
  .option('--out <dir>', 'output directory', DEFAULT_RESULTS_DIRECTORY)
  .action(async (options) => {
    const { compareClippingCommand } = await import('./commands/compare-clipping');
    await compareClippingCommand(options);
  });

program
  .command('unet-utility')
  .description(
    "Dice and IoU of the clipping comparison's U-Net on held-out synthetic images, trained non-privately and privately at each ε (learning rate of each chosen on validation images); writes unet-utility.{json,md}",
  )
  .option('--epsilons <list>', 'target epsilons of the private runs', numberList('epsilons'), [1, 4, 8])
  .option('--epochs <n>', 'epochs of every run', positiveInteger('epochs'), 2)
  .option('--train-examples <n>', 'synthetic training images', positiveInteger('train-examples'), 2000)
  .option(
    '--validation-examples <n>',
    'synthetic validation images (choose the learning rate)',
    positiveInteger('validation-examples'),
    256,
  )
  .option(
    '--test-examples <n>',
    'synthetic test images (reported scores)',
    positiveInteger('test-examples'),
    512,
  )
  .option('--batch-size <n>', 'expected batch size', positiveInteger('batch-size'), 64)
  .option('--lrs <list>', 'SGD learning rates tried without privacy', numberList('lrs'), [0.3, 1])
  .option(
    '--private-lrs <list>',
    'SGD learning rates tried privately at every ε',
    numberList('private-lrs'),
    [0.5, 1, 2],
  )
  .addOption(
    new Option('--mode <name>', 'engine mode of the private runs')
      .choices(['DP-SGD-AMPLIFIED', 'DP-SGD-BASE', 'Multi-Epoch-BLT', 'BLT', 'Amplified-BandMF'])
      .default('DP-SGD-AMPLIFIED'),
  )
  .option('--clip-norm <c>', 'per-example clip norm', positiveNumber('clip-norm'), 1)
  .option(
    '--physical-batch <n>',
    'examples per physical chunk of the private runs (same gradients, bounded memory)',
    positiveInteger('physical-batch'),
    64,
  )
  .option('--seed <n>', 'seed of the data, initialisation, sampling and noise', nonNegativeInteger, 0)
  .addOption(backendOption())
  .option('--out <dir>', 'output directory', DEFAULT_RESULTS_DIRECTORY)
  .action(async (options) => {
    const { unetUtilityCommand } = await import('./commands/unet-utility');
    await unetUtilityCommand(options);
  });

program
  .command('report <json>')
  .description('rewrite the markdown table and the plots of a results JSON file (beside it)')
  .action(async (json: string) => {
    const { readFile } = await import('node:fs/promises');
    const { dirname } = await import('node:path');
    const { writeReport } = await import('./report/write');
    const report = JSON.parse(await readFile(json, 'utf8'));
    const written = await writeReport(report, dirname(json));
    console.error(`wrote ${written.markdown} and ${written.plots.length} plots`);
  });

program
  .command('merge <jsons...>')
  .description(
    'merge results JSON files of one profile run in parallel processes into one table (and its plots)',
  )
  .option('--out <dir>', 'output directory', DEFAULT_RESULTS_DIRECTORY)
  .action(async (jsons: string[], options: { out: string }) => {
    const { readFile } = await import('node:fs/promises');
    const { mergeReports } = await import('./report/merge-reports');
    const { writeReport } = await import('./report/write');
    const reports = await Promise.all(jsons.map(async (json) => JSON.parse(await readFile(json, 'utf8'))));
    const written = await writeReport(mergeReports(reports), options.out);
    console.error(`wrote ${written.json}, ${written.markdown} and ${written.plots.length} plots`);
  });

program
  .command('micro')
  .description('private vs non-private step time, accountant and BLT-fit timings, noise throughput')
  .option('--batch-size <n>', 'batch size of the step timings', positiveInteger('batch-size'), 256)
  .option('--steps <n>', 'timed steps', positiveInteger('steps'), 3)
  .addOption(backendOption())
  .action(async (options) => {
    const { microCommand } = await import('./commands/micro');
    await microCommand(options);
  });

program
  .command('parallel-training')
  .description(
    'samples/s of the CNN: non-private, private in this thread, private with the clipped sums in worker threads',
  )
  .option('--batch-size <n>', 'batch size', positiveInteger('batch-size'), 1024)
  .option('--steps <n>', 'timed steps per row (after one warm-up step)', positiveInteger('steps'), 5)
  .option(
    '--workers <list>',
    'comma-separated worker counts of the pooled rows',
    (v: string) => v.split(',').map(positiveInteger('workers')),
    [1, 2],
  )
  .addOption(backendOption())
  .option('--out <dir>', 'output directory', DEFAULT_RESULTS_DIRECTORY)
  .action(async (options) => {
    const { parallelTrainingCommand } = await import('./commands/parallel-training');
    await parallelTrainingCommand(options);
  });

// Errors end the command with their message: left unhandled, they would surface through tfjs-backend-wasm's
// rethrowing process handler, which prints its whole minified source before the message.
try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
}
