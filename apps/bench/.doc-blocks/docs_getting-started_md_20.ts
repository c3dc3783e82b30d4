import { selectBackend } from '@cnm/tfjs';

const selection = await selectBackend(); // native TensorFlow if installed, else wasm + kernel pack, else cpu
console.log(selection.backend, selection.attempts);
