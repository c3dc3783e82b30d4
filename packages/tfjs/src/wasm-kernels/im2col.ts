/**
 * Patch extraction (im2col) and its adjoint (col2im) for NHWC convolutions, written as plain loops over
 * Float32Arrays so that they can run on views of the wasm heap. Both use the layout in which the patch index
 * `(kh, kw, ci)` matches tfjs's filter layout `[filterHeight, filterWidth, inChannels, outChannels]`.
 */

/** Geometry of a 2-D convolution in NHWC layout, with explicit padding. */
export interface ConvGeometry {
  /** Number of images in the batch. */
  batchSize: number;
  /** Input height. */
  inHeight: number;
  /** Input width. */
  inWidth: number;
  /** Input channels. */
  inChannels: number;
  /** Output height. */
  outHeight: number;
  /** Output width. */
  outWidth: number;
  /** Filter height. */
  filterHeight: number;
  /** Filter width. */
  filterWidth: number;
  /** Vertical stride. */
  strideHeight: number;
  /** Horizontal stride. */
  strideWidth: number;
  /** Vertical dilation. */
  dilationHeight: number;
  /** Horizontal dilation. */
  dilationWidth: number;
  /** Rows of zero padding above the input. */
  padTop: number;
  /** Columns of zero padding left of the input. */
  padLeft: number;
}

/**
 * The output columns `ow` in `[lo, hi)` whose input column `ow * stride + k * dilation - pad` lies inside
 * `[0, inSize)`.
 */
function validOutputRange(
  outSize: number,
  inSize: number,
  stride: number,
  offset: number,
): { lo: number; hi: number } {
  // offset = k * dilation - pad; input index = o * stride + offset.
  const lo = offset >= 0 ? 0 : Math.ceil(-offset / stride);
  const hi = Math.min(outSize, Math.floor((inSize - 1 - offset) / stride) + 1);
  const clampedLo = Math.min(lo, outSize);
  return { lo: clampedLo, hi: Math.max(hi, clampedLo) };
}

/**
 * Writes the transposed patch matrix of images `[batchStart, batchEnd)` of `x` into `colsT`, laid out as
 * `[filterHeight * filterWidth * inChannels, columnCount]` (row = patch element, column = output position
 * `(b - batchStart, oh, ow)`, `columnCount = (batchEnd - batchStart) * outHeight * outWidth`). Positions that
 * fall into the padding are written as zeros.
 */
export function im2colTransposed(
  x: Float32Array,
  colsT: Float32Array,
  g: ConvGeometry,
  batchStart: number,
  batchEnd: number,
): void {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = g;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft } = g;
  const positionsPerImage = outHeight * outWidth;
  const columnCount = (batchEnd - batchStart) * positionsPerImage;
  const imageSize = inHeight * inWidth * inChannels;
  const rowStride = inWidth * inChannels;
  const colStep = strideWidth * inChannels;
  const rowRanges: { lo: number; hi: number }[] = [];
  for (let kh = 0; kh < filterHeight; kh++) {
    rowRanges.push(validOutputRange(outHeight, inHeight, strideHeight, kh * dilationHeight - padTop));
  }
  const colRanges: { lo: number; hi: number }[] = [];
  for (let kw = 0; kw < filterWidth; kw++) {
    colRanges.push(validOutputRange(outWidth, inWidth, strideWidth, kw * dilationWidth - padLeft));
  }
  // Images are processed in small blocks so that the input block stays in cache while every patch row reads it.
  const imagesPerBlock = Math.max(1, Math.ceil(512 / Math.max(1, positionsPerImage)));
  for (let blockStart = batchStart; blockStart < batchEnd; blockStart += imagesPerBlock) {
    const blockEnd = Math.min(batchEnd, blockStart + imagesPerBlock);
    for (let kh = 0; kh < filterHeight; kh++) {
      const rowOffset = kh * dilationHeight - padTop;
      const rows = rowRanges[kh]!;
      for (let kw = 0; kw < filterWidth; kw++) {
        const colOffset = kw * dilationWidth - padLeft;
        const cols = colRanges[kw]!;
        for (let ci = 0; ci < inChannels; ci++) {
          const rowBase = ((kh * filterWidth + kw) * inChannels + ci) * columnCount;
          for (let b = blockStart; b < blockEnd; b++) {
            const imageBase = rowBase + (b - batchStart) * positionsPerImage;
            const xImage = b * imageSize + ci;
            for (let oh = 0; oh < outHeight; oh++) {
              const dst = imageBase + oh * outWidth;
              if (oh < rows.lo || oh >= rows.hi) {
                colsT.fill(0, dst, dst + outWidth);
                continue;
              }
              const ih = oh * strideHeight + rowOffset;
              if (cols.lo > 0) colsT.fill(0, dst, dst + cols.lo);
              let src = xImage + ih * rowStride + (cols.lo * strideWidth + colOffset) * inChannels;
              for (let ow = cols.lo; ow < cols.hi; ow++) {
                colsT[dst + ow] = x[src]!;
                src += colStep;
              }
              if (cols.hi < outWidth) colsT.fill(0, dst + cols.hi, dst + outWidth);
            }
          }
        }
      }
    }
  }
}

/**
 * Adds the patch-gradient matrix `cols` (`[batchSize * outHeight * outWidth, filterHeight * filterWidth *
 * inChannels]`, row = output position, column = patch element) back onto the input gradient `dx` (NHWC,
 * zero-initialised by the caller): the adjoint of patch extraction.
 */
export function col2imAccumulate(cols: Float32Array, dx: Float32Array, g: ConvGeometry): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = g;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft } = g;
  const patchSize = filterHeight * filterWidth * inChannels;
  const imageSize = inHeight * inWidth * inChannels;
  const rowStride = inWidth * inChannels;
  const rowRanges: { lo: number; hi: number }[] = [];
  for (let kh = 0; kh < filterHeight; kh++) {
    rowRanges.push(validOutputRange(outHeight, inHeight, strideHeight, kh * dilationHeight - padTop));
  }
  const colRanges: { lo: number; hi: number }[] = [];
  for (let kw = 0; kw < filterWidth; kw++) {
    colRanges.push(validOutputRange(outWidth, inWidth, strideWidth, kw * dilationWidth - padLeft));
  }
  for (let b = 0; b < batchSize; b++) {
    for (let kh = 0; kh < filterHeight; kh++) {
      const rowOffset = kh * dilationHeight - padTop;
      const rowRange = rowRanges[kh]!;
      for (let kw = 0; kw < filterWidth; kw++) {
        const colOffset = kw * dilationWidth - padLeft;
        const colRange = colRanges[kw]!;
        const patchBase = (kh * filterWidth + kw) * inChannels;
        for (let oh = rowRange.lo; oh < rowRange.hi; oh++) {
          const dxRow = b * imageSize + (oh * strideHeight + rowOffset) * rowStride;
          for (let ow = colRange.lo; ow < colRange.hi; ow++) {
            const src = ((b * outHeight + oh) * outWidth + ow) * patchSize + patchBase;
            const dst = dxRow + (ow * strideWidth + colOffset) * inChannels;
            for (let ci = 0; ci < inChannels; ci++) {
              dx[dst + ci] = dx[dst + ci]! + cols[src + ci]!;
            }
          }
        }
      }
    }
  }
}

/**
 * True when {@link im2colTransposedFromPlanes} applies: stride 1 and an output the size of the input (for
 * example 'same' padding with an odd filter), so every patch row is the channel plane shifted by a constant.
 */
export function isShiftedPlaneCase(g: ConvGeometry): boolean {
  return (
    g.strideHeight === 1 && g.strideWidth === 1 && g.outHeight === g.inHeight && g.outWidth === g.inWidth
  );
}

/**
 * The transposed patch matrix (same layout as {@link im2colTransposed}) for the {@link isShiftedPlaneCase}
 * geometry, from `planes`, the input laid out channel-major as `[inChannels, batch, height, width]` for images
 * `[batchStart, batchEnd)` only. Each patch row is one contiguous copy of a channel plane shifted by the filter
 * offset, after which the positions whose source lies in the padding are zeroed.
 */
export function im2colTransposedFromPlanes(
  planes: Float32Array,
  colsT: Float32Array,
  g: ConvGeometry,
  imageCount: number,
): void {
  const { inHeight: height, inWidth: width, inChannels, filterHeight, filterWidth } = g;
  const { dilationHeight, dilationWidth, padTop, padLeft } = g;
  const planeSize = imageCount * height * width;
  const imageSize = height * width;
  for (let kh = 0; kh < filterHeight; kh++) {
    const dh = kh * dilationHeight - padTop;
    for (let kw = 0; kw < filterWidth; kw++) {
      const dw = kw * dilationWidth - padLeft;
      const shift = dh * width + dw;
      for (let ci = 0; ci < inChannels; ci++) {
        const rowBase = ((kh * filterWidth + kw) * inChannels + ci) * planeSize;
        const planeBase = ci * planeSize;
        // Copy the plane shifted by `shift`, clipped to the plane.
        const start = Math.max(0, -shift);
        const end = Math.min(planeSize, planeSize - shift);
        if (end > start) {
          colsT.set(planes.subarray(planeBase + start + shift, planeBase + end + shift), rowBase + start);
        }
        colsT.fill(0, rowBase, rowBase + Math.min(planeSize, start));
        colsT.fill(0, rowBase + Math.max(start, end), rowBase + planeSize);
        // Zero the positions whose source row or column falls outside their own image.
        for (let b = 0; b < imageCount; b++) {
          const imageBase = rowBase + b * imageSize;
          if (dh < 0) colsT.fill(0, imageBase, imageBase + Math.min(height, -dh) * width);
          if (dh > 0) colsT.fill(0, imageBase + Math.max(0, height - dh) * width, imageBase + imageSize);
          if (dw !== 0) {
            const lo = dw < 0 ? 0 : Math.max(0, width - dw);
            const hi = dw < 0 ? Math.min(width, -dw) : width;
            for (let oh = 0; oh < height; oh++) {
              const rowStart = imageBase + oh * width;
              for (let ow = lo; ow < hi; ow++) colsT[rowStart + ow] = 0;
            }
          }
        }
      }
    }
  }
}
