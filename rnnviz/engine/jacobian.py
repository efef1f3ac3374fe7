"""How fast information (and gradient) decays or grows through time.

    dh_T/dh_t = prod_{s=t+1..T} diag(f'(z_s)) W_hh

so ||dh_T/dh_t||_2 <= (gamma * sigma_max(W_hh))^(T-t), where gamma = sup|f'|
(1 for tanh, 1/4 for sigmoid). Pascanu, Mikolov & Bengio (2013): if
sigma_max < 1/gamma, gradients from far back vanish (sufficient condition);
if sigma_max > 1/gamma they *may* explode (necessary, not sufficient).

The running product is renormalised every step and its scale kept as a
logarithm, so long sequences neither underflow to 0 nor overflow to inf
before the norm is taken; ``log10`` norms are returned too for log plots.
"""

from __future__ import annotations

import numpy as np

from .functions import GAMMA


def sigma_max(W: np.ndarray) -> float:
    """Largest singular value (the spectral norm)."""
    return float(np.linalg.norm(W, 2)) if W.size else 0.0


def gamma(activation: str) -> float:
    return GAMMA[activation]


def condition(activation: str, W_hh: np.ndarray) -> dict:
    """The vanishing/exploding condition in numbers and plain words."""
    s, g = sigma_max(W_hh), gamma(activation)
    threshold = 1.0 / g
    if s < threshold * (1.0 - 1e-12):  # within rounding of 1/gamma is the boundary
        verdict, words = (
            "vanishing",
            f"σ_max = {s:.3g} < 1/γ = {threshold:.3g}: vanishing is guaranteed",
        )
    else:
        verdict = "exploding-possible"
        words = f"σ_max = {s:.3g} ≥ 1/γ = {threshold:.3g}: exploding is possible, not certain"
    return {"sigma_max": s, "gamma": g, "threshold": threshold, "verdict": verdict, "text": words}


def jacobian_norms(fprime: np.ndarray, W_hh: np.ndarray, chunk: int = 64):
    """||dh_T/dh_t||_2 for t = 1..T (row i is t = i + 1; the last is ||I|| = 1).

    Returns (norms (T,), log10_norms (T,)). Spectral norms are taken in
    batches of ``chunk`` matrices to bound memory at T x H x H.
    """
    T, H = fprime.shape
    log10 = np.full(T, -np.inf)
    if T == 0:
        return np.zeros(0), log10
    log10[T - 1] = 0.0
    J = np.eye(H)
    log_scale = 0.0  # log10 of the factor divided out of J so far
    batch, where, scales = [], [], []

    def flush():
        if batch:
            s = np.linalg.svd(np.stack(batch), compute_uv=False)[:, 0]  # (b,)
            with np.errstate(divide="ignore"):
                log10[where] = np.log10(s) + np.array(scales)
            batch.clear(), where.clear(), scales.clear()

    with np.errstate(over="ignore", invalid="ignore"):
        for s in range(T - 1, 0, -1):
            J = J @ (fprime[s][:, None] * W_hh)  # dh_T/dh_{s-1} in 0-based rows
            nrm = np.sqrt(np.einsum("ij,ij->", J, J))
            if not np.isfinite(nrm) or nrm == 0.0:
                break  # exactly zero (dead ReLUs) or non-finite weights: leave -inf
            J /= nrm
            log_scale += np.log10(nrm)
            batch.append(J.copy()), where.append(s - 1), scales.append(log_scale)
            if len(batch) == chunk:
                flush()
        flush()
    with np.errstate(over="ignore"):
        norms = np.power(10.0, log10)
    return norms, log10
