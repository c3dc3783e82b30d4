import { describe, expect, it } from 'vitest';
import { minimizeLbfgs } from './lbfgs';

describe('minimizeLbfgs', () => {
  it('minimises the Rosenbrock function to the gradient tolerance', () => {
    const result = minimizeLbfgs(
      (x, g) => {
        const a = x[0] as number;
        const b = x[1] as number;
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      new Float64Array([-1.2, 1]),
      { gradientTolerance: 1e-10 },
    );
    expect(result.reason).toBe('gradient');
    expect(result.x[0]).toBeCloseTo(1, 9);
    expect(result.x[1]).toBeCloseTo(1, 9);
  });

  it('stays inside a barrier region where the objective is +∞ outside', () => {
    // minimise -log(x) - log(1 - x) + 3x on (0, 1): the line search must back off from infeasible steps.
    const result = minimizeLbfgs(
      (x, g) => {
        const t = x[0] as number;
        if (!(t > 0 && t < 1)) return Number.POSITIVE_INFINITY;
        g[0] = -1 / t + 1 / (1 - t) + 3;
        return -Math.log(t) - Math.log(1 - t) + 3 * t;
      },
      new Float64Array([0.9]),
    );
    // Stationary point: -1/t + 1/(1-t) + 3 = 0 → 3t² - 5t + 1 = 0 → t = (5 - √13)/6.
    expect(result.x[0]).toBeCloseTo((5 - Math.sqrt(13)) / 6, 10);
  });

  it('reports an iteration limit honestly', () => {
    const result = minimizeLbfgs(
      (x, g) => {
        const a = x[0] as number;
        const b = x[1] as number;
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      new Float64Array([-1.2, 1]),
      { maxIterations: 3 },
    );
    expect(result.reason).toBe('max-iterations');
    expect(result.iterations).toBe(3);
  });
});
