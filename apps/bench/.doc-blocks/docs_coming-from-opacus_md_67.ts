// The examples, unbatched (like the Dataset behind the DataLoader): the engine samples the batches itself.
const dataset = tf.data.zip({ xs: tf.data.array(images), ys: tf.data.array(labels) });
const trainer = new PrivacyEngine().makePrivateWithEpsilon({
  model,
  lossFn, // per-example: (yTrue, logits) => [B]
  datasetSize: N, // or data: { x, y } tensors, then trainer.fit()
  epochs: 50,
  targetEpsilon: 8,
  targetDelta: N ** -1.1,
  maxGradNorm: 1,
  learningRate: 1,
  batchSize: 1024,
  mode: 'Multi-Epoch-BLT',
  participation: 'minSep',
  errorType: 'rmse',
  bufferCount: 4,
});
// Replaces the loop: the engine draws each batch, clips per example, adds the correlated noise, steps.
await trainer.fit(dataset, {
  callbacks: { onEpochEnd: (epoch, logs) => console.log(epoch, logs.loss, logs.epsilon) },
});
console.log(trainer.getEpsilon());
trainer.dispose(); // frees the tensors the engine read from the dataset
