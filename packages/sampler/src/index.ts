export { assertInRange, assertInteger } from './validate';
