import * as tf from '@tensorflow/tfjs-core';

/** Geometry of a 2-D convolution (NHWC). */
export interface ConvGeometry {
  /** Kernel height and width. */
  readonly kernelSize: readonly [number, number];
  /** Strides along height and width. */
  readonly strides: readonly [number, number];
  /** Dilation rates along height and width. */
  readonly dilations: readonly [number, number];
  /** Padding mode, as tfjs computes it. */
  readonly padding: 'same' | 'valid';
}

/** Output length and leading padding of one spatial axis, with tfjs's own rules for 'same' and 'valid'. */
export function convAxis(
  inSize: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'same' | 'valid',
): { outSize: number; padBefore: number; padAfter: number } {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'valid') {
    return { outSize: Math.floor((inSize - effective) / stride) + 1, padBefore: 0, padAfter: 0 };
  }
  const outSize = Math.ceil(inSize / stride);
  const total = Math.max(0, (outSize - 1) * stride + effective - inSize);
  const padBefore = Math.floor(total / 2);
  return { outSize, padBefore, padAfter: total - padBefore };
}

/** Patch widths (kh·kw·C) up to which patches come from one convolution with a 0/1 selection kernel. */
const IDENTITY_CONV_MAX_WIDTH = 256;

const identityKernels = new Map<string, tf.Tensor4D>();

/**
 * The 0/1 kernel `[kh, kw, C, kh·kw·C]` whose convolution copies every patch into the channel axis, in the order
 * of a kernel flattened to `[kh·kw·C, F]`. Cached (kept alive) per shape: a handful per model.
 */
function identityKernel(kh: number, kw: number, channels: number): tf.Tensor4D {
  const key = `${kh},${kw},${channels}`;
  let kernel = identityKernels.get(key);
  if (kernel == null || kernel.isDisposed) {
    const width = kh * kw * channels;
    kernel = tf.keep(tf.reshape(tf.eye(width), [kh, kw, channels, width]) as tf.Tensor4D);
    identityKernels.set(key, kernel);
  }
  return kernel;
}

/**
 * Image patches ("im2col") of an NHWC tensor: `[B, Ho·Wo, kh·kw·C]`, ordered like a kernel `[kh, kw, C, F]`
 * flattened to `[kh·kw·C, F]`, so a convolution equals `patches · kernel`. Narrow patches come from one forward
 * convolution with a 0/1 selection kernel (exact: each output is one input times 1 plus zeros; and fast where
 * convolution is, e.g. XNNPACK on wasm); wide ones from strided slices (pure copies).
 */
export function extractPatches(x: tf.Tensor4D, geometry: ConvGeometry): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, height, imageWidth, channels] = x.shape;
    const [kh, kw] = geometry.kernelSize;
    const [sh, sw] = geometry.strides;
    const [dh, dw] = geometry.dilations;
    const patchWidth = kh * kw * channels;
    if (patchWidth <= IDENTITY_CONV_MAX_WIDTH && (kh > 1 || kw > 1 || sh > 1 || sw > 1)) {
      const copied = tf.conv2d(x, identityKernel(kh, kw, channels), [sh, sw], geometry.padding, 'NHWC', [
        dh,
        dw,
      ]);
      return tf.reshape(copied, [batch, copied.shape[1] * copied.shape[2], patchWidth]);
    }
    const rows = convAxis(height, kh, sh, dh, geometry.padding);
    const cols = convAxis(imageWidth, kw, sw, dw, geometry.padding);
    const padded =
      rows.padBefore + rows.padAfter + cols.padBefore + cols.padAfter > 0
        ? tf.pad(x, [
            [0, 0],
            [rows.padBefore, rows.padAfter],
            [cols.padBefore, cols.padAfter],
            [0, 0],
          ])
        : x;
    const slices: tf.Tensor4D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        slices.push(
          tf.stridedSlice(
            padded,
            [0, i * dh, j * dw, 0],
            [batch, i * dh + (rows.outSize - 1) * sh + 1, j * dw + (cols.outSize - 1) * sw + 1, channels],
            [1, sh, sw, 1],
          ) as tf.Tensor4D,
        );
      }
    }
    const stacked = slices.length === 1 ? slices[0]! : tf.concat(slices, 3);
    return tf.reshape(stacked, [batch, rows.outSize * cols.outSize, kh * kw * channels]);
  });
}
