// biome-ignore-all lint/correctness/noUnusedVariables: the doc block appended after the prelude uses them
// Prelude of doc blocks that train "your" model: a small classifier and synthetic data under the names the
// blocks use (model, lossFn, x, y, examples, images, labels, xTest, yTest, N).
import * as preludeTf from '@tensorflow/tfjs-core';
import * as preludeTfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';

await preludeTf.setBackend('cpu');
const N = 2048;
const model = preludeTfl.sequential({
  layers: [preludeTfl.layers.dense({ inputShape: [4], units: 2, activation: 'softmax' })],
});
const lossFn = (yTrue: preludeTf.Tensor, yPred: preludeTf.Tensor) =>
  preludeTf.neg(
    preludeTf.sum(preludeTf.mul(yTrue, preludeTf.log(preludeTf.clipByValue(yPred, 1e-7, 1))), -1),
  );
const x = preludeTf.randomNormal([N, 4], 0, 1, 'float32', 1);
const y = preludeTf.oneHot(preludeTf.cast(preludeTf.greater(preludeTf.sum(x, 1), 0), 'int32'), 2);
const xTest = preludeTf.randomNormal([200, 4], 0, 1, 'float32', 2);
const yTest = preludeTf.oneHot(preludeTf.cast(preludeTf.greater(preludeTf.sum(xTest, 1), 0), 'int32'), 2);
const examples = preludeTf.unstack(x);
const images = examples;
const labels = preludeTf.unstack(y);
