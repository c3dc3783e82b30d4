// WASM SIMD kernels for per-example gradient clipping in @cnm/tfjs.
//
// Like native/training-kernels.c, the module imports the memory of the tfjs wasm backend and works on tensors
// in place (pointers are byte offsets into that memory); it has no data segment and uses no shadow stack, which
// build.sh checks on the compiled module.
//
// Build: native/per-example/build.sh (clang + wasm-ld, -msimd128).

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

// Zeroes n floats (per-example gradient buffers are accumulated into).
EXPORT(zero_floats)
void zero_floats(float *p, int n) {
  int i = 0;
  const v128_t z = wasm_f32x4_splat(0.0f);
  for (; i + 4 <= n; i += 4) wasm_v128_store(p + i, z);
  for (; i < n; i++) p[i] = 0.0f;
}
