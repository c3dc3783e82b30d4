import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import type { LayerVariable, layers } from '@tensorflow/tfjs-layers';
import type { ConvGeometry } from './patches';

/** A tfjs-layers layer instance (`tf.layers.Layer`). */
export type AnyLayer = layers.Layer;

/** Keyword arguments tfjs-layers passes to `Layer.call` (`training`, `mask`, ...). */
export type LayerCallKwargs = Record<string, unknown>;

/**
 * What the engine hands a rule while the recording forward pass runs.
 */
export interface RecordingContext {
  /**
   * Marks a pre-activation `z` and returns a tensor equal to it (an alias, no copy) whose backward pass captures
   * `dLoss/dz` of the summed per-example loss; the rule later receives that gradient, in the order the taps
   * were created.
   */
  tap(preActivation: Tensor): Tensor;
  /** Keeps a tensor (a layer input, an intermediate) alive until the records of the step are released. */
  save<T extends Tensor>(tensor: T): T;
  /**
   * The rule of a layer nested in this one (the directions of a Bidirectional, the layer a TimeDistributed
   * wraps): the registered rule of its class, else the exact fallback.
   */
  ruleFor(layer: AnyLayer): LayerRule<unknown>;
}

/**
 * One variable's per-example gradients, as a product of two per-example matrices: example `i`'s gradient is
 * `left[i]ᵀ · right[i]` (shape `[K, F]`) reshaped to the variable's shape. Dense and convolution kernels take
 * this form (`left` = inputs or image patches, `right` = pre-activation gradients), which lets the engine choose
 * between ghost (Gram matrix) norms and materialised per-example gradients, and compute the clipped sum as one
 * matrix product.
 */
export interface OuterProductContribution {
  /** Discriminant. */
  readonly kind: 'outer';
  /** Per-example left factors, `[B, T, K]`. */
  readonly left: Tensor;
  /** Per-example right factors, `[B, T, F]`. */
  readonly right: Tensor;
}

/**
 * One variable's per-example gradients, already materialised as `[B, ...variableShape]`.
 */
export interface MaterializedContribution {
  /** Discriminant. */
  readonly kind: 'materialized';
  /** Per-example gradients, `[B, ...variableShape]`. */
  readonly perExample: Tensor;
}

/**
 * One variable's per-example gradients for a row lookup (embedding): example `i`'s gradient has row
 * `indices[i, t]` incremented by `right[i, t]` for every position `t`.
 */
export interface RowLookupContribution {
  /** Discriminant. */
  readonly kind: 'rows';
  /** Looked-up rows, `[B, T]`, int32. */
  readonly indices: Tensor;
  /** Gradient with respect to each looked-up row, `[B, T, F]`. */
  readonly right: Tensor;
  /** Number of rows of the variable (vocabulary size). */
  readonly rowCount: number;
}

/**
 * One variable's per-example gradients for a 2-D convolution kernel `[kh, kw, C, F]` (NHWC): example `i`'s
 * gradient is the filter gradient of its own input and pre-activation gradient. Equivalent to an
 * {@link OuterProductContribution} whose left factor is the input's image patches, but lets the engine compute
 * per-example gradients without extracting patches where a fast kernel exists (the wasm backend).
 */
export interface ConvolutionContribution {
  /** Discriminant. */
  readonly kind: 'convolution';
  /** Layer input, `[B, H, W, C]`. */
  readonly input: Tensor4D;
  /** Gradient of the pre-activation (convolution output before bias), `[B, Ho, Wo, F]`. */
  readonly grad: Tensor4D;
  /** Kernel size, strides, dilations and padding of the convolution. */
  readonly geometry: ConvGeometry;
}

/** Per-example gradient information for one variable, in one of the forms the engine understands. */
export type GradientContribution =
  | OuterProductContribution
  | ConvolutionContribution
  | MaterializedContribution
  | RowLookupContribution;

/** What a rule's tapped forward returns. */
export interface RecordedForward<TRecord> {
  /** The layer's output, exactly what its own `call` would return. */
  readonly output: Tensor | Tensor[];
  /** What {@link LayerRule.contributions} needs later (tensors in it must have been passed through `save`). */
  readonly record: TRecord;
}

/**
 * A per-layer rule: how one layer class computes its output with taps during the recording pass, and how its
 * per-example gradients follow from the record and the taps' gradients.
 */
export interface LayerRule<TRecord = unknown> {
  /**
   * Computes the layer's output like the layer's own `call`, but with every pre-activation computed unfused and
   * passed through `context.tap`, and returns what the gradient step needs later.
   */
  forward(
    layer: AnyLayer,
    inputs: Tensor[],
    kwargs: LayerCallKwargs,
    context: RecordingContext,
  ): RecordedForward<TRecord>;
  /**
   * Turns one call's record and its taps' gradients (same order as the taps were created, each `[B, ...]`) into
   * per-variable contributions. Only variables present in the returned map are trained; the engine drops the
   * layer's frozen variables.
   */
  contributions(
    layer: AnyLayer,
    record: TRecord,
    tapGradients: Tensor[],
  ): Map<LayerVariable, GradientContribution>;
  /**
   * Optional: the names of layer fields holding variables the rule handles, used by the validator to make sure
   * every trainable variable of the layer is covered.
   */
  readonly description?: string;
}
