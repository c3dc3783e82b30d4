import { createModeOptimizer, modeMechanism } from '@cnm/optim';

// 10 epochs of 100 steps, fixed batch order: each example participates every 100 steps.
const mechanism = modeMechanism('Multi-Epoch-BLT-Adam', {
  steps: 1000,
  participation: { kind: 'cyclic', minSeparation: 100 },
});
const optimizer = createModeOptimizer('Multi-Epoch-BLT-Adam', {
  variables: [weights, bias],
  learningRate: 1e-3,
  noise: {
    strategy: mechanism.strategy,
    sensitivity: mechanism.sensitivity, // covers all 10 participations
    noiseMultiplier: 1.2, // from the accountant: one Gaussian mechanism, mu = 1 / sigma
    maxGradNorm: 1,
    random: 'secure',
  },
});
