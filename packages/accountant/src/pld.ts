/**
 * Privacy loss distributions (PLDs) of the Poisson-subsampled Gaussian mechanism: pessimistic
 * discretisation by "connect the dots" (Doroshenko, Ghazi, Kamath, Kumar, Manurangsi 2022), FFT
 * composition with tails bounded by Chernoff bounds, and (epsilon, delta) read off the composed PLD.
 *
 * A discrete PLD puts mass `probs[i]` on the privacy loss `(offset + i) * interval` and
 * `infinityMass` on +Infinity; its hockey-stick curve is
 * delta(epsilon) = infinityMass + sum_i probs[i] * max(0, 1 - e^{epsilon - loss_i}).
 *
 * Pessimism: each bit of true loss mass at loss l in (e_j, e_{j+1}) is split between the two grid
 * points so that its hinge 1 - y e^{-l} (y = e^epsilon) is replaced by its chord, which lies above it;
 * mass below the grid is moved up to the lowest point, and mass above the grid goes to +Infinity.
 * The result dominates the true mechanism and is itself a valid PLD (E[e^{-loss}] <= 1), so its
 * compositions dominate the true compositions.
 */
import FFT from 'fft.js';
import { normalSf, normalSfInverse } from './normal';

/** A discrete privacy loss distribution on the grid `interval * (offset + i)`. */
export interface DiscretePld {
  /** Grid spacing of the privacy loss. */
  readonly interval: number;
  /** Grid index of `probs[0]`. */
  readonly offset: number;
  /** Probability of each grid loss. */
  readonly probs: Float64Array;
  /** Probability of an infinite privacy loss. */
  readonly infinityMass: number;
  /**
   * Allowance for floating-point error of the FFT: each entry of `probs` may be short of the exact
   * composition by up to this much, so `delta` adds it to every entry (0 when computed exactly).
   */
  readonly entryError?: number;
}

/** Largest FFT length the composition may use by default (2^20 points: about 60 MiB of work arrays). */
export const DEFAULT_MAX_SUPPORT = 2 ** 20;

/** Thrown when a PLD would need more than the allowed number of grid points at the current interval. */
export class SupportTooLargeError extends RangeError {
  /** The grid points that would have been needed. */
  readonly needed: number;
  /** The allowed number of grid points. */
  readonly limit: number;

  /**
   * @param needed - grid points needed.
   * @param limit - grid points allowed.
   */
  constructor(needed: number, limit: number) {
    super(`the PLD needs ${needed} grid points, more than the limit of ${limit}`);
    this.name = 'SupportTooLargeError';
    this.needed = needed;
    this.limit = limit;
  }
}

/**
 * Most grid points of a single-step PLD: beyond, the interval is coarsened (a single step spanning a
 * wide loss range, i.e. a small noise multiplier, has a large epsilon that a finer grid would not
 * change meaningfully, and discretising it finely would be slow).
 */
export const MAX_SINGLE_STEP_POINTS = 2 ** 17;

/** Adjacency direction: removal (`P` has the record) or addition (`Q` has it). */
export type PldDirection = 'remove' | 'add';

/**
 * Standard normal probabilities of half-line ends, each stored from the tail that keeps relative
 * accuracy: `value[i] = P(Z > t_i)` where `upper[i]`, else `P(Z <= t_i)`.
 */
class Tails {
  readonly value: Float64Array;
  readonly upper: Uint8Array;
  constructor(size: number) {
    this.value = new Float64Array(size);
    this.upper = new Uint8Array(size);
  }
  set(i: number, t: number): void {
    if (t >= 0) {
      this.value[i] = normalSf(t);
      this.upper[i] = 1;
    } else {
      this.value[i] = normalSf(-t);
      this.upper[i] = 0;
    }
  }
  /** `P(t_a < Z <= t_b)` for `t_a <= t_b`; indices -1 and `size` stand for -Infinity and +Infinity. */
  mass(a: number, b: number): number {
    const size = this.value.length;
    const aUpper = a < 0 ? 0 : a >= size ? 1 : this.upper[a]!;
    const aValue = a < 0 || a >= size ? 0 : this.value[a]!;
    const bUpper = b < 0 ? 0 : b >= size ? 1 : this.upper[b]!;
    const bValue = b < 0 || b >= size ? 0 : this.value[b]!;
    let mass: number;
    if (aUpper && bUpper) mass = aValue - bValue;
    else if (!aUpper && !bUpper) mass = bValue - aValue;
    else if (!aUpper && bUpper) mass = 1 - aValue - bValue;
    else mass = 0;
    return Math.max(mass, 0);
  }
}

/**
 * Pessimistic discrete PLDs (remove and add directions) of one step of the Poisson-subsampled
 * Gaussian. The pair is P = (1 - q) N(0, sigma^2) + q N(1, sigma^2) and Q = N(0, sigma^2) with loss
 * L(x) = ln(1 - q + q e^{(2x - 1)/(2 sigma^2)}); removal is (P, Q), addition is (Q, P) with loss -L.
 * `tailMass` bounds the probability cut at each end of the real line (moved up, or to +Infinity).
 */
export function discretizeSampledGaussian(
  sampleRate: number,
  noiseMultiplier: number,
  interval: number,
  tailMass: number,
  maxPoints: number = MAX_SINGLE_STEP_POINTS,
): Record<PldDirection, DiscretePld> {
  const q = sampleRate;
  const sigma = noiseMultiplier;
  const log1mQ = Math.log1p(-q);
  const logQ = Math.log(q);
  const lossOf = (x: number): number => {
    const t = (2 * x - 1) / (2 * sigma * sigma);
    if (q === 1) return t;
    const b = logQ + t;
    return log1mQ > b ? log1mQ + Math.log1p(Math.exp(b - log1mQ)) : b + Math.log1p(Math.exp(log1mQ - b));
  };
  const xOf = (loss: number): number => {
    if (q === 1) return sigma * sigma * loss + 0.5;
    if (loss <= log1mQ) return Number.NEGATIVE_INFINITY;
    return sigma * sigma * (Math.log(Math.expm1(loss) + q) - logQ) + 0.5;
  };
  // Outside [xLow, xHigh] each of N(0, sigma^2) and N(1, sigma^2) has mass <= tailMass.
  const z = normalSfInverse(tailMass);
  const xLow = -sigma * z;
  const xHigh = 1 + sigma * z;
  const minLoss = q === 1 ? Number.NEGATIVE_INFINITY : log1mQ;
  const removeLow = Math.floor(Math.max(minLoss, lossOf(xLow)) / interval);
  const removeHigh = Math.ceil(lossOf(xHigh) / interval);
  const addLow = Math.floor(-lossOf(xHigh) / interval);
  const addHigh = Math.ceil(Math.min(-minLoss, -lossOf(xLow)) / interval);
  // Boundaries x_i = x(i h) serve both directions (the addition loss is -L): compute each once.
  const first = Math.min(removeLow, -addHigh);
  const last = Math.max(removeHigh, -addLow);
  const count = last - first + 1;
  if (!(count <= maxPoints)) throw new SupportTooLargeError(count, maxPoints);
  const tails0 = new Tails(count);
  const tails1 = new Tails(count);
  for (let i = 0; i < count; i++) {
    const x = xOf((first + i) * interval);
    tails0.set(i, x / sigma);
    tails1.set(i, (x - 1) / sigma);
  }
  // Masses of N(0) and N(1) on x in (x_a, x_b] for boundary indices a < b (beyond the ends: infinite x).
  const position = (index: number) => (index < first ? -1 : index > last ? count : index - first);
  const masses = (a: number, b: number): [number, number] => [
    tails0.mass(position(a), position(b)),
    tails1.mass(position(a), position(b)),
  ];
  const oneMinusExpMinusH = -Math.expm1(-interval);
  const build = (direction: PldDirection, low: number, high: number): DiscretePld => {
    const probs = new Float64Array(high - low + 1);
    // Masses (P, Q of the direction's pair) of the loss in (i h, (i + 1) h], and beyond the ends.
    const pairMasses = (i: number, j: number): [number, number] => {
      // remove: loss in (ih, jh] <=> x in (x_i, x_j]; add: loss in (ih, jh] <=> x in [x_{-j}, x_{-i}).
      const [m0, m1] = direction === 'remove' ? masses(i, j) : masses(-j, -i);
      const mixture = (1 - q) * m0 + q * m1;
      return direction === 'remove' ? [mixture, m0] : [m0, mixture];
    };
    for (let i = low; i < high; i++) {
      const [p, qMass] = pairMasses(i, i + 1);
      if (p <= 0) continue;
      // Chord split of the segment: b = (P - e^{ih} Q)/(1 - e^{-h}) goes to the upper point, nudged up
      // by 1e-9 relative so that rounding in the difference can only err on the pessimistic side.
      let upper = (p - Math.exp(i * interval) * qMass) / oneMinusExpMinusH;
      upper = Math.min(p, Math.max(0, upper) + 1e-9 * p);
      probs[i + 1 - low] = probs[i + 1 - low]! + upper;
      probs[i - low] = probs[i - low]! + (p - upper);
    }
    // Below the grid: moved up to the lowest point. Above: to +Infinity.
    probs[0] = probs[0]! + pairMasses(Number.MIN_SAFE_INTEGER, low)[0];
    const infinityMass = pairMasses(high, Number.MAX_SAFE_INTEGER)[0];
    return { interval, offset: low, probs, infinityMass };
  };
  return { remove: build('remove', removeLow, removeHigh), add: build('add', addLow, addHigh) };
}

/**
 * `ln sum_i probs[i] e^{lambda i}` (sub-probability allowed), or NaN when every term underflows (the
 * caller then ignores this lambda). The powers e^{lambda i} are built by repeated multiplication from
 * the end where they are largest (so nothing overflows), re-seeded with Math.exp every 256 terms to
 * keep the rounding drift below ~1e-13 relative; the result is raised by 1e-9 relative to stay an
 * upper bound despite it.
 */
function logMgf(probs: Float64Array, first: number, last: number, lambda: number): number {
  const start = lambda > 0 ? last : first;
  const direction = lambda > 0 ? -1 : 1;
  const ratio = Math.exp(-Math.abs(lambda));
  let sum = 0;
  let weight = 1;
  for (let i = start, n = 0; i >= first && i <= last; i += direction, n++) {
    if ((n & 255) === 0) weight = Math.exp(lambda * (i - start));
    sum += probs[i]! * weight;
    weight *= ratio;
  }
  return sum > 0 ? lambda * start + Math.log(sum) + 1e-9 : Number.NaN;
}

/**
 * Chernoff bound on the end of the `count`-fold sum of grid indices (relative to the start of
 * `probs`): for `side = 1` an index U with P(sum > U) <= bound <= tail, for `side = -1` an index L with
 * P(sum < L) <= tail. The bound (count K(lambda) - ln tail)/lambda is unimodal in lambda (K is convex),
 * so a golden-section search over log(lambda) finds its best value.
 */
function chernoffEnd(
  probs: Float64Array,
  count: number,
  tail: number,
  side: 1 | -1,
): { end: number; bound: number } {
  let first = 0;
  while (first < probs.length - 1 && probs[first] === 0) first++;
  let last = probs.length - 1;
  while (last > first && probs[last] === 0) last--;
  const logTail = Math.log(tail);
  const endFor = (logLambda: number): number => {
    const lambda = side * Math.exp(logLambda);
    const k = logMgf(probs, first, last, lambda);
    const end = (count * k - logTail) / lambda;
    return Number.isFinite(end) ? side * end : Number.POSITIVE_INFINITY;
  };
  // Minimise side * end over log(lambda) in [ln 1e-9, ln 1e4].
  // In index units lambda = lambda_loss * interval; the
  // optimum is flat, so 12 golden-section steps (to ~3% in lambda) suffice.
  let a = Math.log(1e-8);
  let b = Math.log(1e-1);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = endFor(c);
  let fd = endFor(d);
  for (let it = 0; it < 12; it++) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = endFor(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = endFor(d);
    }
  }
  const logLambda = fc <= fd ? c : d;
  const best = side * Math.min(fc, fd);
  const lambda = side * Math.exp(logLambda);
  const k = logMgf(probs, first, last, lambda);
  if (side === 1) {
    const maxEnd = count * last;
    if (!(best < maxEnd)) return { end: maxEnd, bound: 0 };
    const end = Math.ceil(best);
    return { end, bound: Math.min(tail, Math.exp(count * k - lambda * end)) };
  }
  const minEnd = count * first;
  if (!(best > minEnd)) return { end: minEnd, bound: 0 };
  const end = Math.floor(best);
  return { end, bound: Math.min(tail, Math.exp(count * k - lambda * end)) };
}

/** An FFT of one size with its work arrays, reused across compositions (they are large). */
interface FftWorkspace {
  readonly fft: FFT;
  readonly input: Float64Array;
  readonly spectrum: Float64Array;
  readonly output: Float64Array;
}

const workspaces = new Map<number, FftWorkspace>();
function workspaceOfSize(size: number): FftWorkspace {
  let workspace = workspaces.get(size);
  if (workspace === undefined) {
    // Keep two sizes at most (a calibration alternates a coarse and a fine one): about 7 doubles per point.
    if (workspaces.size >= 2) workspaces.clear();
    workspace = {
      fft: new FFT(size),
      input: new Float64Array(size),
      spectrum: new Float64Array(2 * size),
      output: new Float64Array(2 * size),
    };
    workspaces.set(size, workspace);
  }
  return workspace;
}

function nextPowerOfTwo(n: number): number {
  let p = 4;
  while (p < n) p *= 2;
  return p;
}

/** Sum with Kahan compensation (the masses are summed to full precision). */
function accurateSum(values: Float64Array): number {
  let sum = 0;
  let compensation = 0;
  for (let i = 0; i < values.length; i++) {
    const y = values[i]! - compensation;
    const t = sum + y;
    compensation = t - sum - y;
    sum = t;
  }
  return sum;
}

/**
 * Work budget (terms summed) of the accurate low-frequency recomputation in {@link selfComposePld}:
 * at least 64 frequencies, more when the support is short (then possibly all of them).
 */
const ACCURATE_FREQUENCY_WORK = 2 ** 22;
/** Below this modulus of the composed coefficient, the FFT value is used (with an error allowance). */
const ACCURATE_FREQUENCY_CUTOFF = 1e-7;

/**
 * `count`-fold self-composition of a discrete PLD: one real FFT, a pointwise complex power, one
 * inverse FFT, over a window chosen by Chernoff bounds so that the mass beyond its upper end is at
 * most `tailMass` (added to the infinity mass; mass wrapping around from outside the window only
 * lands at higher losses, which is pessimistic). Throws {@link SupportTooLargeError} when the window
 * exceeds `maxSupport` points.
 *
 * Accuracy: raising an FFT coefficient c to the power k multiplies its rounding error by about k,
 * and at low frequencies (|c| close to 1) that error spreads evenly over all entries, which could
 * understate far tails. So the low-frequency coefficients (those with |c|^k >= 1e-7, up to 64) are
 * recomputed directly (at least 64, all when the support is short) as log c = log(S - a) + i b-terms with a = sum p_i 2 sin^2(w i / 2) and
 * b = -sum p_i sin(w i) (no cancellation), and raised to the power through k log c. For the remaining
 * frequencies an allowance k |c|^{k-1} eta (eta = 2 log2(N) u S, an estimate of the FFT's coefficient
 * error) plus the inverse FFT's rounding is spread over the entries as `entryError`.
 */
export function selfComposePld(
  pld: DiscretePld,
  count: number,
  tailMass: number,
  maxSupport: number,
): DiscretePld {
  if (count === 1) return pld;
  const { probs } = pld;
  const upper = chernoffEnd(probs, count, tailMass, 1);
  const lower = chernoffEnd(probs, count, tailMass, -1);
  const width = upper.end - lower.end + 1;
  if (width > maxSupport) throw new SupportTooLargeError(width, maxSupport);
  const size = nextPowerOfTwo(Math.max(width, 2));
  const { fft, input, spectrum, output } = workspaceOfSize(size);
  input.fill(0);
  for (let i = 0; i < probs.length; i++) {
    const position = i % size;
    input[position] = input[position]! + probs[i]!;
  }
  fft.realTransform(spectrum, input);
  const total = accurateSum(probs);
  let first = 0;
  while (first < probs.length - 1 && probs[first] === 0) first++;
  let last = probs.length - 1;
  while (last > first && probs[last] === 0) last--;
  let meanIndex = 0;
  for (let i = first; i <= last; i++) meanIndex += probs[i]! * i;
  const center = Math.round(meanIndex / total);
  // The accurate sums skip the far tails: entries below 1e-24 of the total change a and b by less
  // than 1e-24 * (number of entries) relative to their size at the lowest frequency (~1e-9 of S).
  let significantFirst = first;
  while (significantFirst < last && probs[significantFirst]! < 1e-24 * total) significantFirst++;
  let significantLast = last;
  while (significantLast > significantFirst && probs[significantLast]! < 1e-24 * total) significantLast--;
  const log2Size = Math.log2(size);
  const eta = 2 * log2Size * Number.EPSILON * total;
  const half = size / 2;
  let spectralAllowance = 0;
  let accurate = true;
  const maxAccurate = Math.max(64, Math.floor(ACCURATE_FREQUENCY_WORK / (last - first + 1)));
  for (let k = 0; k <= half; k++) {
    let re = spectrum[2 * k]!;
    let im = spectrum[2 * k + 1]!;
    const modulus = Math.hypot(re, im);
    const logPower = count * Math.log(modulus);
    if (accurate && k < maxAccurate && logPower > Math.log(ACCURATE_FREQUENCY_CUTOFF)) {
      // c = e^{-i w center} sum_i p_i e^{-i w (i - center)}, w = 2 pi k / size; 1 - Re and Im without cancellation.
      const omega = (2 * Math.PI * k) / size;
      let a = 0;
      let b = 0;
      for (let i = significantFirst; i <= significantLast; i++) {
        const p = probs[i]!;
        const theta = omega * (i - center);
        const s = Math.sin(0.5 * theta);
        a += p * 2 * s * s;
        b -= p * Math.sin(theta);
      }
      // |c|^2 = (S - a)^2 + b^2 = S^2 (1 + x), x = (b^2 - 2 S a + a^2) / S^2.
      const x = (b * b - 2 * total * a + a * a) / (total * total);
      const logModulus = Math.log(total) + 0.5 * Math.log1p(x);
      const angle = Math.atan2(b, total - a);
      // Phase of the center shift, k * center * count reduced exactly modulo size.
      const shift =
        (2 * Math.PI * Number((BigInt(k) * BigInt(center) * BigInt(count)) % BigInt(size))) / size;
      const r = Math.exp(count * logModulus);
      const phase = count * angle - shift;
      spectrum[2 * k] = r * Math.cos(phase);
      spectrum[2 * k + 1] = r * Math.sin(phase);
      continue;
    }
    accurate = false;
    if (modulus === 0 || logPower < -745) {
      spectrum[2 * k] = 0;
      spectrum[2 * k + 1] = 0;
      if (modulus > 0)
        spectralAllowance +=
          (k === 0 || k === half ? 1 : 2) * count * eta * Math.exp(logPower - Math.log(modulus));
      continue;
    }
    const r = Math.exp(logPower);
    const angle = count * Math.atan2(im, re);
    re = r * Math.cos(angle);
    im = r * Math.sin(angle);
    spectrum[2 * k] = re;
    spectrum[2 * k + 1] = im;
    spectralAllowance += (k === 0 || k === half ? 1 : 2) * count * eta * (r / modulus);
  }
  for (let k = half + 1; k < size; k++) {
    spectrum[2 * k] = spectrum[2 * (size - k)]!;
    spectrum[2 * k + 1] = -spectrum[2 * (size - k) + 1]!;
  }
  fft.inverseTransform(output, spectrum);
  // Composed relative index R in [lower.end, lower.end + size) sits at position R mod size.
  // Entries past the Chernoff end hold at most upper.bound in truth, already sent to +Infinity: drop them.
  const kept = Math.min(size, upper.end - lower.end + 1);
  const composed = new Float64Array(kept);
  let squares = 0;
  for (let r = 0; r < kept; r++) {
    const position = (lower.end + r) % size;
    const value = output[2 * position]!;
    composed[r] = Math.max(value, 0);
    squares += value * value;
  }
  // Inverse FFT rounding: |error|_2 <~ c log2(N) u |y|_2; spread as a per-entry allowance (4x its rms).
  const inverseAllowance = (4 * log2Size * Number.EPSILON * Math.sqrt(squares)) / Math.sqrt(size);
  const finiteSurvival = (1 - pld.infinityMass) ** count;
  return {
    interval: pld.interval,
    offset: count * pld.offset + lower.end,
    probs: composed,
    // Mass below the window (at most lower.bound) may have wrapped past the kept entries: count it at
    // +Infinity too, so that even queries below the window stay pessimistic.
    infinityMass: Math.min(1, 1 - finiteSurvival + upper.bound + lower.bound),
    entryError: spectralAllowance / size + inverseAllowance + count * (pld.entryError ?? 0),
  };
}

/** Composition of two discrete PLDs on the same grid (direct convolution by FFT). */
export function composePlds(a: DiscretePld, b: DiscretePld, maxSupport: number): DiscretePld {
  const length = a.probs.length + b.probs.length - 1;
  if (length > maxSupport) throw new SupportTooLargeError(length, maxSupport);
  const size = nextPowerOfTwo(length);
  const fft = workspaceOfSize(size).fft;
  const inputA = new Float64Array(size);
  inputA.set(a.probs);
  const inputB = new Float64Array(size);
  inputB.set(b.probs);
  const spectrumA = new Float64Array(2 * size);
  const spectrumB = new Float64Array(2 * size);
  fft.realTransform(spectrumA, inputA);
  fft.realTransform(spectrumB, inputB);
  fft.completeSpectrum(spectrumA);
  fft.completeSpectrum(spectrumB);
  for (let k = 0; k < size; k++) {
    const re = spectrumA[2 * k]! * spectrumB[2 * k]! - spectrumA[2 * k + 1]! * spectrumB[2 * k + 1]!;
    const im = spectrumA[2 * k]! * spectrumB[2 * k + 1]! + spectrumA[2 * k + 1]! * spectrumB[2 * k]!;
    spectrumA[2 * k] = re;
    spectrumA[2 * k + 1] = im;
  }
  const output = new Float64Array(2 * size);
  fft.inverseTransform(output, spectrumA);
  const probs = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const value = output[2 * i]!;
    probs[i] = Math.max(value, 0);
  }
  let squares = 0;
  for (let i = 0; i < length; i++) squares += probs[i]! * probs[i]!;
  const errorA = a.entryError ?? 0;
  const errorB = b.entryError ?? 0;
  // Entry errors propagate through the convolution (each input has mass <= 1), plus this FFT's rounding.
  const rounding = (8 * Math.log2(size) * Number.EPSILON * Math.sqrt(squares)) / Math.sqrt(size);
  return {
    interval: a.interval,
    offset: a.offset + b.offset,
    probs,
    infinityMass: Math.min(1, 1 - (1 - a.infinityMass) * (1 - b.infinityMass)),
    entryError: errorA + errorB + errorA * errorB * Math.min(a.probs.length, b.probs.length) + rounding,
  };
}

/** Hockey-stick divergence delta(epsilon) of a discrete PLD. */
export function pldDelta(pld: DiscretePld, epsilon: number): number {
  const { probs, interval, offset } = pld;
  const entryError = pld.entryError ?? 0;
  let delta = pld.infinityMass;
  if (epsilon === Number.POSITIVE_INFINITY) return delta;
  for (let i = probs.length - 1; i >= 0; i--) {
    const loss = (offset + i) * interval;
    if (loss <= epsilon) break;
    delta += (probs[i]! + entryError) * -Math.expm1(epsilon - loss);
  }
  return Math.min(1, delta);
}

/**
 * Smallest epsilon >= 0 with delta(epsilon) <= `delta` for a discrete PLD (Infinity when the mass at
 * infinity alone exceeds `delta`). delta(epsilon) is continuous and decreasing, linear in e^epsilon
 * between grid points, so the crossing is found by one backward scan and solved in closed form.
 */
export function pldEpsilon(pld: DiscretePld, delta: number): number {
  const { probs, interval, offset } = pld;
  const entryError = pld.entryError ?? 0;
  if (pld.infinityMass > delta) return Number.POSITIVE_INFINITY;
  // Running sums over i >= j: mass, and sum p_i e^{loss_j - loss_i} (relative to the current point).
  let mass = 0;
  let weighted = 0;
  const decay = Math.exp(-interval);
  for (let j = probs.length - 1; j >= 0; j--) {
    const p = probs[j]! + entryError;
    if (p === 0 && mass === 0) continue;
    weighted = weighted * decay + p;
    mass += p;
    // delta at the next grid point below, loss_{j-1} = loss_j - interval.
    const lossBelow = (offset + j - 1) * interval;
    const deltaBelow = pld.infinityMass + mass - decay * weighted;
    if (deltaBelow > delta || j === 0) {
      // On [loss_{j-1}, loss_j]: delta(eps) = inf + mass - e^{eps - loss_j} weighted.
      const lossJ = lossBelow + interval;
      if (weighted <= 0) return Math.max(0, lossJ);
      const ratio = (pld.infinityMass + mass - delta) / weighted;
      if (ratio <= 0) return Math.max(0, lossJ);
      const epsilon = lossJ + Math.log(ratio);
      if (j === 0 && deltaBelow <= delta) {
        // Below the lowest grid point delta(eps) = inf + mass - e^eps * weighted e^{-loss_0}, same formula.
        return Math.max(0, epsilon);
      }
      return Math.max(0, Math.min(epsilon, lossJ));
    }
  }
  return 0;
}

/**
 * Moves the smallest losses whose total mass is at most `tail` up to the lowest kept loss, and the
 * largest ones whose total mass is at most `tail` to +Infinity (both pessimistic), to bound the size.
 */
export function truncatePld(pld: DiscretePld, tail: number): DiscretePld {
  const { probs } = pld;
  let low = 0;
  let lowMass = 0;
  const entryError = pld.entryError ?? 0;
  while (low < probs.length - 1 && lowMass + probs[low]! + entryError <= tail)
    lowMass += probs[low++]! + entryError;
  let high = probs.length - 1;
  let highMass = 0;
  while (high > low && highMass + probs[high]! + entryError <= tail) highMass += probs[high--]! + entryError;
  const kept = probs.slice(low, high + 1);
  kept[0] = kept[0]! + lowMass;
  return {
    interval: pld.interval,
    offset: pld.offset + low,
    probs: kept,
    infinityMass: Math.min(1, pld.infinityMass + highMass),
    entryError,
  };
}
