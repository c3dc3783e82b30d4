// End-to-end run of the built page (`pnpm --filter playground e2e` builds it first): serves dist/ on 127.0.0.1,
// drives Debian's chromium with puppeteer-core (no browser download) and checks, in order:
//   1. the engine's clipped gradient sums on every backend headless Chromium offers against an example-by-example
//      reference (lab.html?task=check);
//   2. a missing .wasm binary gives a visible warning (the .wasm requests are blocked);
//   3. a private training of a few hundred steps on the Fashion-MNIST subset: finishes within its ε, learns, and
//      no request leaves the page's origin. Saves a screenshot to e2e/out/playground.png;
//   4. a short BLT training on an uploaded CSV;
//   5. a short Amplified-BandMF training with bands 'auto' (the page's band search, with progress);
//   6. an upload of the person's own images (file name prefix labels), a broken one first, then a short training.
// `--band-timing` also times the band search of the page's default settings.
// `--throughput` also times the benchmark CNN in the browser (wasm, and WebGL where offered; E2E_THROUGHPUT_BACKENDS,
// E2E_THROUGHPUT_BATCH (1024), E2E_THROUGHPUT_ROUNDS (5)); E2E_ONLY=check|warning|train|csv|bandmf|images runs one part.
// The LAST line printed is a JSON object { backend, steps, epsilon, targetEpsilon, samplesPerSecond, accuracy }.
// Environment: CHROMIUM (browser path, default /usr/bin/chromium), E2E_BACKEND (training backend, default auto).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { preview } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDirectory = join(root, 'e2e', 'out');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const trainingBackend = process.env.E2E_BACKEND ?? 'auto';
const measureThroughput = process.argv.includes('--throughput');
const measureBandTiming = process.argv.includes('--band-timing');
const failures = [];
const started = performance.now();
const log = (line) => console.log(`e2e [${((performance.now() - started) / 1000).toFixed(0)}s]: ${line}`);

function expect(condition, message) {
  if (!condition) failures.push(message);
  log(`${condition ? 'ok  ' : 'FAIL'} ${message}`);
}

const server = await preview({
  root,
  logLevel: 'warn',
  preview: { host: '127.0.0.1', port: 4173, strictPort: false, open: false },
});
const base = server.resolvedUrls.local[0];
const origin = new URL(base).origin;
const browser = await puppeteer.launch({
  executablePath,
  headless: true,
  // A software-rendered WebGL step of the benchmark CNN can block the page for minutes.
  protocolTimeout: 900_000,
  // --no-sandbox: CI runs as root; SwiftShader is the software WebGL of a machine without a GPU.
  args: (
    process.env.CHROMIUM_FLAGS ??
    '--no-sandbox --enable-unsafe-swiftshader --enable-unsafe-webgpu --use-angle=swiftshader'
  ).split(' '),
});
const foreignRequests = [];

async function open(path, { blockWasm = false } = {}) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin) {
      foreignRequests.push(url);
    }
    if (blockWasm && url.endsWith('.wasm')) request.abort();
    else request.continue();
  });
  page.on('pageerror', (error) => log(`page error: ${error.message}`));
  if (process.env.E2E_CONSOLE)
    page.on('console', (message) => log(`console: ${message.text().slice(0, 2000)}`));
  await page.goto(new URL(path, base).href, { waitUntil: 'load' });
  return page;
}

async function labResult(path, timeout) {
  const page = await open(path);
  await page.waitForFunction(
    () => ['done', 'error'].some((s) => document.querySelector('#status')?.textContent?.startsWith(s)),
    { timeout },
  );
  const status = await page.$eval('#status', (e) => e.textContent);
  const text = await page.$eval('#result', (e) => e.textContent);
  await page.close();
  if (status !== 'done') throw new Error(`${path}: ${status}`);
  return JSON.parse(text);
}

let summary;
try {
  mkdirSync(outDirectory, { recursive: true });
  log(`${await browser.version()}, serving ${base}`);

  const only = process.env.E2E_ONLY;
  // 1. Clipped sums on the browser's backends.
  if (only === undefined || only === 'check') {
    const { checks, unavailable, errors } = await labResult(
      `lab.html?task=check&backends=${process.env.E2E_CHECK_BACKENDS ?? 'webgpu,webgl,wasm'}`,
      300_000,
    );
    for (const { backend, reason } of unavailable) log(`backend ${backend} not checked: ${reason}`);
    for (const e of errors)
      expect(false, `clipped sums on ${e.backend}, ${e.model}, ${e.method}: ${e.error}`);
    for (const c of checks) {
      expect(
        c.ok,
        `clipped sums on ${c.backend}, ${c.model}, ${c.method}: relative error ${c.relativeError.toExponential(2)} (norms ${c.normRelativeError.toExponential(2)}, example-by-example on ${c.backend} ${c.loopOnBackendRelativeError.toExponential(2)}; ${c.clipped}/${c.examples} clipped)`,
      );
    }
    expect(
      checks.some((c) => c.backend !== 'wasm'),
      'at least one GPU backend (WebGPU or WebGL) was checked',
    );
  }
  if (only === undefined || only === 'warning') {
    // 2. A missing .wasm is a visible warning, not a silent fallback.
    const blocked = await open('index.html?backend=wasm', { blockWasm: true });
    await blocked.waitForSelector('#warning:not([hidden])', { timeout: 60_000 });
    const warning = await blocked.$eval('#warning', (e) => e.textContent);
    const fallback = await blocked.$eval('#stat-backend', (e) => e.textContent);
    expect(
      /wasm backend unavailable/.test(warning) && fallback !== 'wasm',
      `missing .wasm: warning shown, training on ${fallback} (${warning.slice(0, 70)}…)`,
    );
    await blocked.close();
  }
  if (only === undefined || only === 'train') {
    // 3. A private training run.
    const page = await open(`index.html?backend=${trainingBackend}&autostart=1`);
    const finished = await page
      .waitForSelector('body[data-state]', { timeout: Number(process.env.E2E_TRAIN_TIMEOUT_MS ?? 300_000) })
      .then(() => true)
      .catch(() => false);
    await page.screenshot({ path: join(outDirectory, 'playground.png'), fullPage: true });
    if (!finished)
      throw new Error(
        `training did not finish in time (at step ${await page.$eval('#stat-step', (e) => e.textContent)})`,
      );
    const state = await page.$eval('body', (e) => e.dataset.state);
    if (state !== 'done')
      throw new Error(`training failed: ${await page.$eval('#error', (e) => e.textContent)}`);
    const run = JSON.parse(await page.$eval('#result', (e) => e.textContent));
    summary = {
      backend: run.backend,
      steps: run.steps,
      epsilon: run.epsilon,
      targetEpsilon: run.targetEpsilon,
      samplesPerSecond: Math.round(run.samplesPerSecond),
      accuracy: run.accuracy,
    };
    const reasons = await page.$$eval('#backend-reasons li', (items) => items.map((li) => li.textContent));
    for (const reason of reasons) log(`backend selection: ${reason}`);
    expect(
      trainingBackend === 'auto' ? run.backend !== 'cpu' : run.backend === trainingBackend,
      `trained on ${run.backend} (asked: ${trainingBackend})`,
    );
    expect(run.steps >= 200 && run.reason === 'completed', `${run.steps} steps, ${run.reason}`);
    expect(
      run.epsilon <= run.targetEpsilon,
      `ε spent ${run.epsilon.toFixed(3)} ≤ target ${run.targetEpsilon}`,
    );
    expect(run.accuracy > 0.5, `test accuracy ${(run.accuracy * 100).toFixed(1)} % (chance: 10 %)`);
    await page.close();
  }

  if (only === undefined || only === 'csv') {
    // 4. A person's own CSV: two classes told apart by the first feature, BLT, the MLP.
    const rows = Array.from({ length: 300 }, (_, i) => {
      const label = i % 2;
      return [label, label * 0.8 + ((i * 37) % 10) / 50, ((i * 53) % 17) / 17, ((i * 71) % 13) / 13].join(
        ',',
      );
    });
    const csvPath = join(outDirectory, 'two-classes.csv');
    writeFileSync(csvPath, `label,a,b,c\n${rows.join('\n')}\n`);
    const page = await open('index.html?model=mlp&mode=BLT&epochs=4&batch=30&lr=0.5&backend=auto');
    await page.click('input[name="source"][value="csv"]');
    const input = await page.$('#csv');
    await input.uploadFile(csvPath);
    await page.click('#start');
    await page.waitForSelector('body[data-state]', { timeout: 120_000 });
    const state = await page.$eval('body', (e) => e.dataset.state);
    if (state !== 'done')
      throw new Error(`CSV training failed: ${await page.$eval('#error', (e) => e.textContent)}`);
    const run = JSON.parse(await page.$eval('#result', (e) => e.textContent));
    const data = await page.$eval('#data-info', (e) => e.textContent);
    expect(
      run.steps === 32 && run.epsilon <= run.targetEpsilon && run.accuracy > 0.8,
      `CSV (${data}): ${run.steps} steps of BLT, ε ${run.epsilon.toFixed(3)} ≤ ${run.targetEpsilon}, test accuracy ${(run.accuracy * 100).toFixed(1)} %`,
    );
    await page.close();
  }

  if (only === undefined || only === 'bandmf') {
    // 5. Amplified banded MF with bands 'auto' (one noise calibration per feasible band count, with progress):
    // one epoch of batches of 500, so 4 steps and 4 candidate band counts (about a second each).
    const page = await open(
      'index.html?mode=Amplified-BandMF&bands=auto&epochs=1&batch=500&backend=auto&autostart=1',
    );
    await page.waitForSelector('body[data-state]', { timeout: 180_000 });
    const state = await page.$eval('body', (e) => e.dataset.state);
    if (state !== 'done')
      throw new Error(`BandMF training failed: ${await page.$eval('#error', (e) => e.textContent)}`);
    const run = JSON.parse(await page.$eval('#result', (e) => e.textContent));
    const mechanism = await page.$eval('#mechanism', (e) => e.textContent);
    log(`BandMF: ${mechanism}`);
    await page.screenshot({ path: join(outDirectory, 'playground-bandmf.png'), fullPage: true });
    expect(
      run.steps === 4 &&
        run.reason === 'completed' &&
        run.epsilon <= run.targetEpsilon &&
        Number.isInteger(run.bands) &&
        mechanism.includes(`${run.bands} bands (chosen`),
      `Amplified-BandMF: ${run.bands} bands chosen in ${run.bandSearchMs} ms among 1…4, ${run.steps} steps, ε ${run.epsilon.toFixed(3)} ≤ ${run.targetEpsilon}, test accuracy ${(run.accuracy * 100).toFixed(1)} %`,
    );
    await page.close();
  }

  if (only === undefined || only === 'images') {
    // 6. A person's own images, labelled by the file name prefix: bright horizontal against vertical bars, drawn
    // on a canvas of another size (56×40) so that the page resizes them; first a file that is no image.
    const imageDirectory = join(outDirectory, 'images');
    mkdirSync(imageDirectory, { recursive: true });
    const drawer = await browser.newPage();
    const images = await drawer.evaluate(() => {
      const canvas = Object.assign(document.createElement('canvas'), { width: 56, height: 40 });
      const context = canvas.getContext('2d');
      return Array.from({ length: 60 }, (_, i) => {
        const horizontal = i % 2 === 0;
        context.fillStyle = `rgb(${(i * 7) % 40}, 20, 30)`;
        context.fillRect(0, 0, 56, 40);
        context.fillStyle = '#f0f0f0';
        const offset = 6 + ((i * 13) % 24);
        if (horizontal) context.fillRect(4, (offset * 40) / 56, 48, 6);
        else context.fillRect(offset + 4, 3, 8, 34);
        return {
          name: `${horizontal ? 'horizontal' : 'vertical'}_${i}.png`,
          url: canvas.toDataURL('image/png'),
        };
      });
    });
    await drawer.close();
    const imagePaths = images.map(({ name, url }) => {
      const path = join(imageDirectory, name);
      writeFileSync(path, Buffer.from(url.split(',')[1], 'base64'));
      return path;
    });
    const badPath = join(imageDirectory, 'broken_1.png');
    writeFileSync(badPath, 'not a png');
    const page = await open('index.html?model=mlp&mode=Amplified-BandMF&bands=2&epochs=4&batch=12&lr=0.5');
    await (await page.$('#images')).uploadFile(badPath);
    await page.click('#start');
    await page.waitForSelector('body[data-state="error"]', { timeout: 30_000 });
    const error = await page.$eval('#error', (e) => e.textContent);
    expect(/'broken_1.png' could not be decoded/.test(error), `a broken image file: "${error}"`);
    await page.evaluate(() => delete document.body.dataset.state);
    await (await page.$('#images')).uploadFile(...imagePaths);
    await page.click('#start');
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 120_000 });
    const state = await page.$eval('body', (e) => e.dataset.state);
    if (state !== 'done')
      throw new Error(`image training failed: ${await page.$eval('#error', (e) => e.textContent)}`);
    const run = JSON.parse(await page.$eval('#result', (e) => e.textContent));
    const data = await page.$eval('#data-info', (e) => e.textContent);
    expect(
      run.bands === 2 && run.steps === 16 && run.epsilon <= run.targetEpsilon && run.accuracy > 0.7,
      `images (${data}): Amplified-BandMF, ${run.bands} bands, ${run.steps} steps, ε ${run.epsilon.toFixed(3)} ≤ ${run.targetEpsilon}, test accuracy ${(run.accuracy * 100).toFixed(1)} %`,
    );
    await page.close();
  }

  if (measureBandTiming) {
    // The band search of the page's default run (2,000 examples, batch 100, 15 epochs: 20 candidates), then stop.
    const page = await open('index.html?mode=Amplified-BandMF&backend=auto&autostart=1');
    await page.waitForFunction(
      () => /bands \(chosen/.test(document.querySelector('#mechanism')?.textContent ?? ''),
      {
        timeout: 600_000,
      },
    );
    log(`band search, default settings: ${await page.$eval('#mechanism', (e) => e.textContent)}`);
    await page.click('#stop');
    await page.close();
  }

  if (measureThroughput) {
    const rounds = process.env.E2E_THROUGHPUT_ROUNDS ?? '5';
    const batch = process.env.E2E_THROUGHPUT_BATCH ?? '1024';
    for (const backend of (process.env.E2E_THROUGHPUT_BACKENDS ?? 'wasm,webgl').split(',')) {
      const result = await labResult(
        `lab.html?task=throughput&backend=${backend}&batch=${batch}&rounds=${rounds}`,
        900_000,
      );
      log(`throughput ${JSON.stringify(result)}`);
    }
  }
  expect(foreignRequests.length === 0, `no request left ${origin} (${foreignRequests.join(', ') || 'none'})`);
} catch (error) {
  failures.push(error instanceof Error ? error.message : String(error));
  log(`FAIL ${failures.at(-1)}`);
} finally {
  await browser.close();
  await new Promise((resolve) => server.httpServer.close(resolve));
}
if (failures.length > 0) {
  log(`${failures.length} failure(s)`);
  process.exitCode = 1;
}
console.log(JSON.stringify(summary ?? { error: failures.join('; ') }));
