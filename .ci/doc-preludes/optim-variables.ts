// biome-ignore-all lint/correctness/noUnusedVariables: the doc block appended after the prelude uses them
// Prelude of the second @cnm/optim block: the variables the first block of that README creates.
import * as preludeTf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

await preludeTf.setBackend('cpu');
const weights = preludeTf.variable(preludeTf.zeros([4, 2]));
const bias = preludeTf.variable(preludeTf.zeros([2]));
