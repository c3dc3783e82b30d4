import type { RandomGenerator } from './random-generator';
import { assertInRange } from './validate';

/**
 * Gaussian sampling by the ziggurat method of Marsaglia & Tsang (2000, "The Ziggurat Method for Generating Random
 * Variables", J. Stat. Softw. 5(8)), in double precision with 256 layers:
 *
 * - The region under `f(x) = exp(-x²/2)`, `x >= 0`, is covered by 255 horizontal rectangles and one base strip
 *   (rectangle plus tail), all of the same area `v`. `x[1] = r`, `x[0] = v / f(r)`, `x[i+1] = f⁻¹(f(x[i]) + v / x[i])`,
 *   `x[256] = 0`; `r` is the root of "the top layer closes", `v = r f(r) + ∫_r^∞ f`.
 * - One sample takes two 32-bit words: 8 bits choose the layer, 1 bit the sign, 53 bits the position
 *   `u ∈ [0, 1)`. If `u < x[i+1] / x[i]` the point lies inside the curve and `u · x[i]` is returned (about 99% of
 *   the time). Otherwise a wedge test against `f`, or Marsaglia's (1964) exact tail method for the base layer,
 *   decides, drawing fresh randomness from the generator.
 *
 * The tables are computed here at module load from `r` and `v` with the recursion above. `r` and `v` are the
 * doubles nearest to the mpmath values; `test/fixtures/generate-ziggurat.py` recomputes them (and the tables)
 * with mpmath at 60 digits and the tests compare.
 */

/** Number of ziggurat layers. */
const LAYERS = 256;
/** Right edge of the base rectangle, start of the tail (root of the closing condition, mpmath). */
const R = 3.654152885361009;
/** Common area of every layer: `r f(r) + sqrt(pi/2) erfc(r / sqrt 2)` (mpmath). */
const V = 0.004928673233974655;

/** Layer edges x[0..256] (x[0] is the virtual width of the base strip, x[256] = 0). */
const X = new Float64Array(LAYERS + 1);
/** f at the layer edges. */
const F = new Float64Array(LAYERS + 1);
/** x[i+1] / x[i]: positions below it are inside the curve. */
const INNER_RATIO = new Float64Array(LAYERS);

X[0] = V / Math.exp(-0.5 * R * R);
X[1] = R;
for (let i = 1; i < LAYERS - 1; i++) {
  const xi = X[i]!;
  X[i + 1] = Math.sqrt(-2 * Math.log(V / xi + Math.exp(-0.5 * xi * xi)));
}
X[LAYERS] = 0;
for (let i = 0; i <= LAYERS; i++) F[i] = Math.exp(-0.5 * X[i]! * X[i]!);
for (let i = 0; i < LAYERS; i++) INNER_RATIO[i] = X[i + 1]! / X[i]!;

/** Read-only copies of the tables, for tests. */
export const zigguratTables = {
  layers: LAYERS,
  r: R,
  v: V,
  x: X as Readonly<Float64Array>,
};

const TWO_POW_21 = 2 ** 21;
const TWO_POW_MINUS_53 = 2 ** -53;

/**
 * Slow path of the ziggurat, entered when the first candidate is not inside the inner rectangle. Keeps drawing
 * fresh candidates (two words each) until one is accepted.
 */
function rejectionPath(high: number, low: number, rng: RandomGenerator): number {
  for (;;) {
    const layer = high >>> 24;
    const negative = (high & 0x800000) !== 0;
    const u = (low * TWO_POW_21 + ((high >>> 2) & 0x1fffff)) * TWO_POW_MINUS_53;
    if (u < INNER_RATIO[layer]!) {
      const x = u * X[layer]!;
      return negative ? -x : x;
    }
    if (layer === 0) {
      // Tail beyond r (Marsaglia 1964): x = -ln(U1)/r, accept when -2 ln(U2) > x².
      let x: number;
      let y: number;
      do {
        x = -Math.log(1 - rng.nextFloat64()) / R;
        y = -Math.log(1 - rng.nextFloat64());
      } while (2 * y < x * x);
      return negative ? -(R + x) : R + x;
    }
    const x = u * X[layer]!;
    const fLow = F[layer]!;
    const y = fLow + rng.nextFloat64() * (F[layer + 1]! - fLow);
    if (y < Math.exp(-0.5 * x * x)) return negative ? -x : x;
    high = rng.nextUint32();
    low = rng.nextUint32();
  }
}

/**
 * One standard normal from two uniform 32-bit words (fast path inline, rare rejections draw more from `rng`).
 * Bit use: `high` bits 31..24 pick the layer, bit 23 the sign, bits 22..2 and all of `low` form the 53-bit
 * position (the lowest bits of xoroshiro128+ are its weakest, so they carry the least weight).
 */
function normalFromWords(high: number, low: number, rng: RandomGenerator): number {
  const layer = high >>> 24;
  const u = (low * TWO_POW_21 + ((high >>> 2) & 0x1fffff)) * TWO_POW_MINUS_53;
  if (u < INNER_RATIO[layer]!) {
    const x = u * X[layer]!;
    return (high & 0x800000) !== 0 ? -x : x;
  }
  return rejectionPath(high, low, rng);
}

/** Returns one standard normal N(0, 1) sample (ziggurat; consumes two or, rarely, more words of `rng`). */
export function sampleStandardNormal(rng: RandomGenerator): number {
  const high = rng.nextUint32();
  return normalFromWords(high, rng.nextUint32(), rng);
}

/** Options of {@link fillGaussian}. */
export interface FillGaussianOptions {
  /**
   * Use the floating-point-attack-resistant method: every output is `(z₁ + z₂ + z₃ + z₄) · σ / 2` with four
   * independent standard normals, which has exactly the N(0, σ²) law but four times the cost. Default `false`.
   *
   * Why: an attacker who sees a noised floating-point value can exploit that a sampler reaches only some
   * floating-point numbers, and which ones depends on the value the noise was added to. Mironov (2012) broke the
   * textbook Laplace mechanism this way; Jin et al. (2022, "Are We There Yet? Timing and Floating-Point Attacks on
   * Differential Privacy Systems", IEEE S&P) did the same for Gaussian noise, DP-SGD included. Holohan & Braghin
   * (2021, "Secure Random Sampling in Differential Privacy", ESORICS) defend infinitely divisible distributions by
   * outputting a sum of independent samples of the correspondingly scaled distribution: recovering the individual
   * samples from the sum is a brute-force search exponential in their number. As in Opacus' `secure_mode` (their
   * Section 5.1 with n = 2), every output here is the sum of 2n = 4 draws of N(0, σ²) divided by 2, which puts the
   * search at about 2^(53·3) = 2^159. (The paper needs 2n rather than n summands only for samplers that share
   * uniform variates between outputs, such as Box–Muller; the ziggurat does not, so four is conservative.)
   * Pair it with {@link SecureRandom}: the method removes floating-point artefacts, not a predictable seed.
   */
  readonly secure?: boolean;
}

/** Words fetched from the generator per block (32 KiB): amortises `fillUint32` and keeps the scratch small. */
const BLOCK_WORDS = 8192;

/**
 * Fills `out` with independent N(0, standardDeviation²) samples drawn from `rng`: the ziggurat method of
 * Marsaglia & Tsang (2000) with 256 layers in double precision (about 99% of samples cost two 32-bit words and a
 * table lookup; wedges by rejection, the tail beyond r ≈ 3.654 by Marsaglia's exact method), or with
 * `options.secure` the averaging method of {@link FillGaussianOptions.secure}.
 *
 * Samples are computed in float64 and rounded once when stored into a Float32Array. Randomness is taken in
 * blocks with `rng.fillUint32` (two words per sample, eight in secure mode) plus occasional extra draws on
 * rejection, so a {@link SeededRandom} gives the same values for the same seed and call sequence.
 * A standard deviation of 0 writes zeros and draws nothing.
 *
 * @throws TypeError when `out` is not a Float32Array or Float64Array.
 * @throws RangeError when `standardDeviation` is not a finite number >= 0.
 */
export function fillGaussian(
  out: Float32Array | Float64Array,
  standardDeviation: number,
  rng: RandomGenerator,
  options: FillGaussianOptions = {},
): void {
  if (!(out instanceof Float32Array || out instanceof Float64Array)) {
    throw new TypeError('out must be a Float32Array or a Float64Array');
  }
  assertInRange('standardDeviation', standardDeviation, {
    min: 0,
    max: Number.POSITIVE_INFINITY,
    maxExclusive: true,
  });
  if (rng === null || typeof rng !== 'object' || typeof rng.fillUint32 !== 'function') {
    throw new TypeError('rng must be a RandomGenerator (SeededRandom or SecureRandom)');
  }
  const length = out.length;
  if (length === 0) return;
  if (standardDeviation === 0) {
    out.fill(0);
    return;
  }
  if (options.secure === true) {
    fillSecure(out, standardDeviation / 2, rng);
  } else {
    fillFast(out, standardDeviation, rng);
  }
}

function fillFast(out: Float32Array | Float64Array, scale: number, rng: RandomGenerator): void {
  const length = out.length;
  const perBlock = Math.min(length, BLOCK_WORDS / 2);
  const words = new Uint32Array(perBlock * 2);
  for (let start = 0; start < length; start += perBlock) {
    const count = Math.min(perBlock, length - start);
    const view = count === perBlock ? words : words.subarray(0, count * 2);
    rng.fillUint32(view);
    for (let i = 0; i < count; i++) {
      const high = view[2 * i]!;
      const low = view[2 * i + 1]!;
      const layer = high >>> 24;
      const u = (low * TWO_POW_21 + ((high >>> 2) & 0x1fffff)) * TWO_POW_MINUS_53;
      let z: number;
      if (u < INNER_RATIO[layer]!) {
        z = u * X[layer]!;
        if ((high & 0x800000) !== 0) z = -z;
      } else {
        z = rejectionPath(high, low, rng);
      }
      out[start + i] = z * scale;
    }
  }
}

function fillSecure(out: Float32Array | Float64Array, halfScale: number, rng: RandomGenerator): void {
  const length = out.length;
  const perBlock = Math.min(length, BLOCK_WORDS / 8);
  const words = new Uint32Array(perBlock * 8);
  for (let start = 0; start < length; start += perBlock) {
    const count = Math.min(perBlock, length - start);
    const view = count === perBlock ? words : words.subarray(0, count * 8);
    rng.fillUint32(view);
    for (let i = 0; i < count; i++) {
      const base = 8 * i;
      const sum =
        normalFromWords(view[base]!, view[base + 1]!, rng) +
        normalFromWords(view[base + 2]!, view[base + 3]!, rng) +
        normalFromWords(view[base + 4]!, view[base + 5]!, rng) +
        normalFromWords(view[base + 6]!, view[base + 7]!, rng);
      out[start + i] = sum * halfScale;
    }
  }
}
