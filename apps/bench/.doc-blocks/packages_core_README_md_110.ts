import { Blt, bltStrategy, noiseStreamStateFromJson, noiseStreamStateToJson } from '@cnm/core';

const blt = new Blt([0.95, 0.6, 0.2], [0.05, 0.15, 0.2]);
blt.coefficients(4); // [1, 0.4, 0.1775, 0.107125]

const stream = bltStrategy(blt).createInverseStream(1); // one buffer set per parameter vector of length 1
for (const z of [1, 2, 3]) stream.next(new Float64Array([z])); // 1, 1.6, 2.1825
const checkpoint = JSON.stringify(noiseStreamStateToJson(stream.exportState()));

const resumed = bltStrategy(blt).createInverseStream(1);
resumed.restoreState(noiseStreamStateFromJson(JSON.parse(checkpoint)));
resumed.next(new Float64Array([4])); // 2.735875, as the original stream would give
