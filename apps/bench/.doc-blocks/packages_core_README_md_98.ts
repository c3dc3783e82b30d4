import { prefixSumError, sensitivity, singleParameterStrategy } from '@cnm/core';

const strategy = singleParameterStrategy(0.9);
const sens = sensitivity(strategy.coefficients(1000), { minSeparation: 100, maxParticipations: 10 });
const { maxError, meanError } = prefixSumError(strategy.inverseCoefficients(1000));
const maxErrorLoss = sens * Math.sqrt(maxError);
const rmseLoss = sens * Math.sqrt(meanError);
