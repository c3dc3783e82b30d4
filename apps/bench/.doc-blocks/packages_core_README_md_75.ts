import { bltLoss, fitBlt, squareRootStrategy, strategyLoss } from '@cnm/core';

// 2000 steps, each example seen at most 20 times, at least 100 steps apart (20 epochs of 100 batches).
const fit = fitBlt({
  steps: 2000,
  minSeparation: 100,
  maxParticipations: 20,
  error: 'max',
  bufferCount: 'auto',
});
fit.bufferCount; // 2
fit.loss; // ≈ 27.016 = fit.sensitivity · √fit.error
fit.converged; // true

// Compare with other strategies under the same participation.
const participation = { minSeparation: 100, maxParticipations: 20 };
bltLoss(fit.blt, { steps: 2000, participation }).maxErrorLoss; // ≈ 27.016 (closed forms)
strategyLoss(squareRootStrategy(), { steps: 2000, participation }).maxErrorLoss; // ≈ 32.09
