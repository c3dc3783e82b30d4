import { fillGaussian, SecureRandom, SeededRandom } from './src/index';

const which = process.argv[2];
const r = which === 'seeded' ? SeededRandom.fromSeed(1) : new SecureRandom();
const a = new Float32Array(1e6);
const w = new Uint32Array(2e6);
for (let k = 0; k < 5; k++) fillGaussian(a, 1, r);
const ts: number[] = [];
const fs: number[] = [];
for (let k = 0; k < 15; k++) {
  let c = process.cpuUsage();
  fillGaussian(a, 1, r);
  let d = process.cpuUsage(c);
  ts.push((d.user + d.system) / 1e6);
  c = process.cpuUsage();
  r.fillUint32(w);
  d = process.cpuUsage(c);
  fs.push((d.user + d.system) / 1e6);
}
ts.sort((x, y) => x - y);
fs.sort((x, y) => x - y);
console.log(
  which,
  'normals/cpu-s',
  (1e6 / ts[7]! / 1e6).toFixed(1),
  'M; fill 2e6 words ms',
  (fs[7]! * 1e3).toFixed(2),
);
