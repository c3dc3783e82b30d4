export {
  AdaptiveClipNorm,
  type AdaptiveClipNormOptions,
  type AdaptiveClipping,
  adaptiveGradientNoiseMultiplier,
  CLIP_NORM_EPSILON,
  type ClippingOptions,
  clipFactor,
  clippingSensitivity,
  type FlatClipping,
  type PerLayerClipping,
} from './clipping';
export {
  type ClippedGradients,
  type ClippedGradientsOptions,
  computeClippedGradients,
  type PerExampleLossFn,
  type PerExampleMethod,
} from './compute-clipped-gradients';
export { collectTrainableLayers, type TrainableLayer } from './per-example/model-layers';
export { type ConvGeometry, extractPatches } from './per-example/patches';
export {
  getLayerRule,
  registerLayerRule,
  supportedLayerClasses,
  unregisterLayerRule,
} from './per-example/registry';
export type {
  AnyLayer,
  GradientContribution,
  LayerCallKwargs,
  LayerRule,
  MaterializedContribution,
  OuterProductContribution,
  RecordedForward,
  RecordingContext,
  RowLookupContribution,
} from './per-example/types';
