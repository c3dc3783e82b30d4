const trainer = new PrivacyEngine().makePrivateWithEpsilon({
  model,
  lossFn,
  data: { x, y },
  epochs: 4,
  batchSize: 256,
  targetEpsilon: 8,
  targetDelta: 1e-5,
  mode: 'BLT',
  maxGradNorm: 1, // the initial threshold
  clipping: 'adaptive',
  adaptiveClipping: {
    targetUnclippedQuantile: 0.5,
    learningRate: 0.2,
    countNoiseStddev: 256 / 20,
    minThreshold: 0.01,
    maxThreshold: 10,
  },
});
await trainer.fit();
trainer.maxGradNorm; // the threshold of the next step
