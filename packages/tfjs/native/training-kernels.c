// WASM SIMD training kernels for the @cnm/tfjs wasm kernel pack.
//
// The module imports the memory of the tfjs wasm backend and works on tensors in place (pointers are byte
// offsets into that memory). It must not touch memory it does not own: it has no data segment and uses no
// shadow stack (no arrays or address-taken locals), which build.sh checks on the compiled module. Outputs are
// zeroed by the caller (the JS side) where a kernel accumulates.
//
// Build: native/build.sh (clang + wasm-ld, -msimd128).

#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// Filter gradient of a 2-D convolution, NHWC input, HWIO filter:
//   dw[kh][kw][ci][co] += sum over (b, oh, ow) of x[b][ih][iw][ci] * dy[b][oh][ow][co]
// with ih = oh*strideH + kh*dilationH - padTop, iw = ow*strideW + kw*dilationW - padLeft inside the image.
// Register tiles of 4 input channels x 8 output channels are accumulated over one output row at a time, while
// that row of dy and the matching rows of x stay in the L1 cache.
EXPORT(conv2d_backprop_filter)
void conv2d_backprop_filter(const float *x, const float *dy, float *dw, int batch, int in_h, int in_w,
                            int in_c, int out_h, int out_w, int out_c, int filter_h, int filter_w,
                            int stride_h, int stride_w, int dilation_h, int dilation_w, int pad_top,
                            int pad_left) {
  const int ci4 = in_c & ~3;
  const int co8 = out_c & ~7;
  const int co4 = out_c & ~3;
  for (int b = 0; b < batch; b++) {
    for (int oh = 0; oh < out_h; oh++) {
      const float *dy_row = dy + ((long)(b * out_h + oh) * out_w) * out_c;
      for (int kh = 0; kh < filter_h; kh++) {
        const int ih = oh * stride_h + kh * dilation_h - pad_top;
        if (ih < 0 || ih >= in_h) continue;
        const float *x_row = x + ((long)(b * in_h + ih) * in_w) * in_c;
        for (int kw = 0; kw < filter_w; kw++) {
          const int offset = kw * dilation_w - pad_left;
          // Output columns whose input column lies inside the image.
          int lo = 0;
          if (offset < 0) lo = (-offset + stride_w - 1) / stride_w;
          int hi = out_w;
          const int last = in_w - 1 - offset;  // largest allowed ow * stride_w
          if (last < 0) continue;
          if (last / stride_w + 1 < hi) hi = last / stride_w + 1;
          if (lo >= hi) continue;
          const int x_step = stride_w * in_c;
          const float *x_start = x_row + (long)(lo * stride_w + offset) * in_c;
          const float *dy_start = dy_row + (long)lo * out_c;
          float *w_block = dw + (long)(kh * filter_w + kw) * in_c * out_c;
          int ci = 0;
          for (; ci < ci4; ci += 4) {
            float *w0 = w_block + (long)ci * out_c;
            float *w1 = w0 + out_c;
            float *w2 = w1 + out_c;
            float *w3 = w2 + out_c;
            int co = 0;
            for (; co < co8; co += 8) {
              v128_t a00 = wasm_v128_load(w0 + co), a01 = wasm_v128_load(w0 + co + 4);
              v128_t a10 = wasm_v128_load(w1 + co), a11 = wasm_v128_load(w1 + co + 4);
              v128_t a20 = wasm_v128_load(w2 + co), a21 = wasm_v128_load(w2 + co + 4);
              v128_t a30 = wasm_v128_load(w3 + co), a31 = wasm_v128_load(w3 + co + 4);
              const float *xp = x_start + ci;
              const float *dp = dy_start + co;
              for (int ow = lo; ow < hi; ow++) {
                const v128_t d0 = wasm_v128_load(dp), d1 = wasm_v128_load(dp + 4);
                const v128_t s0 = wasm_f32x4_splat(xp[0]), s1 = wasm_f32x4_splat(xp[1]);
                const v128_t s2 = wasm_f32x4_splat(xp[2]), s3 = wasm_f32x4_splat(xp[3]);
                a00 = wasm_f32x4_add(a00, wasm_f32x4_mul(s0, d0));
                a01 = wasm_f32x4_add(a01, wasm_f32x4_mul(s0, d1));
                a10 = wasm_f32x4_add(a10, wasm_f32x4_mul(s1, d0));
                a11 = wasm_f32x4_add(a11, wasm_f32x4_mul(s1, d1));
                a20 = wasm_f32x4_add(a20, wasm_f32x4_mul(s2, d0));
                a21 = wasm_f32x4_add(a21, wasm_f32x4_mul(s2, d1));
                a30 = wasm_f32x4_add(a30, wasm_f32x4_mul(s3, d0));
                a31 = wasm_f32x4_add(a31, wasm_f32x4_mul(s3, d1));
                xp += x_step;
                dp += out_c;
              }
              wasm_v128_store(w0 + co, a00);
              wasm_v128_store(w0 + co + 4, a01);
              wasm_v128_store(w1 + co, a10);
              wasm_v128_store(w1 + co + 4, a11);
              wasm_v128_store(w2 + co, a20);
              wasm_v128_store(w2 + co + 4, a21);
              wasm_v128_store(w3 + co, a30);
              wasm_v128_store(w3 + co + 4, a31);
            }
            for (; co < out_c; co++) {
              float t0 = w0[co], t1 = w1[co], t2 = w2[co], t3 = w3[co];
              const float *xp = x_start + ci;
              const float *dp = dy_start + co;
              for (int ow = lo; ow < hi; ow++) {
                const float d = *dp;
                t0 += xp[0] * d;
                t1 += xp[1] * d;
                t2 += xp[2] * d;
                t3 += xp[3] * d;
                xp += x_step;
                dp += out_c;
              }
              w0[co] = t0;
              w1[co] = t1;
              w2[co] = t2;
              w3[co] = t3;
            }
          }
          for (; ci < in_c; ci++) {
            float *w0 = w_block + (long)ci * out_c;
            int co = 0;
            for (; co < co4; co += 4) {
              v128_t a0 = wasm_v128_load(w0 + co);
              const float *xp = x_start + ci;
              const float *dp = dy_start + co;
              for (int ow = lo; ow < hi; ow++) {
                a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_f32x4_splat(*xp), wasm_v128_load(dp)));
                xp += x_step;
                dp += out_c;
              }
              wasm_v128_store(w0 + co, a0);
            }
            for (; co < out_c; co++) {
              float t0 = w0[co];
              const float *xp = x_start + ci;
              const float *dp = dy_start + co;
              for (int ow = lo; ow < hi; ow++) {
                t0 += *xp * *dp;
                xp += x_step;
                dp += out_c;
              }
              w0[co] = t0;
            }
          }
        }
      }
    }
  }
}

// Gradient of 2-D max pooling (NHWC): for every output position and channel, the first maximum of the window
// (strictly greater, -infinity start: windows without a finite maximum pass nothing) receives dy.
// dx must be zeroed by the caller.
EXPORT(max_pool_grad)
void max_pool_grad(const float *x, const float *dy, float *dx, int batch, int in_h, int in_w, int channels,
                   int out_h, int out_w, int filter_h, int filter_w, int stride_h, int stride_w, int pad_top,
                   int pad_left) {
  const long row_stride = (long)in_w * channels;
  for (int b = 0; b < batch; b++) {
    const long image = (long)b * in_h * row_stride;
    for (int oh = 0; oh < out_h; oh++) {
      const int h0 = oh * stride_h - pad_top;
      const int kh_lo = h0 < 0 ? -h0 : 0;
      const int kh_hi = in_h - h0 < filter_h ? in_h - h0 : filter_h;
      for (int ow = 0; ow < out_w; ow++) {
        const int w0 = ow * stride_w - pad_left;
        const int kw_lo = w0 < 0 ? -w0 : 0;
        const int kw_hi = in_w - w0 < filter_w ? in_w - w0 : filter_w;
        const float *g = dy + ((long)(b * out_h + oh) * out_w + ow) * channels;
        const long window = image + (long)h0 * row_stride + (long)w0 * channels;
        int c = 0;
        // Four channels at a time: lane-wise strict comparison keeps each lane's first maximum.
        for (; c + 4 <= channels; c += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          v128_t best_index = wasm_i32x4_splat(-1);
          for (int kh = kh_lo; kh < kh_hi; kh++) {
            long index = window + kh * row_stride + (long)kw_lo * channels + c;
            for (int kw = kw_lo; kw < kw_hi; kw++) {
              const v128_t value = wasm_v128_load(x + index);
              const v128_t greater = wasm_f32x4_gt(value, best);
              const v128_t lanes = wasm_i32x4_add(wasm_i32x4_splat((int)index), wasm_i32x4_make(0, 1, 2, 3));
              best = wasm_v128_bitselect(value, best, greater);
              best_index = wasm_v128_bitselect(lanes, best_index, greater);
              index += channels;
            }
          }
          const int i0 = wasm_i32x4_extract_lane(best_index, 0);
          const int i1 = wasm_i32x4_extract_lane(best_index, 1);
          const int i2 = wasm_i32x4_extract_lane(best_index, 2);
          const int i3 = wasm_i32x4_extract_lane(best_index, 3);
          if (i0 >= 0) dx[i0] += g[c];
          if (i1 >= 0) dx[i1] += g[c + 1];
          if (i2 >= 0) dx[i2] += g[c + 2];
          if (i3 >= 0) dx[i3] += g[c + 3];
        }
        for (; c < channels; c++) {
          float best = -__builtin_inff();
          long best_index = -1;
          for (int kh = kh_lo; kh < kh_hi; kh++) {
            long index = window + kh * row_stride + (long)kw_lo * channels + c;
            for (int kw = kw_lo; kw < kw_hi; kw++) {
              const float value = x[index];
              if (value > best) {
                best = value;
                best_index = index;
              }
              index += channels;
            }
          }
          if (best_index >= 0) dx[best_index] += g[c];
        }
      }
    }
  }
}

// Column sums of x viewed as [outer, inner] (a reduction over leading axes), accumulated in float64.
EXPORT(sum_leading_axes)
void sum_leading_axes(const float *x, float *out, int outer, int inner) {
  const int inner4 = inner & ~3;
  int c = 0;
  for (; c < inner4; c += 4) {
    v128_t lo = wasm_f64x2_splat(0.0), hi = wasm_f64x2_splat(0.0);
    const float *p = x + c;
    for (int r = 0; r < outer; r++) {
      const v128_t v = wasm_v128_load(p);
      lo = wasm_f64x2_add(lo, wasm_f64x2_promote_low_f32x4(v));
      hi = wasm_f64x2_add(hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1)));
      p += inner;
    }
    wasm_v128_store(out + c, wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo),
                                                wasm_f32x4_demote_f64x2_zero(hi), 0, 1, 4, 5));
  }
  for (; c < inner; c++) {
    double total = 0.0;
    const float *p = x + c;
    for (int r = 0; r < outer; r++) {
      total += *p;
      p += inner;
    }
    out[c] = (float)total;
  }
}

// 2-D max pooling (NHWC): each output is the largest value of its window, comparing strictly from -infinity
// (NaN never wins; a window entirely in the padding gives -infinity), as the cpu backend does.
EXPORT(max_pool)
void max_pool(const float *x, float *y, int batch, int in_h, int in_w, int channels, int out_h, int out_w,
              int filter_h, int filter_w, int stride_h, int stride_w, int pad_top, int pad_left) {
  const long row_stride = (long)in_w * channels;
  float *out = y;
  for (int b = 0; b < batch; b++) {
    const long image = (long)b * in_h * row_stride;
    for (int oh = 0; oh < out_h; oh++) {
      const int h0 = oh * stride_h - pad_top;
      const int kh_lo = h0 < 0 ? -h0 : 0;
      const int kh_hi = in_h - h0 < filter_h ? in_h - h0 : filter_h;
      for (int ow = 0; ow < out_w; ow++) {
        const int w0 = ow * stride_w - pad_left;
        const int kw_lo = w0 < 0 ? -w0 : 0;
        const int kw_hi = in_w - w0 < filter_w ? in_w - w0 : filter_w;
        const long window = image + (long)h0 * row_stride + (long)w0 * channels;
        int c = 0;
        for (; c + 4 <= channels; c += 4) {
          v128_t best = wasm_f32x4_splat(-__builtin_inff());
          for (int kh = kh_lo; kh < kh_hi; kh++) {
            long index = window + kh * row_stride + (long)kw_lo * channels + c;
            for (int kw = kw_lo; kw < kw_hi; kw++) {
              const v128_t value = wasm_v128_load(x + index);
              best = wasm_v128_bitselect(value, best, wasm_f32x4_gt(value, best));
              index += channels;
            }
          }
          wasm_v128_store(out + c, best);
        }
        for (; c < channels; c++) {
          float best = -__builtin_inff();
          for (int kh = kh_lo; kh < kh_hi; kh++) {
            long index = window + kh * row_stride + (long)kw_lo * channels + c;
            for (int kw = kw_lo; kw < kw_hi; kw++) {
              if (x[index] > best) best = x[index];
              index += channels;
            }
          }
          out[c] = best;
        }
        out += channels;
      }
    }
  }
}
