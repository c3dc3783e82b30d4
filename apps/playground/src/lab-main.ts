// The lab page: correctness checks of the engine on the browser's backends, and throughput figures; driven by
// query parameters, results written as JSON into #result (the e2e run reads them).
import type { PerExampleMethod } from '@cnm/tfjs';
import { type BackendChoice, chooseBackend } from './backend';
import { type ClippingCheck, checkClippedSums } from './clipping-check';
import type { ModelName } from './models';
import { measureThroughput } from './throughput';

const params = new URLSearchParams(location.search);
const status = document.querySelector<HTMLPreElement>('#status')!;
const output = document.querySelector<HTMLPreElement>('#result')!;

async function check(): Promise<unknown> {
  const backends = (params.get('backends') ?? 'webgpu,webgl,wasm').split(',');
  const models = (params.get('models') ?? 'small-cnn,mlp').split(',') as ModelName[];
  const methods = (params.get('methods') ?? 'bookkeeping,materialized,mixed-ghost').split(
    ',',
  ) as PerExampleMethod[];
  const checks: ClippingCheck[] = [];
  const unavailable: { backend: string; reason: string }[] = [];
  const errors: { backend: string; model: string; method: string; error: string }[] = [];
  for (const backend of backends) {
    // Initialise the backend as the page does (the wasm one with its binaries and kernel pack).
    const selection = await chooseBackend(backend as BackendChoice);
    if (selection.backend !== backend) {
      unavailable.push({
        backend,
        reason: selection.attempts.find((a) => a.backend === backend)?.reason ?? '',
      });
      continue;
    }
    for (const model of models) {
      status.textContent = `checking ${model} on ${backend}…`;
      for (const method of methods) {
        try {
          checks.push(...(await checkClippedSums(backend, model, [method])));
        } catch (error) {
          errors.push({
            backend,
            model,
            method,
            error: error instanceof Error ? error.message : String(error),
          });
        }
      }
    }
  }
  return { checks, unavailable, errors };
}

async function throughput(): Promise<unknown> {
  const selection = await chooseBackend((params.get('backend') ?? 'wasm') as BackendChoice);
  const batch = Number(params.get('batch') ?? '1024');
  const rounds = Number(params.get('rounds') ?? '5');
  status.textContent = `timing on ${selection.backend}…`;
  return {
    ...(await measureThroughput((params.get('model') ?? 'benchmark-cnn') as ModelName, batch, rounds)),
    userAgent: navigator.userAgent,
    warnings: selection.warnings,
  };
}

try {
  const result = params.get('task') === 'throughput' ? await throughput() : await check();
  output.textContent = JSON.stringify(result, null, 2);
  status.textContent = 'done';
} catch (error) {
  status.textContent = `error: ${error instanceof Error ? error.message : String(error)}`;
}
