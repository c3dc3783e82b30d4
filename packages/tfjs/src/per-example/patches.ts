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

/**
 * Image patches ("im2col") of an NHWC tensor: `[B, Ho·Wo, kh·kw·C]`, ordered like a kernel `[kh, kw, C, F]`
 * flattened to `[kh·kw·C, F]`, so a convolution equals `patches · kernel`. Built from strided slices (pure
 * copies: exact, and fast on every backend).
 */
export function extractPatches(x: tf.Tensor4D, geometry: ConvGeometry): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, height, width, channels] = x.shape;
    const [kh, kw] = geometry.kernelSize;
    const [sh, sw] = geometry.strides;
    const [dh, dw] = geometry.dilations;
    const rows = convAxis(height, kh, sh, dh, geometry.padding);
    const cols = convAxis(width, kw, sw, dw, geometry.padding);
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
