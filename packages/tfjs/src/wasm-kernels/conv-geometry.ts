import type { backend_util } from '@tensorflow/tfjs-core';
import type { ConvGeometry } from './im2col';

/** The layout-independent convolution geometry of a tfjs `Conv2DInfo`. */
export function geometryOf(info: backend_util.Conv2DInfo): ConvGeometry {
  return {
    batchSize: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Permutation from NCHW to NHWC. */
export const NCHW_TO_NHWC = [0, 2, 3, 1];
/** Permutation from NHWC to NCHW. */
export const NHWC_TO_NCHW = [0, 3, 1, 2];
