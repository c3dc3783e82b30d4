import { selectBackend } from '@cnm/tfjs';

const selection = await selectBackend(); // or { preferred: 'wasm' | 'cpu' | 'tensorflow' }
console.log(selection.backend, selection.attempts);
