import {
  ComposedEvent,
  GaussianAccountant,
  GaussianEvent,
  NoOpEvent,
  PldAccountant,
  PoissonSampledEvent,
  RdpAccountant,
  SelfComposedEvent,
} from '@cnm/accountant';

const step = new PoissonSampledEvent(0.01, new GaussianEvent(1.1)); // one DP-SGD step
const training = new ComposedEvent([
  new SelfComposedEvent(step, 5000),
  new GaussianEvent(20),
  new NoOpEvent(),
]);

const pld = new PldAccountant(); // options: { interval = 1e-4, tailMass = 1e-15, maxSupport = 2^20 }
pld.compose(training); // or pld.compose(step, 5000)
pld.getEpsilon(1e-6);
pld.getDelta(2);

// Checkpoints: the state is the composed events themselves, restored exactly.
const saved = JSON.stringify(pld.toJSON());
const restored = PldAccountant.fromJSON(JSON.parse(saved));

new RdpAccountant().supports(new PoissonSampledEvent(0.1, new SelfComposedEvent(new GaussianEvent(1), 2))); // false
new GaussianAccountant().compose(step); // throws UnsupportedEventError: no amplification by sampling
