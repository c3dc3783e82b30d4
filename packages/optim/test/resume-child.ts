// Continues a resume scenario in a fresh process: reads { kind, state, values, steps } (v8-serialised)
// from argv[2], restores into new variables and a new optimizer, runs, writes the values to argv[3].
import { readFileSync, writeFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { runScenario, type ScenarioKind, scenarioOptimizer, scenarioVariables } from './resume-scenario';
import { useCpuBackend } from './tfjs-setup';

const tf = await useCpuBackend();
const input = deserialize(readFileSync(process.argv[2] as string)) as {
  kind: ScenarioKind;
  state: never;
  values: Float32Array[];
  steps: number;
};
const variables = scenarioVariables(tf, input.values);
const optimizer = scenarioOptimizer(input.kind, variables, tf);
optimizer.restoreState(input.state);
runScenario(tf, optimizer, variables, input.steps);
writeFileSync(process.argv[3] as string, serialize(variables.map((v) => new Float32Array(v.dataSync()))));
