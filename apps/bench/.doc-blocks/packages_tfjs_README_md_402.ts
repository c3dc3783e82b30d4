// model.ts: imported by every worker
export { createLossFn, createModel };
function createModel() {
  return buildMyModel();
} // same architecture; any initial weights
function createLossFn() {
  return perExampleLoss;
} // the engine's lossFn

// train.ts
import { PrivacyEngine } from '@cnm/tfjs';
import { createWorkerClipper } from '@cnm/tfjs/node';

const clipper = createWorkerClipper({ workers: 2, modelModule: new URL('./model.js', import.meta.url) });
const trainer = new PrivacyEngine().makePrivate({ ...options, clippedGradients: clipper });
try {
  await trainer.fit(); // fit steps with trainer.stepAsync(); trainer.step() is refused with a provider
} finally {
  await clipper.dispose(); // terminates the workers
}
