// The playground page: settings form, backend selection with its reasons and warnings, a private training run
// with live numbers and a vega-lite chart. Query parameters with the form fields' ids preset them
// (?backend=wasm&epochs=10&autostart=1); the finished run is written as JSON into #result.
import type { BackendSelection } from '@cnm/tfjs';
import embed from 'vega-embed';
import { BACKEND_CHOICES, type BackendChoice, chooseBackend, describeSelection } from './backend';
import { type BandSearchResult, searchBands } from './band-search';
import { type MetricPoint, metricsChartSpec } from './chart';
import { parseCsv } from './data/csv';
import { cryptoRandom, type PlaygroundData } from './data/examples';
import { parseFashionSubset } from './data/fashion-subset';
import { readImageFiles } from './data/images';
import { MODEL_LABELS, MODEL_NAMES, type ModelName } from './models';
import { MODES, type PlaygroundMode, PlaygroundRun, type TrainingSettings } from './training';

const $ = <T extends HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const form = $<HTMLFormElement>('#settings');
const startButton = $<HTMLButtonElement>('#start');
const stopButton = $<HTMLButtonElement>('#stop');

function fillSelect(id: string, options: readonly { value: string; label: string }[]): void {
  const select = $<HTMLSelectElement>(`#${id}`);
  for (const { value, label } of options) select.add(new Option(label, value));
}
fillSelect(
  'model',
  MODEL_NAMES.map((name) => ({ value: name, label: MODEL_LABELS[name] })),
);
fillSelect(
  'mode',
  MODES.map(({ mode, label }) => ({ value: mode, label })),
);
fillSelect(
  'backend',
  BACKEND_CHOICES.map((choice) => ({ value: choice, label: choice === 'auto' ? 'automatic' : choice })),
);

// Choosing a file selects its data source.
for (const [id, source] of [
  ['csv', 'csv'],
  ['images', 'images'],
  ['image-folder', 'images'],
] as const) {
  $<HTMLInputElement>(`#${id}`).addEventListener('change', () => {
    form.querySelector<HTMLInputElement>(`input[name="source"][value="${source}"]`)!.checked = true;
  });
}

const params = new URLSearchParams(location.search);
for (const [key, value] of params) {
  const field = document.getElementById(key);
  if (field instanceof HTMLInputElement || field instanceof HTMLSelectElement) field.value = value;
}

const modeSelect = $<HTMLSelectElement>('#mode');
const showBands = () => {
  $('#bands-field').hidden = modeSelect.value !== 'Amplified-BandMF';
};
modeSelect.addEventListener('change', showBands);
showBands();

function show(id: string, text: string | undefined): void {
  const element = $(`#${id}`);
  element.hidden = text === undefined;
  element.textContent = text ?? '';
}

let fashion: Promise<PlaygroundData> | undefined;
async function loadData(): Promise<PlaygroundData> {
  const source = form.querySelector<HTMLInputElement>('input[name="source"]:checked')!.value;
  if (source === 'csv') {
    const file = $<HTMLInputElement>('#csv').files?.[0];
    if (file === undefined) throw new Error('choose a CSV file first');
    return parseCsv(await file.text(), file.name);
  }
  if (source === 'images') {
    const files = [
      ...($<HTMLInputElement>('#images').files ?? []),
      ...($<HTMLInputElement>('#image-folder').files ?? []),
    ];
    if (files.length === 0) throw new Error('choose image files or a folder of images first');
    return readImageFiles(files, cryptoRandom);
  }
  // The subset is one of the page's own files, fetched from its own origin.
  fashion ??= fetch(new URL('fashion-mnist-subset.bin', document.baseURI))
    .then((response) => {
      if (!response.ok) throw new Error(`the Fashion-MNIST subset could not be loaded (${response.status})`);
      return response.arrayBuffer();
    })
    .then((buffer) => parseFashionSubset(new Uint8Array(buffer)));
  return fashion;
}

let selection: Promise<BackendSelection> | undefined;
async function activateBackend(): Promise<BackendSelection> {
  const chosen = await chooseBackend($<HTMLSelectElement>('#backend').value as BackendChoice);
  $('#stat-backend').textContent = chosen.backend;
  const reasons = $<HTMLUListElement>('#backend-reasons');
  reasons.replaceChildren(
    ...describeSelection(chosen).map((line) =>
      Object.assign(document.createElement('li'), { textContent: line }),
    ),
  );
  show('warning', chosen.warnings.length > 0 ? `Warning: ${chosen.warnings.join(' ')}` : undefined);
  return chosen;
}
$<HTMLSelectElement>('#backend').addEventListener('change', () => {
  selection = activateBackend();
});

/** The bands field: 'auto' or an integer ≥ 1 (the engine checks the upper bound, N / batch size). */
function bandsOfForm(): number | 'auto' {
  const text = $<HTMLInputElement>('#bands').value.trim();
  if (text === '' || text === 'auto') return 'auto';
  const bands = Number(text);
  if (!Number.isInteger(bands) || bands < 1) {
    throw new RangeError(`bands must be 'auto' or an integer ≥ 1, got '${text}'`);
  }
  return bands;
}

function settingsOfForm(): TrainingSettings {
  const number = (id: string) => $<HTMLInputElement>(`#${id}`).valueAsNumber;
  return {
    bands: bandsOfForm(),
    mode: $<HTMLSelectElement>('#mode').value as PlaygroundMode,
    targetEpsilon: number('epsilon'),
    targetDelta: number('delta'),
    epochs: number('epochs'),
    batchSize: number('batch'),
    learningRate: number('lr'),
    maxGradNorm: number('clip'),
    model: $<HTMLSelectElement>('#model').value as ModelName,
  };
}

const format = (value: number, digits = 3) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
let current: PlaygroundRun | undefined;
let stopSearch = false;

async function train(): Promise<void> {
  show('error', undefined);
  startButton.disabled = true;
  selection ??= activateBackend();
  const backend = await selection;
  const data = await loadData();
  $('#data-info').textContent = data.name;
  let settings = settingsOfForm();
  let search: BandSearchResult | undefined;
  if (settings.mode === 'Amplified-BandMF' && settings.bands === 'auto') {
    // One noise calibration per band count: seconds to tens of seconds, so it runs with progress and a Stop.
    stopSearch = false;
    stopButton.disabled = false;
    search = await searchBands(
      data.train.count,
      settings,
      ({ done, total, best }) => {
        $('#mechanism').textContent =
          `Choosing bands… ${done} / ${total} band counts evaluated (one noise calibration each); ` +
          `best so far: ${best.bands} (σ·RMSE ${format(best.expectedError)})`;
      },
      () => stopSearch,
    );
    if (search === undefined) {
      $('#mechanism').textContent = 'Band choice stopped.';
      startButton.disabled = false;
      stopButton.disabled = true;
      return;
    }
    settings = { ...settings, bands: search.best.bands };
  }
  const run = new PlaygroundRun(data, settings);
  current = run;
  stopButton.disabled = false;
  const points: MetricPoint[] = [{ step: 0, metric: 'ε spent', value: 0 }];
  // Redrawn from all points (a few hundred): simpler than streaming into a faceted view, and cheap.
  let chart: Awaited<ReturnType<typeof embed>> | undefined;
  const flush = async () => {
    const next = await embed('#chart', metricsChartSpec(points), { actions: false, renderer: 'svg' });
    chart?.finalize();
    chart = next;
  };
  try {
    const result = await run.train({
      onStart: (report, totalSteps) => {
        const mode = MODES.find((m) => m.mode === settings.mode)?.label ?? settings.mode;
        $('#mechanism').textContent =
          `${mode}, ${report.strategy} strategy: noise multiplier ${format(report.noiseMultiplier)}, ${totalSteps} steps of ` +
          `${report.run.batchSize} examples, planned ε ${format(report.plannedEpsilon ?? Number.NaN, 2)} at δ = ${settings.targetDelta}` +
          (report.bandmf === undefined
            ? ''
            : `; ${report.bandmf.bands} bands` +
              (search === undefined
                ? ' (as set)'
                : ` (chosen: smallest expected noise error σ(b)·RMSE(b) among b = 1…${search.total}, in ${(search.milliseconds / 1000).toFixed(1)} s)`) +
              `, sampling rate ${format(report.bandmf.sampleRate)} within each band's group`);
      },
      onStep: (update) => {
        $('#stat-step').textContent = `${update.step} / ${update.totalSteps}`;
        $('#stat-epsilon').textContent = `${format(update.epsilon, 2)} / ${settings.targetEpsilon}`;
        $('#stat-loss').textContent = format(update.loss);
        $('#stat-speed').textContent = Math.round(update.samplesPerSecond).toLocaleString('en');
        points.push({ step: update.step, metric: 'training loss', value: update.loss });
      },
      onEpoch: (update) => {
        $('#stat-accuracy').textContent = `${format(update.testAccuracy * 100, 1)} %`;
        points.push(
          { step: update.step, metric: 'test accuracy', value: update.testAccuracy },
          { step: update.step, metric: 'ε spent', value: update.epsilon },
        );
        void flush();
      },
    });
    await flush();
    chart?.finalize();
    const summary = {
      backend: backend.backend,
      ...result,
      ...(run.trainer.report.bandmf === undefined ? {} : { bands: run.trainer.report.bandmf.bands }),
      ...(search === undefined ? {} : { bandSearchMs: Math.round(search.milliseconds) }),
    };
    show('result', JSON.stringify(summary));
    document.body.dataset.state = 'done';
  } finally {
    run.dispose();
    current = undefined;
    startButton.disabled = false;
    stopButton.disabled = true;
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  train().catch((error: unknown) => {
    show('error', error instanceof Error ? error.message : String(error));
    document.body.dataset.state = 'error';
    startButton.disabled = false;
  });
});
stopButton.addEventListener('click', () => {
  stopSearch = true;
  current?.stop();
});

selection = activateBackend();
selection.catch((error: unknown) => show('error', error instanceof Error ? error.message : String(error)));
if (params.get('autostart') === '1') form.requestSubmit();
