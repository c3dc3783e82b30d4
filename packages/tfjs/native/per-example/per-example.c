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
// per-example gradients. Columns are processed in blocks of 64 (16 registers) so that every row's block is
// read once; the output block stays in registers over all rows.
EXPORT(weighted_row_sum)
void weighted_row_sum(const float *g, const float *w, float *out, int rows, int cols) {
  int c = 0;
  for (; c + 32 <= cols; c += 32) {
    v128_t a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int r = 0; r < rows; r++) {
      const float *p = g + (long)r * cols + c;
      const v128_t s = wasm_f32x4_splat(w[r]);
      a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(s, wasm_v128_load(p)));
      a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(s, wasm_v128_load(p + 4)));
      a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(s, wasm_v128_load(p + 8)));
      a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(s, wasm_v128_load(p + 12)));
      a4 = wasm_f32x4_add(a4, wasm_f32x4_mul(s, wasm_v128_load(p + 16)));
      a5 = wasm_f32x4_add(a5, wasm_f32x4_mul(s, wasm_v128_load(p + 20)));
      a6 = wasm_f32x4_add(a6, wasm_f32x4_mul(s, wasm_v128_load(p + 24)));
      a7 = wasm_f32x4_add(a7, wasm_f32x4_mul(s, wasm_v128_load(p + 28)));
    }
    wasm_v128_store(out + c, a0);
    wasm_v128_store(out + c + 4, a1);
    wasm_v128_store(out + c + 8, a2);
    wasm_v128_store(out + c + 12, a3);
    wasm_v128_store(out + c + 16, a4);
    wasm_v128_store(out + c + 20, a5);
    wasm_v128_store(out + c + 24, a6);
    wasm_v128_store(out + c + 28, a7);
  }
  for (; c + 4 <= cols; c += 4) {
    v128_t a = wasm_f32x4_splat(0.0f);
    for (int r = 0; r < rows; r++) {
      a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_f32x4_splat(w[r]), wasm_v128_load(g + (long)r * cols + c)));
    }
    wasm_v128_store(out + c, a);
  }
  for (; c < cols; c++) {
    float a = 0.0f;
    for (int r = 0; r < rows; r++) a += w[r] * g[(long)r * cols + c];
    out[c] = a;
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
