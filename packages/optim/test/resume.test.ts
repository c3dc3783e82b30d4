import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { optimizerStateFromJson, optimizerStateToJson } from '../src/state-json';
import { runScenario, type ScenarioKind, scenarioOptimizer, scenarioVariables } from './resume-scenario';
import { useCpuBackend } from './tfjs-setup';

const tf = await useCpuBackend();
const here = dirname(fileURLToPath(import.meta.url));
const repositoryRoot = resolve(here, '../../..');

function values(variables: { dataSync(): ArrayLike<number> }[]): Float32Array[] {
  return variables.map((v) => new Float32Array(v.dataSync() as Float32Array));
}

describe.each(['sgd', 'adam', 'tfjs-adam', 'tfjs-momentum'] as ScenarioKind[])(
  'exact resume (%s, BLT noise)',
  (kind) => {
    const firstPart = 7;
    const secondPart = 9;

    function uninterrupted(): Float32Array[] {
      const variables = scenarioVariables(tf);
      runScenario(tf, scenarioOptimizer(kind, variables, tf), variables, firstPart + secondPart);
      return values(variables);
    }

    function interrupted() {
      const variables = scenarioVariables(tf);
      const optimizer = scenarioOptimizer(kind, variables, tf);
      runScenario(tf, optimizer, variables, firstPart);
      return { state: optimizer.exportState(), values: values(variables), optimizer, variables };
    }

    it('restored into fresh objects, continues bit for bit', () => {
      const expected = uninterrupted();
      const { state, values: saved, optimizer, variables } = interrupted();
      runScenario(tf, optimizer, variables, 2); // the exported state must not alias live buffers
      const fresh = scenarioVariables(tf, saved);
      const resumed = scenarioOptimizer(kind, fresh, tf);
      resumed.restoreState(structuredClone(state) as never);
      expect(resumed.iterations).toBe(firstPart);
      runScenario(tf, resumed, fresh, secondPart);
      expect(values(fresh)).toEqual(expected);
    });

    it('survives a JSON round trip (JSON.stringify / parse) bit for bit', () => {
      const expected = uninterrupted();
      const { state, values: saved } = interrupted();
      const text = JSON.stringify(optimizerStateToJson(state));
      const fresh = scenarioVariables(tf, saved);
      const resumed = scenarioOptimizer(kind, fresh, tf);
      resumed.restoreState(optimizerStateFromJson(JSON.parse(text)) as never);
      runScenario(tf, resumed, fresh, secondPart);
      expect(values(fresh)).toEqual(expected);
    });

    it('restored in a fresh process, continues bit for bit', () => {
      const expected = uninterrupted();
      const { state, values: saved } = interrupted();
      const dir = mkdtempSync(join(tmpdir(), 'cnm-optim-resume-'));
      const input = join(dir, 'in.bin');
      const output = join(dir, 'out.bin');
      writeFileSync(input, serialize({ kind, state, values: saved, steps: secondPart }));
      execFileSync(
        process.execPath,
        ['--conditions=@cnm/source', '--import', 'tsx', join(here, 'resume-child.ts'), input, output],
        { cwd: repositoryRoot, stdio: 'pipe' },
      );
      expect(deserialize(readFileSync(output))).toEqual(expected);
    });

    it('refuses a state of the other optimizer or other shapes', () => {
      const { state } = interrupted();
      const other = scenarioOptimizer(kind === 'sgd' ? 'adam' : 'sgd', scenarioVariables(tf), tf);
      expect(() => other.restoreState(state as never)).toThrow(/state.kind/);
      const same = scenarioOptimizer(kind, scenarioVariables(tf), tf);
      const badShapes = { ...state, variableShapes: [[3, 4], [3], [2, 2]] };
      expect(() => same.restoreState(badShapes as never)).toThrow(/variableShapes\[0\]/);
      expect(same.iterations).toBe(0);
      const json = optimizerStateToJson(state);
      expect(() => optimizerStateFromJson({ ...json, kind: 'sgd' } as never)).toThrow(/json.kind/);
      const broken = JSON.parse(JSON.stringify(json).replace(/"buffers":\[\[/, '"buffers":[["x",'));
      expect(() => optimizerStateFromJson(broken)).toThrow(/buffers/);
    });
  },
);
