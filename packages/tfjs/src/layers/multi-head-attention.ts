import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** An initializer of {@link MultiHeadAttentionConfig}: an instance (from `tf.initializers`), its identifier, or its serialised form. */
export type AttentionInitializer =
  | string
  | {
      /** The initializer's registered class name. */
      getClassName(): string;
      /** The initializer's configuration. */
      getConfig(): object;
    }
  | {
      /** Registered class name. */
      className: string;
      /** Configuration. */
      config: object;
    };

/** Configuration of {@link multiHeadAttention} (Keras names, camel-cased). */
export interface MultiHeadAttentionConfig {
  /** Number of attention heads, an integer ≥ 1. */
  numHeads: number;
  /** Size of each head's queries and keys, an integer ≥ 1. */
  keyDim: number;
  /** Size of each head's values, an integer ≥ 1; default `keyDim`. */
  valueDim?: number;
  /** Size of the output at each query position; default the query's last dimension. */
  outputDim?: number;
  /** Whether the four projections have biases; default true. */
  useBias?: boolean;
  /** Whether position `i` attends only to positions `j ≤ i` (decoder self-attention); default false. */
  causal?: boolean;
  /** Initializer of the projection kernels; default `'glorotUniform'`. */
  kernelInitializer?: AttentionInitializer;
  /** Initializer of the projection biases; default `'zeros'`. */
  biasInitializer?: AttentionInitializer;
  /** Layer name. */
  name?: string;
  /** Whether the layer's weights are trained; default true. */
  trainable?: boolean;
  /** Input shape without the batch axis (first layer of a Sequential model, self-attention). */
  inputShape?: number[];
}

/** A tfjs-layers shape: `null` for an unknown (batch) dimension. */
export type LayerShape = (number | null)[];

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be an integer >= 1, got ${String(value)}`);
  }
  return value;
}

function serializedInitializer(init: AttentionInitializer): AttentionInitializer {
  if (typeof init === 'object' && 'getClassName' in init) {
    return { className: init.getClassName(), config: init.getConfig() };
  }
  return init;
}

/**
 * Multi-head attention (Vaswani et al. 2017; the Keras layer's semantics): queries, keys and values are projected
 * by Dense layers per head, `softmax(q·kᵀ/√keyDim)·v` is taken per head, and the heads are projected back.
 * Called on one tensor `[B, T, d]` for self-attention, or on `[query, value]` / `[query, value, key]` for
 * cross-attention. Masks: padding masks that earlier layers propagate (Embedding with `maskZero`, Masking) hide
 * padded keys and queries, `causal` hides later positions, and an `attentionMask` keyword argument (`[B, Tq, Tk]`,
 * 1 = attend) can be given when the layer is called directly.
 *
 * Its four projections are ordinary Dense layers (listed in `layers`), so the privacy engine computes their
 * per-example gradients with the Dense rule, as Opacus's DPMultiheadAttention does with its Linear layers.
 */
export class MultiHeadAttention extends tfl.layers.Layer {
  /** The name tfjs-layers serialises. */
  static className = 'MultiHeadAttention';
  /** Number of attention heads. */
  readonly numHeads: number;
  /** Size of each head's queries and keys. */
  readonly keyDim: number;
  /** Size of each head's values. */
  readonly valueDim: number;
  /** Size of the output at each position; `undefined`: the query's last dimension. */
  readonly outputDim: number | undefined;
  /** Whether the projections have biases. */
  readonly useBias: boolean;
  /** Whether each position attends only to itself and earlier positions. */
  readonly causal: boolean;
  private readonly kernelInitializer: AttentionInitializer;
  private readonly biasInitializer: AttentionInitializer;
  private projections: tfl.layers.Layer[] = [];

  constructor(config: MultiHeadAttentionConfig) {
    super(config as never);
    this.numHeads = positiveInteger('numHeads', config.numHeads);
    this.keyDim = positiveInteger('keyDim', config.keyDim);
    this.valueDim = positiveInteger('valueDim', config.valueDim ?? config.keyDim);
    this.outputDim = config.outputDim == null ? undefined : positiveInteger('outputDim', config.outputDim);
    this.useBias = config.useBias ?? true;
    this.causal = config.causal ?? false;
    this.kernelInitializer = config.kernelInitializer ?? 'glorotUniform';
    this.biasInitializer = config.biasInitializer ?? 'zeros';
    this.supportsMasking = true;
  }

  /** The query, key, value and output projections (Dense layers), once built. */
  get layers(): tfl.layers.Layer[] {
    return this.projections;
  }

  /** Whether the layer's weights are trained (the projections follow it). */
  override get trainable(): boolean {
    return super.trainable;
  }

  /** Sets whether the layer's weights are trained, for every projection. */
  override set trainable(value: boolean) {
    super.trainable = value;
    for (const layer of this.projections ?? []) layer.trainable = value;
  }

  /** The projections' trainable weights (none when the layer is frozen). */
  override get trainableWeights(): tfl.LayerVariable[] {
    return this.trainable ? this.projections.flatMap((l) => l.trainableWeights) : [];
  }

  /** Ignored: the weights belong to the projections. */
  override set trainableWeights(_weights: tfl.LayerVariable[]) {
    // The weights belong to the projections.
  }

  /** The projections' non-trainable weights (all of them when the layer is frozen). */
  override get nonTrainableWeights(): tfl.LayerVariable[] {
    return this.trainable
      ? this.projections.flatMap((l) => l.nonTrainableWeights)
      : this.projections.flatMap((l) => l.weights);
  }

  private shapesOf(inputShape: LayerShape | LayerShape[]): {
    query: LayerShape;
    value: LayerShape;
    key: LayerShape;
  } {
    const list = Array.isArray(inputShape[0]) ? (inputShape as LayerShape[]) : [inputShape as LayerShape];
    if (list.length < 1 || list.length > 3 || list.some((s) => s.length !== 3)) {
      throw new RangeError(
        `layer ${this.name}: inputs must be one [batch, steps, features] tensor (self-attention) or [query, value] / [query, value, key]`,
      );
    }
    const query = list[0]!;
    const value = list[1] ?? query;
    return { query, value, key: list[2] ?? value };
  }

  override build(inputShape: LayerShape | LayerShape[]): void {
    const { query, value, key } = this.shapesOf(inputShape);
    const dense = (suffix: string, units: number, inputDim: number) => {
      const layer = tfl.layers.dense({
        units,
        useBias: this.useBias,
        kernelInitializer: this.kernelInitializer as never,
        biasInitializer: this.biasInitializer as never,
        name: `${this.name}_${suffix}`,
        trainable: this.trainable,
      });
      // Weights are saved under their scoped names (this layer's name + weight name): prefix each projection's
      // weight names, or the four projections' kernels would all be saved as ".../kernel".
      const open = layer as unknown as { addWeight: (...args: unknown[]) => tfl.LayerVariable };
      const addWeight = open.addWeight;
      open.addWeight = (name, ...rest) => addWeight.call(layer, `${suffix}_${String(name)}`, ...rest);
      try {
        layer.build([null, null, inputDim]);
      } finally {
        open.addWeight = addWeight;
      }
      layer.built = true;
      return layer;
    };
    this.projections = [
      dense('query', this.numHeads * this.keyDim, query[2]!),
      dense('key', this.numHeads * this.keyDim, key[2]!),
      dense('value', this.numHeads * this.valueDim, value[2]!),
      dense('output', this.outputDim ?? query[2]!, this.numHeads * this.valueDim),
    ];
    this.built = true;
  }

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
    const { query } = this.shapesOf(inputShape);
    return [query[0]!, query[1]!, this.outputDim ?? query[2]!];
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor {
    // The output has the query's positions, so it keeps the query's padding mask (none: null, as tfjs-layers).
    const queryMask = Array.isArray(mask) ? mask[0] : mask;
    return (queryMask ?? null) as unknown as tf.Tensor;
  }

  /** `[B, T, heads·size]` -> `[B, heads, T, size]`. */
  private splitHeads(x: tf.Tensor, size: number): tf.Tensor {
    const [batch, steps] = x.shape as [number, number];
    return tf.transpose(tf.reshape(x, [batch, steps, this.numHeads, size]), [0, 2, 1, 3]);
  }

  /** Where each query may attend, `[B, 1, Tq, Tk]` bool, or undefined when everything may. */
  private attendMask(
    batch: number,
    queryLength: number,
    keyLength: number,
    kwargs: Record<string, unknown>,
  ): tf.Tensor | undefined {
    const parts: tf.Tensor[] = [];
    const given = kwargs.mask;
    const masks = (Array.isArray(given) ? given : [given]) as (tf.Tensor | null | undefined)[];
    const [queryMask, valueMask, keyMask] = [
      masks[0],
      masks[1] ?? (masks.length === 1 ? masks[0] : undefined),
      masks[2],
    ];
    if (queryMask != null) parts.push(tf.reshape(tf.cast(queryMask, 'bool'), [batch, queryLength, 1]));
    for (const m of [valueMask, keyMask]) {
      if (m != null) parts.push(tf.reshape(tf.cast(m, 'bool'), [batch, 1, keyLength]));
    }
    if (this.causal)
      parts.push(tf.cast(tf.linalg.bandPart(tf.ones([queryLength, keyLength]), -1, 0), 'bool'));
    const attentionMask = kwargs.attentionMask;
    if (attentionMask != null) {
      if (!(attentionMask instanceof tf.Tensor) || attentionMask.rank !== 3) {
        throw new RangeError(
          `layer ${this.name}: attentionMask must be a [batch, queryLength, keyLength] tensor`,
        );
      }
      parts.push(tf.cast(attentionMask, 'bool'));
    }
    if (parts.length === 0) return undefined;
    let combined = parts[0]!;
    for (const p of parts.slice(1)) combined = tf.logicalAnd(combined, p);
    return tf.expandDims(tf.broadcastTo(combined, [batch, queryLength, keyLength]), 1);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const query = list[0]!;
    const value = list[1] ?? query;
    const key = list[2] ?? value;
    const [queryProjection, keyProjection, valueProjection, outputProjection] = this.projections as [
      tfl.layers.Layer,
      tfl.layers.Layer,
      tfl.layers.Layer,
      tfl.layers.Layer,
    ];
    const [batch, queryLength] = query.shape as [number, number];
    const keyLength = key.shape[1]!;
    // Dense layers are called through `call` (not `apply`), so the privacy engine's recording sees every call.
    const project = (layer: tfl.layers.Layer, x: tf.Tensor) => layer.call(x, {}) as tf.Tensor;
    const q = this.splitHeads(project(queryProjection, query), this.keyDim);
    const k = this.splitHeads(project(keyProjection, key), this.keyDim);
    const v = this.splitHeads(project(valueProjection, value), this.valueDim);
    let scores = tf.mul(tf.matMul(q, tf.transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(this.keyDim));
    const attend = this.attendMask(batch, queryLength, keyLength, kwargs ?? {});
    if (attend != null)
      scores = tf.where(tf.broadcastTo(attend, scores.shape), scores, tf.fill(scores.shape, -1e9));
    const context = tf.matMul(tf.softmax(scores, -1), v);
    const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [
      batch,
      queryLength,
      this.numHeads * this.valueDim,
    ]);
    return project(outputProjection, merged);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      ...(this.outputDim != null ? { outputDim: this.outputDim } : {}),
      useBias: this.useBias,
      causal: this.causal,
      kernelInitializer: serializedInitializer(this.kernelInitializer) as tf.serialization.ConfigDictValue,
      biasInitializer: serializedInitializer(this.biasInitializer) as tf.serialization.ConfigDictValue,
    };
  }
}

tf.serialization.registerClass(MultiHeadAttention);

/**
 * A multi-head attention layer for tfjs-layers models ({@link MultiHeadAttention}), trainable with per-example
 * clipping: its projections are Dense layers, whose per-example gradients the engine computes by book-keeping.
 */
export function multiHeadAttention(config: MultiHeadAttentionConfig): MultiHeadAttention {
  return new MultiHeadAttention(config);
}
