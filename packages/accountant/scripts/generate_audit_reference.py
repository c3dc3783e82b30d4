#!/usr/bin/env python3
"""Offline generator of test/fixtures/audit-reference.json, the reference values of the audit bounds.

Independent of the TypeScript code (which inverts the binomial tail with a beta quantile and walks the
point masses by their ratio), this script uses scipy's binomial distribution directly:

- one-run audit (Steinke, Nasr & Jagielski 2023), delta = 0: bisection to 1e-13 on epsilon of
  P[Binomial(r, e^eps / (1 + e^eps)) >= v] <= 1 - confidence (0 when eps = 0 already satisfies >).
- one-run audit, delta > 0: the same bisection on the paper's p-value
  P[Bin >= v] + 2 m delta max_{1<=i<=v} P[v - i <= Bin < v] / i, with every point mass from scipy.
- multi-run audit: Clopper-Pearson upper bounds on FPR and FNR (scipy beta.ppf, each at confidence
  1 - (1 - confidence) / 2), eps = max(log((1 - delta - FPR) / FNR), log((1 - delta - FNR) / FPR), 0).

Run: python3 packages/accountant/scripts/generate_audit_reference.py (scipy >= 1.10; takes seconds).
"""
import json
import math
import os

import numpy as np
from scipy import stats

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'audit-reference.json')


def p_value(m, r, v, eps, delta):
    q = 1.0 / (1.0 + math.exp(-eps))
    tail = stats.binom.sf(v - 1, r, q)
    if delta == 0 or v == 0:
        return min(1.0, tail)
    masses = stats.binom.pmf(np.arange(v - 1, -1, -1), r, q)  # P[Bin = v-1], P[Bin = v-2], ...
    averages = np.cumsum(masses) / np.arange(1, v + 1)
    return min(1.0, tail + 2 * m * delta * averages.max())


def one_run_bound(m, r, v, delta, confidence):
    failure = 1 - confidence
    if p_value(m, r, v, 0.0, delta) > failure:
        return 0.0
    low, high = 0.0, 1.0
    while p_value(m, r, v, high, delta) <= failure:
        low, high = high, 2 * high
    while high - low > 1e-13 * max(1.0, high):
        mid = 0.5 * (low + high)
        if p_value(m, r, v, mid, delta) <= failure:
            low = mid
        else:
            high = mid
    return low


def clopper_pearson_bound(fp, negatives, fn, positives, delta, confidence):
    each = 1 - (1 - confidence) / 2
    fpr = 1.0 if fp == negatives else stats.beta.ppf(each, fp + 1, negatives - fp)
    fnr = 1.0 if fn == positives else stats.beta.ppf(each, fn + 1, positives - fn)
    candidates = [0.0]
    if 1 - delta - fpr > 0:
        candidates.append(math.log(1 - delta - fpr) - math.log(fnr))
    if 1 - delta - fnr > 0:
        candidates.append(math.log(1 - delta - fnr) - math.log(fpr))
    return max(candidates)


def main():
    one_run = []
    pure_cases = [(100, 80), (1000, 620), (1000, 500), (10, 10), (10, 7), (50, 50), (200, 130), (5000, 2700),
                  (20000, 10400), (300, 299), (1, 1), (40, 31)]
    for r, v in pure_cases:
        for confidence in (0.95, 0.99, 0.5):
            one_run.append({'guesses': r, 'correct': v, 'canaries': 2 * r, 'delta': 0.0, 'confidence': confidence,
                            'epsilon': one_run_bound(2 * r, r, v, 0.0, confidence)})
    delta_cases = [(100, 80, 1000), (1000, 620, 1000), (200, 180, 200), (1000, 900, 10000), (50, 50, 100),
                   (5000, 2700, 10000)]
    for r, v, m in delta_cases:
        for delta in (1e-5, 1e-3):
            one_run.append({'guesses': r, 'correct': v, 'canaries': m, 'delta': delta, 'confidence': 0.95,
                            'epsilon': one_run_bound(m, r, v, delta, 0.95)})
    multi_run = []
    for fp, neg, fn, pos in [(5, 500, 100, 500), (0, 1000, 0, 1000), (50, 100, 50, 100), (1, 200, 150, 200),
                             (0, 30, 29, 30), (120, 1000, 3, 1000), (10, 10, 0, 10)]:
        for delta in (0.0, 1e-5, 0.1):
            multi_run.append({'falsePositives': fp, 'negatives': neg, 'falseNegatives': fn, 'positives': pos,
                              'delta': delta, 'confidence': 0.95,
                              'epsilon': clopper_pearson_bound(fp, neg, fn, pos, delta, 0.95)})
    with open(OUT, 'w') as handle:
        json.dump({'oneRun': one_run, 'multiRun': multi_run}, handle, indent=1)
        handle.write('\n')


if __name__ == '__main__':
    main()
