// WASM SIMD kernels for per-example gradient clipping in @cnm/tfjs.
//
// Like native/training-kernels.c, the module imports the memory of the tfjs wasm backend and works on tensors
// in place (pointers are byte offsets into that memory); it has no data segment and uses no shadow stack, which
// build.sh checks on the compiled module.
//
// Build: native/build.sh (clang + wasm-ld, -msimd128).

#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

// out[r] = sum over c of g[r][c]^2 for a row-major [rows, cols] matrix, with 4 float32 lanes x 2 partial sums
// per row, reduced in float64 at the end of each row.
EXPORT(row_squared_norms)
void row_squared_norms(const float *g, float *out, int rows, int cols) {
  const int cols8 = cols & ~7;
  for (int r = 0; r < rows; r++) {
    const float *row = g + (long)r * cols;
    v128_t a0 = wasm_f32x4_splat(0.0f);
    v128_t a1 = wasm_f32x4_splat(0.0f);
    int c = 0;
    for (; c < cols8; c += 8) {
      v128_t v0 = wasm_v128_load(row + c);
      v128_t v1 = wasm_v128_load(row + c + 4);
      a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(v0, v0));
      a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(v1, v1));
    }
    v128_t a = wasm_f32x4_add(a0, a1);
    double total = (double)wasm_f32x4_extract_lane(a, 0) + (double)wasm_f32x4_extract_lane(a, 1) +
                   (double)wasm_f32x4_extract_lane(a, 2) + (double)wasm_f32x4_extract_lane(a, 3);
    for (; c < cols; c++) total += (double)row[c] * (double)row[c];
    out[r] = (float)total;
  }
}

// out[c] = sum over r of w[r] * g[r][c] for a row-major [rows, cols] matrix: the clip-weighted sum of
// per-example gradients. Rows are streamed in order, four at a time, into the output row (which stays in cache),
// so the matrix is read once, sequentially.
EXPORT(weighted_row_sum)
void weighted_row_sum(const float *g, const float *w, float *out, int rows, int cols) {
  const int cols4 = cols & ~3;
  for (int c = 0; c < cols; c++) out[c] = 0.0f;
  int r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float *g0 = g + (long)r * cols;
    const float *g1 = g0 + cols;
    const float *g2 = g1 + cols;
    const float *g3 = g2 + cols;
    const v128_t w0 = wasm_f32x4_splat(w[r]), w1 = wasm_f32x4_splat(w[r + 1]);
    const v128_t w2 = wasm_f32x4_splat(w[r + 2]), w3 = wasm_f32x4_splat(w[r + 3]);
    int c = 0;
    for (; c < cols4; c += 4) {
      v128_t a = wasm_f32x4_add(wasm_f32x4_mul(w0, wasm_v128_load(g0 + c)), wasm_f32x4_mul(w1, wasm_v128_load(g1 + c)));
      v128_t b = wasm_f32x4_add(wasm_f32x4_mul(w2, wasm_v128_load(g2 + c)), wasm_f32x4_mul(w3, wasm_v128_load(g3 + c)));
      wasm_v128_store(out + c, wasm_f32x4_add(wasm_v128_load(out + c), wasm_f32x4_add(a, b)));
    }
    for (; c < cols; c++) out[c] += (w[r] * g0[c] + w[r + 1] * g1[c]) + (w[r + 2] * g2[c] + w[r + 3] * g3[c]);
  }
  for (; r < rows; r++) {
    const float *g0 = g + (long)r * cols;
    for (int c = 0; c < cols; c++) out[c] += w[r] * g0[c];
  }
}

// out[b][f] = sum over t of x[b][t][f] for a row-major [batch, positions, features] tensor (per-example bias
// gradients: the pre-activation gradient summed over positions).
EXPORT(sum_middle_axis)
void sum_middle_axis(const float *x, float *out, int batch, int positions, int features) {
  const int f4 = features & ~3;
  for (int b = 0; b < batch; b++) {
    const float *xb = x + (long)b * positions * features;
    float *ob = out + (long)b * features;
    int f = 0;
    for (; f < f4; f += 4) {
      v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0;
      int t = 0;
      for (; t + 2 <= positions; t += 2) {
        a0 = wasm_f32x4_add(a0, wasm_v128_load(xb + (long)t * features + f));
        a1 = wasm_f32x4_add(a1, wasm_v128_load(xb + (long)(t + 1) * features + f));
      }
      if (t < positions) a0 = wasm_f32x4_add(a0, wasm_v128_load(xb + (long)t * features + f));
      wasm_v128_store(ob + f, wasm_f32x4_add(a0, a1));
    }
    for (; f < features; f++) {
      float a = 0.0f;
      for (int t = 0; t < positions; t++) a += xb[(long)t * features + f];
      ob[f] = a;
    }
  }
}

// Range [lo, hi) of output positions o whose input position o * stride + offset lies in [0, size).
static inline int range_lo(int offset, int stride) { return offset < 0 ? (-offset + stride - 1) / stride : 0; }
static inline int range_hi(int offset, int stride, int size, int out) {
  const int last = size - 1 - offset;
  if (last < 0) return 0;
  return last / stride + 1 < out ? last / stride + 1 : out;
}

// Kernel gradient of a 2-D convolution for ONE example (NHWC input, HWIO kernel), written (not accumulated) to dw:
//   dw[a][b][ci][co] = sum over (oh, ow) of x[oh*sh + a*dh - pad_top][ow*sw + b*dwid - pad_left][ci] * dy[oh][ow][co]
// Register tiles of 4 input x 8 output channels are accumulated over all output positions of the example before
// being stored once: per-example images are small (7x7 positions here), so a tile per output row would spend
// more time loading and storing the tile than multiplying.
EXPORT(conv_filter_grad_example)
void conv_filter_grad_example(const float *x, const float *dy, float *dw, int in_h, int in_w, int in_c, int out_h,
                              int out_w, int out_c, int fh, int fw, int sh, int sw, int dh, int dwid, int pad_top,
                              int pad_left) {
  const int x_step = sw * in_c;
  for (int a = 0; a < fh; a++) {
    const int off_h = a * dh - pad_top;
    const int oh_lo = range_lo(off_h, sh), oh_hi = range_hi(off_h, sh, in_h, out_h);
    for (int b = 0; b < fw; b++) {
      const int off_w = b * dwid - pad_left;
      const int ow_lo = range_lo(off_w, sw), ow_hi = range_hi(off_w, sw, in_w, out_w);
      float *w_block = dw + (long)(a * fw + b) * in_c * out_c;
      const int n = ow_hi - ow_lo;
      int ci = 0;
      for (; ci + 4 <= in_c; ci += 4) {
        int co = 0;
        for (; co + 8 <= out_c; co += 8) {
          v128_t s00 = wasm_f32x4_splat(0.0f), s01 = s00, s10 = s00, s11 = s00;
          v128_t s20 = s00, s21 = s00, s30 = s00, s31 = s00;
          for (int oh = oh_lo; oh < oh_hi && n > 0; oh++) {
            const float *xp = x + ((long)(oh * sh + off_h) * in_w + ow_lo * sw + off_w) * in_c + ci;
            const float *dp = dy + ((long)oh * out_w + ow_lo) * out_c + co;
            for (int k = 0; k < n; k++, xp += x_step, dp += out_c) {
              const v128_t d0 = wasm_v128_load(dp), d1 = wasm_v128_load(dp + 4);
              const v128_t xv = wasm_v128_load(xp);
              const v128_t x0 = wasm_i32x4_shuffle(xv, xv, 0, 0, 0, 0);
              const v128_t x1 = wasm_i32x4_shuffle(xv, xv, 1, 1, 1, 1);
              const v128_t x2 = wasm_i32x4_shuffle(xv, xv, 2, 2, 2, 2);
              const v128_t x3 = wasm_i32x4_shuffle(xv, xv, 3, 3, 3, 3);
              s00 = wasm_f32x4_add(s00, wasm_f32x4_mul(x0, d0));
              s01 = wasm_f32x4_add(s01, wasm_f32x4_mul(x0, d1));
              s10 = wasm_f32x4_add(s10, wasm_f32x4_mul(x1, d0));
              s11 = wasm_f32x4_add(s11, wasm_f32x4_mul(x1, d1));
              s20 = wasm_f32x4_add(s20, wasm_f32x4_mul(x2, d0));
              s21 = wasm_f32x4_add(s21, wasm_f32x4_mul(x2, d1));
              s30 = wasm_f32x4_add(s30, wasm_f32x4_mul(x3, d0));
              s31 = wasm_f32x4_add(s31, wasm_f32x4_mul(x3, d1));
            }
          }
          float *w0 = w_block + (long)ci * out_c + co;
          wasm_v128_store(w0, s00);
          wasm_v128_store(w0 + 4, s01);
          wasm_v128_store(w0 + out_c, s10);
          wasm_v128_store(w0 + out_c + 4, s11);
          wasm_v128_store(w0 + 2 * out_c, s20);
          wasm_v128_store(w0 + 2 * out_c + 4, s21);
          wasm_v128_store(w0 + 3 * out_c, s30);
          wasm_v128_store(w0 + 3 * out_c + 4, s31);
        }
        for (; co < out_c; co++) {
          for (int j = 0; j < 4; j++) {
            float s = 0.0f;
            for (int oh = oh_lo; oh < oh_hi && n > 0; oh++) {
              const float *xp = x + ((long)(oh * sh + off_h) * in_w + ow_lo * sw + off_w) * in_c + ci + j;
              const float *dp = dy + ((long)oh * out_w + ow_lo) * out_c + co;
              for (int k = 0; k < n; k++, xp += x_step, dp += out_c) s += *xp * *dp;
            }
            w_block[(long)(ci + j) * out_c + co] = s;
          }
        }
      }
      for (; ci < in_c; ci++) {
        int co = 0;
        for (; co + 8 <= out_c; co += 8) {
          v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
          for (int oh = oh_lo; oh < oh_hi && n > 0; oh++) {
            const float *xp = x + ((long)(oh * sh + off_h) * in_w + ow_lo * sw + off_w) * in_c + ci;
            const float *dp = dy + ((long)oh * out_w + ow_lo) * out_c + co;
            for (int k = 0; k < n; k++, xp += x_step, dp += out_c) {
              const v128_t xv = wasm_f32x4_splat(*xp);
              s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(xv, wasm_v128_load(dp)));
              s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(xv, wasm_v128_load(dp + 4)));
            }
          }
          wasm_v128_store(w_block + (long)ci * out_c + co, s0);
          wasm_v128_store(w_block + (long)ci * out_c + co + 4, s1);
        }
        for (; co + 4 <= out_c; co += 4) {
          v128_t s0 = wasm_f32x4_splat(0.0f);
          for (int oh = oh_lo; oh < oh_hi && n > 0; oh++) {
            const float *xp = x + ((long)(oh * sh + off_h) * in_w + ow_lo * sw + off_w) * in_c + ci;
            const float *dp = dy + ((long)oh * out_w + ow_lo) * out_c + co;
            for (int k = 0; k < n; k++, xp += x_step, dp += out_c) {
              s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_f32x4_splat(*xp), wasm_v128_load(dp)));
            }
          }
          wasm_v128_store(w_block + (long)ci * out_c + co, s0);
        }
        for (; co < out_c; co++) {
          float s = 0.0f;
          for (int oh = oh_lo; oh < oh_hi && n > 0; oh++) {
            const float *xp = x + ((long)(oh * sh + off_h) * in_w + ow_lo * sw + off_w) * in_c + ci;
            const float *dp = dy + ((long)oh * out_w + ow_lo) * out_c + co;
            for (int k = 0; k < n; k++, xp += x_step, dp += out_c) s += *xp * *dp;
          }
          w_block[(long)ci * out_c + co] = s;
        }
      }
    }
  }
}
