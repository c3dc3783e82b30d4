import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { loadWasmSimdKernels, registerWasmTrainingKernels } from '@cnm/tfjs';

registerWasmTrainingKernels();
await tf.setBackend('wasm');
await loadWasmSimdKernels(); // optional: without it (or without WASM SIMD) the pure JS paths run
// tf.grad / model.fit of conv nets now run on wasm
