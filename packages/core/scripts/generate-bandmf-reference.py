"""Reference values for fitBandMf (banded matrix factorisation), computed independently of the TypeScript code.

Dense float64 linear algebra (numpy), scipy's L-BFGS-B, and the RDP of the Poisson-subsampled Gaussian by its
integer-order binomial formula. Nothing here shares code or recurrences with @cnm/core:
  * C is built as a dense n x n matrix and B = A C^-1 is obtained with numpy.linalg.solve;
  * gradients come from matrix calculus: d err / dC = -2 C^-T B^T W B (W = row weights of the error);
  * the general (non-Toeplitz) banded optimum parameterises every entry inside the band with every column
    normalised to unit norm (the max column norm is the sensitivity, and scaling a column up never hurts).
Run: python3 packages/core/scripts/generate-bandmf-reference.py  (writes packages/core/test/fixtures/bandmf-reference.json
and packages/accountant/test/fixtures/amplified-bandmf-reference.json; about 10 minutes)
"""
import json
import math
import os

import numpy as np
from scipy.optimize import brentq, minimize
from scipy.special import gammaln, logsumexp


def workload(n, momentum=0.0, rates=None):
    eta = np.ones(n) if rates is None else np.asarray(rates, float)
    a = np.zeros((n, n))
    # A[T][t] = sum_{s=t..T} eta_s momentum^(s-t)
    for t in range(n):
        acc = 0.0
        for big_t in range(t, n):
            acc += eta[big_t] * momentum ** (big_t - t)
            a[big_t, t] = acc
    return a


def error_and_grad(a, c_mat, kind):
    n = a.shape[0]
    b = np.linalg.solve(c_mat.T, a.T).T  # B = A C^-1
    rows = np.sum(b * b, axis=1)
    if kind == 'rmse':
        w = np.full(n, 1.0 / n)
    else:
        w = np.zeros(n)
        w[int(np.argmax(rows))] = 1.0
    err = float(np.dot(w, rows))
    g = -2.0 * np.linalg.solve(c_mat, (b.T * w) @ b).T  # -2 C^-T B^T W B
    return err, g


def toeplitz(c, n):
    m = np.zeros((n, n))
    for i, ci in enumerate(c):
        if i >= n:
            break
        m += np.diag(np.full(n - i, ci), -i)
    return m


def fit_toeplitz(n, bands, kind, momentum=0.0, rates=None, start=None):
    """Optimal b-banded LT Toeplitz C with ||c|| = 1: min ||c||^2 err(A C^-1), c_0 fixed to 1."""
    a = workload(n, momentum, rates)

    def f(x):
        c = np.concatenate([[1.0], x])
        err, g = error_and_grad(a, toeplitz(c, n), kind)
        norm2 = float(np.dot(c, c))
        gc = np.array([np.trace(g, offset=-i) for i in range(bands)])
        val = math.log(norm2) + math.log(err)
        grad = 2 * c / norm2 + gc / err
        return val, grad[1:]

    if bands == 1:
        v, _ = f(np.zeros(0))
        return [1.0], math.exp(v / 2)
    best = None
    starts = [np.zeros(bands - 1)]
    sq = [1.0]
    for j in range(1, bands):
        sq.append(sq[-1] * (2 * j - 1) / (2 * j))
    starts.append(np.array(sq[1:]))
    if start is not None:
        starts.append(np.asarray(start, float))
    for x0 in starts:
        r = minimize(f, x0, jac=True, method='L-BFGS-B', options={'maxiter': 5000, 'gtol': 1e-12, 'ftol': 1e-15})
        if best is None or r.fun < best.fun:
            best = r
    c = np.concatenate([[1.0], best.x])
    c = c / np.linalg.norm(c)
    return c.tolist(), math.exp(best.fun / 2)


def fit_general(n, bands, kind, start_c):
    """Optimal general b-banded lower-triangular C with every column of unit norm (RMSE or max error)."""
    a = workload(n)
    mask = np.tril(np.ones((n, n))) * np.triu(np.ones((n, n)), -(bands - 1))
    idx = np.nonzero(mask)

    def build(x):
        xm = np.zeros((n, n))
        xm[idx] = x
        norms = np.linalg.norm(xm, axis=0)
        return xm, norms

    def f(x):
        xm, norms = build(x)
        c_mat = xm / norms
        err, g = error_and_grad(a, c_mat, kind)
        proj = g - c_mat * np.sum(c_mat * g, axis=0)
        gx = proj / norms
        return math.log(err), gx[idx] / err

    x0 = toeplitz(start_c, n)[idx]
    r = minimize(f, x0, jac=True, method='L-BFGS-B', options={'maxiter': 20000, 'gtol': 1e-10, 'ftol': 1e-15})
    return math.exp(r.fun / 2)


# ---------- RDP of the Poisson-subsampled Gaussian (integer orders, Mironov-Talwar-Zhang 2019) ----------
ORDERS = list(range(2, 257))


def log_a(q, sigma, alpha):
    i = np.arange(alpha + 1)
    log_binom = gammaln(alpha + 1) - gammaln(i + 1) - gammaln(alpha - i + 1)
    terms = log_binom + (alpha - i) * math.log1p(-q) + i * math.log(q) + (i * i - i) / (2 * sigma * sigma)
    return float(logsumexp(terms))


def rdp_epsilon(q, sigma, steps, delta):
    best = math.inf
    for alpha in ORDERS:
        rdp = alpha / (2 * sigma * sigma) if q == 1 else log_a(q, sigma, alpha) / (alpha - 1)
        eps = steps * rdp + math.log1p(-1 / alpha) - (math.log(delta) + math.log(alpha)) / (alpha - 1)
        best = min(best, eps)
    return max(best, 0.0)


def calibrate(q, steps, delta, target):
    return brentq(lambda s: rdp_epsilon(q, s, steps, delta) - target, 0.05, 500, xtol=1e-10)


out = {'toeplitz': [], 'general': [], 'workloads': [], 'epsilonScan': {}}

# Toeplitz optima (prefix sums), both errors.
for n, bands in [(16, 2), (16, 4), (64, 3), (64, 8), (256, 4), (256, 8), (256, 16)]:
    for kind in ['rmse', 'max']:
        c, loss = fit_toeplitz(n, bands, kind)
        out['toeplitz'].append({'steps': n, 'bands': bands, 'error': kind, 'loss': loss, 'coefficients': c})
        print('toeplitz', n, bands, kind, loss, flush=True)

# Other workloads: momentum and a learning-rate schedule (cosine decay).
for n, bands, mom, rates_kind in [(128, 6, 0.9, None), (96, 4, 0.0, 'cosine'), (96, 5, 0.5, 'cosine')]:
    rates = None if rates_kind is None else [0.5 * (1 + math.cos(math.pi * t / n)) for t in range(n)]
    for kind in ['rmse', 'max']:
        c, loss = fit_toeplitz(n, bands, kind, mom, rates)
        out['workloads'].append({'steps': n, 'bands': bands, 'error': kind, 'momentum': mom,
                                 'learningRates': rates, 'loss': loss, 'coefficients': c})
        print('workload', n, bands, mom, rates_kind, kind, loss, flush=True)

# General banded optimum versus Toeplitz (RMSE), n <= 256.
for n, bands in [(16, 2), (16, 4), (64, 3), (64, 8), (256, 4)]:
    tc, tloss = next((e['coefficients'], e['loss']) for e in out['toeplitz']
                     if e['steps'] == n and e['bands'] == bands and e['error'] == 'rmse')
    gloss = fit_general(n, bands, 'rmse', tc)
    out['general'].append({'steps': n, 'bands': bands, 'error': 'rmse', 'loss': gloss, 'toeplitzLoss': tloss})
    print('general', n, bands, gloss, tloss, tloss / gloss, flush=True)

# Best band count against epsilon: N examples, expected batch B, E epochs; p = B b / N, ceil(n / b) compositions.
N, B, E, delta = 1000, 50, 4, 1e-5
n = E * N // B
scan = {'datasetSize': N, 'batchSize': B, 'epochs': E, 'steps': n, 'delta': delta, 'rows': []}
rmse = {}
for bands in range(1, N // B + 1):
    rmse[bands] = fit_toeplitz(n, bands, 'rmse')[1]
for eps in [1, 2, 4, 8]:
    row = {'epsilon': eps, 'bands': [], 'sigma': [], 'rmse': [], 'expectedError': []}
    for bands in range(1, N // B + 1):
        q = B * bands / N
        sigma = calibrate(q, math.ceil(n / bands), delta, eps)
        row['bands'].append(bands)
        row['sigma'].append(sigma)
        row['rmse'].append(rmse[bands])
        row['expectedError'].append(sigma * rmse[bands])
    k = int(np.argmin(row['expectedError']))
    row['bestBands'] = row['bands'][k]
    row['ratioToDpSgd'] = row['expectedError'][k] / row['expectedError'][0]
    scan['rows'].append(row)
    print('eps', eps, 'best b', row['bestBands'], 'ratio', row['ratioToDpSgd'], flush=True)
out['epsilonScan'] = scan

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, '..', 'test', 'fixtures', 'bandmf-reference.json'), 'w') as fh:
    json.dump(out, fh, indent=1)
    fh.write('\n')
# The calibrated noise multipliers also check @cnm/accountant's amplified banded MF calibration.
accountant = {key: scan[key] for key in ['datasetSize', 'batchSize', 'epochs', 'steps', 'delta']}
accountant['rdpOrders'] = 'integers 2..256'
accountant['rows'] = [{'epsilon': r['epsilon'], 'bands': r['bands'], 'sigma': r['sigma']} for r in scan['rows']]
with open(os.path.join(here, '..', '..', 'accountant', 'test', 'fixtures', 'amplified-bandmf-reference.json'), 'w') as fh:
    json.dump(accountant, fh, indent=1)
    fh.write('\n')
