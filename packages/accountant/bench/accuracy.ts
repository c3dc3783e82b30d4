/**
 * Accuracy of the accountants against the committed high-precision references and public anchors.
 * Run from the repository root: pnpm exec tsx packages/accountant/bench/accuracy.ts
 */

import { GaussianEvent, PoissonSampledEvent } from '../src/events';
import { gdpDelta, gdpEpsilon } from '../src/gaussian';
import {
  computeEpsilon,
  gaussianEpsilon,
  OPACUS_RDP_ORDERS,
  PldAccountant,
  RdpAccountant,
  rdpSampledGaussian,
} from '../src/index';
import gaussianReference from '../test/fixtures/gaussian-reference.json';
import pldReference from '../test/fixtures/pld-reference.json';
import rdpReference from '../test/fixtures/rdp-reference.json';

let worstDelta = 0;
for (const { mu, epsilon, delta } of gaussianReference.deltas) {
  worstDelta = Math.max(worstDelta, Math.abs(gdpDelta(mu, epsilon) / delta - 1));
}
let worstEpsilon = 0;
for (const { mu, delta, epsilon } of gaussianReference.epsilons) {
  worstEpsilon = Math.max(worstEpsilon, (gdpEpsilon(mu, delta) - epsilon) / Math.max(1, epsilon));
}
let worstLogA = 0;
let worstRelative = 0;
for (const { sampleRate, noiseMultiplier, order, logA, rdp } of rdpReference.logA) {
  const got = rdpSampledGaussian(sampleRate, noiseMultiplier, order);
  worstLogA = Math.max(worstLogA, Math.abs(got * (order - 1) - logA));
  if (logA > 1e-3) worstRelative = Math.max(worstRelative, Math.abs(got / rdp - 1));
}
console.log(
  `Gaussian delta(eps), ${gaussianReference.deltas.length} cases: max relative error ${worstDelta.toExponential(1)}`,
);
console.log(
  `Gaussian eps(delta), ${gaussianReference.epsilons.length} cases: max excess ${worstEpsilon.toExponential(1)} (relative, never below)`,
);
console.log(
  `RDP log A, ${rdpReference.logA.length} cases: max |error| ${worstLogA.toExponential(1)}; relative on RDP where log A > 1e-3: ${worstRelative.toExponential(1)}`,
);
for (const a of rdpReference.opacusAnchors) {
  const acc = new RdpAccountant({ orders: OPACUS_RDP_ORDERS }).compose(
    new PoissonSampledEvent(a.sampleRate, new GaussianEvent(a.noiseMultiplier)),
    a.steps,
  );
  const rich = new RdpAccountant().compose(
    new PoissonSampledEvent(a.sampleRate, new GaussianEvent(a.noiseMultiplier)),
    a.steps,
  );
  console.log(
    `RDP anchor q=${a.sampleRate.toPrecision(4)} sigma=${a.noiseMultiplier} steps=${a.steps}: Opacus grid ${acc.getEpsilon(a.delta).toFixed(6)} (mpmath ${a.epsilon.toFixed(6)}), default grid ${rich.getEpsilon(a.delta).toFixed(6)}`,
  );
}
const pld = computeEpsilon({
  noiseMultiplier: 1,
  sampleRate: 1024 / 60000,
  steps: 2930,
  delta: 1e-5,
  accountant: 'pld',
});
console.log(
  `PLD anchor q=1024/60000 sigma=1 steps=2930 delta=1e-5: ${pld.toFixed(6)} (dp_accounting: 5.7717)`,
);
// Gaussian steps are merged exactly before discretising: this measures the discretisation alone.
for (const [sigma, steps, delta] of [
  [2, 100, 1e-5],
  [2, 100, 1e-12],
  [5, 1000, 1e-8],
] as const) {
  const viaPld = new PldAccountant().compose(new GaussianEvent(sigma), steps).getEpsilon(delta);
  const exact = gaussianEpsilon({ noiseMultiplier: sigma, compositions: steps, delta });
  console.log(
    `PLD of ${steps} Gaussians sigma=${sigma} at delta=${delta}: ${viaPld.toFixed(7)} vs exact ${exact.toFixed(7)} (excess ${(viaPld - exact).toExponential(1)})`,
  );
}
let worstExcess = 0;
for (const c of pldReference.twoSteps) {
  const got = new PldAccountant()
    .compose(new PoissonSampledEvent(c.sampleRate, new GaussianEvent(c.noiseMultiplier)), c.steps)
    .getEpsilon(c.delta);
  if (got < c.epsilon - 1e-9) throw new Error(`PLD below the exact two-step epsilon: ${JSON.stringify(c)}`);
  worstExcess = Math.max(worstExcess, got - c.epsilon);
}
console.log(
  `PLD vs exact two-step sampled Gaussian, ${pldReference.twoSteps.length} cases: never below, max excess ${worstExcess.toExponential(1)}`,
);
