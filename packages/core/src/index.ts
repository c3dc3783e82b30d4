export type { BltJson, BltParameters } from './blt';
export { Blt, inverseBltParameters, pairOutputScales } from './blt';
export type { NoiseStream, NoiseStreamState } from './noise-stream';
export type { InverseStreamOptions, Strategy } from './strategies';
export {
  bandedSquareRootStrategy,
  bltStrategy,
  identityStrategy,
  singleParameterStrategy,
  squareRootCoefficients,
  squareRootInverseCoefficients,
  squareRootStrategy,
} from './strategies';
export {
  prefixSums,
  toeplitzApply,
  toeplitzInverse,
  toeplitzMatrix,
  toeplitzProduct,
  toeplitzSolve,
} from './toeplitz';
