export { type FillGaussianOptions, fillGaussian, sampleStandardNormal } from './gaussian';
export type { RandomGenerator } from './random-generator';
export { SecureRandom } from './secure-random';
export { SeededRandom, type SeededRandomState } from './seeded-random';
export { assertInRange, assertInteger } from './validate';
