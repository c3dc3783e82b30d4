/**
 * Runs the built `cnm` bin (dist/cli.js, built by the global setup) as a user would, and checks its
 * output against the library functions called directly from source.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  calibrateGaussian,
  calibrateNoiseMultiplier,
  clopperPearsonEpsilonLowerBound,
  computeEpsilon,
  gaussianDelta,
  gaussianEpsilon,
  oneRunEpsilonLowerBound,
} from '@cnm/accountant';
import {
  Blt,
  bandedSquareRootStrategy,
  bltLoss,
  fitBandMf,
  fitBlt,
  sensitivity,
  strategyLoss,
} from '@cnm/core';
import { describe, expect, it } from 'vitest';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/cli.js');

function cnm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function cnmJson(...args: string[]): Record<string, unknown> {
  const output = execFileSync(process.execPath, [bin, ...args, '--json'], { encoding: 'utf8' });
  const lines = output.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] as string) as Record<string, unknown>;
}

const setting = { noiseMultiplier: 1, sampleRate: 0.01, steps: 500, delta: 1e-5 };

describe('cnm epsilon and calibrate', () => {
  it('epsilon prints what computeEpsilon gives, for both accountants', () => {
    for (const accountant of ['pld', 'rdp'] as const) {
      const result = cnmJson(
        'epsilon',
        '--noise-multiplier',
        '1',
        '--sample-rate',
        String(setting.sampleRate),
        '--steps',
        '500',
        '--delta',
        '1e-5',
        '--accountant',
        accountant,
      );
      expect(result.epsilon).toBe(computeEpsilon({ ...setting, accountant }));
      expect(result).toMatchObject({ accountant, noiseMultiplier: 1, steps: 500, delta: 1e-5 });
    }
  });

  it('calibrate prints the calibrated noise and the epsilon it spends, at most the target', () => {
    const args = [
      '--epsilon',
      '8',
      '--delta',
      '1e-5',
      '--sample-rate',
      String(setting.sampleRate),
      '--steps',
      '500',
    ];
    const result = cnmJson('calibrate', ...args);
    const expected = calibrateNoiseMultiplier({
      targetEpsilon: 8,
      targetDelta: 1e-5,
      sampleRate: setting.sampleRate,
      steps: 500,
    });
    expect(result.noiseMultiplier).toBe(expected);
    expect(result.epsilon as number).toBeLessThanOrEqual(8);
    expect(result.targetEpsilon).toBe(8);
  });

  it('prints a readable table without --json', () => {
    const { status, stdout } = cnm(
      'epsilon',
      '--noise-multiplier',
      '2',
      '--sample-rate',
      '0.01',
      '--steps',
      '100',
      '--delta',
      '1e-5',
    );
    expect(status).toBe(0);
    const row = stdout.split('\n').find((line) => line.startsWith('epsilon '));
    expect(Number(row?.split(/\s+/)[1])).toBe(
      computeEpsilon({ noiseMultiplier: 2, sampleRate: 0.01, steps: 100, delta: 1e-5 }),
    );
    expect(stdout).toMatch(/^accountant\s+pld$/m);
  });
});

describe('cnm gaussian', () => {
  it('computes whichever of epsilon, noise multiplier and delta is missing', () => {
    const epsilon = cnmJson('gaussian', '--noise-multiplier', '4', '--compositions', '10', '--delta', '1e-6');
    expect(epsilon.epsilon).toBe(gaussianEpsilon({ noiseMultiplier: 4, compositions: 10, delta: 1e-6 }));
    const sigma = cnmJson('gaussian', '--epsilon', '2', '--compositions', '10', '--delta', '1e-6');
    expect(sigma.noiseMultiplier).toBe(
      calibrateGaussian({ targetEpsilon: 2, targetDelta: 1e-6, compositions: 10 }),
    );
    expect(sigma.epsilon as number).toBeLessThanOrEqual(2);
    const delta = cnmJson('gaussian', '--noise-multiplier', '4', '--epsilon', '2');
    expect(delta.delta).toBe(gaussianDelta({ noiseMultiplier: 4, compositions: 1, epsilon: 2 }));
  });

  it('refuses anything but two of the three', () => {
    for (const args of [
      ['--epsilon', '2'],
      ['--epsilon', '2', '--delta', '1e-5', '--noise-multiplier', '1'],
    ]) {
      const { status, stderr } = cnm('gaussian', ...args);
      expect(status).toBe(2);
      expect(stderr).toMatch(/exactly two of --noise-multiplier, --epsilon and --delta/);
    }
  });
});

describe('cnm fit-blt', () => {
  it('prints the fit of fitBlt, and its decays and output scales are a BLT with that loss', () => {
    const result = cnmJson(
      'fit-blt',
      '--steps',
      '64',
      '--min-separation',
      '8',
      '--max-participations',
      '4',
      '--error',
      'rmse',
    );
    const fit = fitBlt({ steps: 64, minSeparation: 8, maxParticipations: 4, error: 'rmse' });
    expect(result.loss).toBe(fit.loss);
    expect(result.decays).toEqual(Array.from(fit.blt.decays));
    expect(result.outputScales).toEqual(Array.from(fit.blt.outputScales));
    const loss = bltLoss(new Blt(result.decays as number[], result.outputScales as number[]), {
      steps: 64,
      participation: { minSeparation: 8, maxParticipations: 4 },
    });
    expect(loss.rmseLoss).toBeCloseTo(result.loss as number, 10);
    expect(result).toMatchObject({ errorKind: 'rmse', steps: 64, minSeparation: 8, maxParticipations: 4 });
  });

  it('takes a fixed buffer count (--buffers is an alias), not both spellings', () => {
    expect(cnmJson('fit-blt', '--steps', '32', '--buffers', '1').bufferCount).toBe(1);
    expect(cnmJson('fit-blt', '--steps', '32', '--buffer-count', '2').bufferCount).toBe(2);
    const { status, stderr } = cnm('fit-blt', '--steps', '32', '--buffers', '1', '--buffer-count', '2');
    expect(status).toBe(2);
    expect(stderr).toMatch(/--buffer-count or its alias --buffers, not both/);
  });
});

describe('cnm fit-bandmf', () => {
  it('prints the fit of fitBandMf: a band of unit norm and its loss', () => {
    const result = cnmJson('fit-bandmf', '--steps', '64', '--bands', '4', '--error', 'max');
    const fit = fitBandMf({ steps: 64, bands: 4, error: 'max' });
    expect(result.loss).toBe(fit.loss);
    expect(result.coefficients).toEqual(Array.from(fit.coefficients));
    const norm = Math.hypot(...(result.coefficients as number[]));
    expect(norm).toBeCloseTo(1, 12);
    expect(result).toMatchObject({ errorKind: 'max', bands: 4, steps: 64 });
  });

  it('passes the library message for too many bands', () => {
    const { status, stderr } = cnm('fit-bandmf', '--steps', '10', '--bands', '11');
    expect(status).toBe(2);
    expect(stderr).toMatch(/bands must be an integer in \[1, 10\]/);
  });
});

describe('cnm sensitivity', () => {
  it('of a BLT, a named strategy and raw coefficients, as the library computes them', () => {
    const participation = { minSeparation: 8, maxParticipations: 4 };
    const flags = ['--steps', '64', '--min-separation', '8', '--max-participations', '4'];
    const blt = cnmJson('sensitivity', ...flags, '--decays', '0.9,0.5', '--output-scales', '0.2,0.1');
    const expected = bltLoss(new Blt([0.9, 0.5], [0.2, 0.1]), { steps: 64, participation });
    expect(blt).toMatchObject({
      sensitivity: expected.sensitivity,
      maxError: expected.maxError,
      rmseLoss: expected.rmseLoss,
    });
    const banded = cnmJson('sensitivity', ...flags, '--strategy', 'banded-square-root', '--bands', '4');
    expect(banded.sensitivity).toBe(
      strategyLoss(bandedSquareRootStrategy(4), { steps: 64, participation }).sensitivity,
    );
    // c = (1, 1/2, 1/4), every step: the worst column sum is (1, 3/2, 7/4).
    const raw = cnmJson(
      'sensitivity',
      '--coefficients',
      '1,0.5,0.25',
      '--min-separation',
      '1',
      '--max-participations',
      '3',
    );
    expect(raw.sensitivity).toBeCloseTo(Math.sqrt(1 + 2.25 + 3.0625), 14);
    const cyclic = cnmJson(
      'sensitivity',
      '--coefficients',
      '1,0.5,0.25,0.1',
      '--cyclic',
      '--min-separation',
      '2',
    );
    expect(cyclic.sensitivity).toBe(sensitivity([1, 0.5, 0.25, 0.1], { kind: 'cyclic', minSeparation: 2 }));
  });

  it('needs exactly one strategy source', () => {
    const { status, stderr } = cnm(
      'sensitivity',
      '--steps',
      '10',
      '--strategy',
      'identity',
      '--coefficients',
      '1,2',
    );
    expect(status).toBe(2);
    expect(stderr).toMatch(
      /exactly one of --decays\/--output-scales \(a BLT\), --strategy or --coefficients/,
    );
  });
});

describe('cnm audit-bound', () => {
  it('one run and many runs, as the accountant computes them', () => {
    expect(cnmJson('audit-bound', '--guesses', '100', '--correct', '80').epsilonLowerBound).toBeCloseTo(
      0.9584,
      4,
    );
    const withDelta = cnmJson(
      'audit-bound',
      '--guesses',
      '1000',
      '--correct',
      '620',
      '--canaries',
      '1000',
      '--delta',
      '1e-5',
      '--confidence',
      '0.99',
    );
    expect(withDelta.epsilonLowerBound).toBe(
      oneRunEpsilonLowerBound({ guesses: 1000, correct: 620, canaries: 1000, delta: 1e-5, confidence: 0.99 }),
    );
    const counts = { falsePositives: 5, negatives: 500, falseNegatives: 100, positives: 500 };
    const multi = cnmJson(
      'audit-bound',
      '--false-positives',
      '5',
      '--negatives',
      '500',
      '--false-negatives',
      '100',
      '--positives',
      '500',
    );
    expect(multi.epsilonLowerBound).toBe(
      clopperPearsonEpsilonLowerBound({ ...counts, delta: 0, confidence: 0.95 }),
    );
  });
});

describe('bad arguments exit with code 2', () => {
  it('with the library message when the library rejects a value', () => {
    let message = '';
    try {
      computeEpsilon({ ...setting, noiseMultiplier: -1 });
    } catch (error) {
      message = (error as Error).message;
    }
    const { status, stderr, stdout } = cnm(
      'epsilon',
      '--noise-multiplier',
      '-1',
      '--sample-rate',
      '0.01',
      '--steps',
      '10',
      '--delta',
      '1e-5',
    );
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`cnm: error: ${message}`);
    const audit = cnm('audit-bound', '--guesses', '10', '--correct', '11');
    expect(audit.status).toBe(2);
    expect(audit.stderr).toMatch(/correct must be an integer in \[0, 10\]/);
  });

  it('for usage errors: not a number, a missing option, an unknown command or choice', () => {
    const cases: [string[], RegExp][] = [
      [
        ['epsilon', '--noise-multiplier', 'abc', '--sample-rate', '0.1', '--steps', '1', '--delta', '1e-5'],
        /'abc' is invalid/,
      ],
      [['epsilon', '--noise-multiplier', '1'], /required option '--sample-rate <q>' not specified/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['fit-blt', '--steps', '10', '--error', 'mean'], /Allowed choices are max, rmse/],
      [
        [
          'calibrate',
          '--epsilon',
          '1',
          '--delta',
          '1e-5',
          '--sample-rate',
          '0.1',
          '--steps',
          '1',
          '--accountant',
          'prv',
        ],
        /Allowed choices are pld, rdp/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const { status, stderr } = cnm(...args);
      expect(status, args.join(' ')).toBe(2);
      expect(stderr).toMatch(pattern);
    }
  });

  it('help and version exit with 0', () => {
    expect(cnm('--help').status).toBe(0);
    expect(cnm('fit-blt', '--help').stdout).toMatch(/--min-separation <steps>/);
    expect(cnm('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
