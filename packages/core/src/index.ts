export type { BandedStrategy } from './banded';
export { bandedToeplitzStrategy } from './banded';
export type { BltJson, BltParameters } from './blt';
export { Blt, inverseBltParameters, pairOutputScales, pairOutputScalesFromComplements } from './blt';
export type { BltLossOptions } from './blt-loss';
export { bltLoss, bltSensitivity } from './blt-loss';
export type { ErrorSummary, LossSummary, StrategyLossOptions, Workload } from './error';
export { lossSummary, prefixSumError, strategyLoss, workloadError } from './error';
export type { FitBandMfOptions, FitBandMfResult } from './fit-band-mf';
export { fitBandMf } from './fit-band-mf';
export type { FitBltOptions, FitBltResult, FitProgress } from './fit-blt';
export { fitBlt, squareRootBltApproximation } from './fit-blt';
export type { NoiseStream, NoiseStreamState, NoiseStreamStateJson } from './noise-stream';
export { noiseStreamStateFromJson, noiseStreamStateToJson } from './noise-stream';
export type {
  CyclicParticipation,
  MinSeparationParticipation,
  Participation,
  ResolvedParticipation,
} from './participation';
export { resolveParticipation } from './participation';
export { isNonNegativeNonIncreasing, nonIncreasingMajorant, sensitivity } from './sensitivity';
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
