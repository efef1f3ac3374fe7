"""Backpropagation through time (BPTT), full and truncated.

With delta_t = dL/dh_t (the *total* gradient reaching h_t) and
dz_t = dL/dz_t:

    delta_t = W_hy^T dL/do_t                (local: the loss at step t)
            + W_hh^T dz_{t+1}               (carried back from step t+1)
    dz_t    = f'(z_t) * delta_t             (diag(f'(z_t)) delta_t)

and, because the weights are shared, each parameter gradient is a sum over
time: dW_hh = sum_t dz_t h_{t-1}^T, dW_xh = sum_t dz_t x_t^T, db_h = sum_t dz_t,
dW_hy = sum_t dL/do_t h_t^T, db_y = sum_t dL/do_t, dh_0 = W_hh^T dz_1, and with
an embedding dE[id_t] += W_xh^T dz_t.

Note for readers of the "AI Planet" tutorial: its code carries the gradient
back with ``np.dot(self.Wh, temp)``; the chain rule needs the transpose,
W_hh^T (the two agree only for a symmetric W_hh).

Truncated BPTT with k steps (Williams & Peng's TBPTT): the loss at step t
sends gradient back to h_t, ..., h_{t-k+1} only, so every parameter gradient
keeps the contributions of those k steps per loss and drops the rest.

The same per-loss sweep, run with no limit, yields the T x T matrix
||dL_t/dh_s||: how much each step's loss sends back to each earlier hidden
state (RNNbow's itemised gradients). All scored steps travel back together,
one (n, H) x (H, H) product per lag, instead of T separate sweeps.
"""

from __future__ import annotations

import numpy as np

from .forward import ForwardPass, previous_states
from .functions import derivative
from .params import Params


def _full_sweep(dh_local: np.ndarray, fprime: np.ndarray, W_hh: np.ndarray) -> np.ndarray:
    """(T, H) total dL/dh_t by the backward recurrence, one vec-mat per step."""
    T, H = dh_local.shape
    dh = np.empty((T, H))
    carry = np.zeros(H)  # W_hh^T dz_{t+1}
    for local, fp, out in zip(dh_local[::-1], fprime[::-1], dh[::-1], strict=True):
        np.add(local, carry, out=out)
        carry = (out * fp) @ W_hh  # row-vector form of W_hh^T dz_t
    return dh


def per_loss_sweep(
    dh_local: np.ndarray,
    fprime: np.ndarray,
    W_hh: np.ndarray,
    scored: np.ndarray,
    max_lag: int,
    norms: bool = False,
):
    """Carry every scored step's gradient back at most ``max_lag`` steps, together.

    Returns (dh (T, H), M (T, T) or None) where dh[s] = sum over losses t with
    t - max_lag < s <= t of dL_t/dh_s, and M[t, s] = ||dL_t/dh_s||_2 (zero above
    the diagonal, at unscored rows and beyond the lag limit).
    """
    T, H = dh_local.shape
    steps = np.flatnonzero(scored)  # (n,) ascending loss steps
    G = dh_local[steps].copy()  # (n, H) row i: dL_{steps[i]}/dh at its position
    dh = np.zeros((T, H))
    M = np.zeros((T, T)) if norms else None
    with np.errstate(over="ignore", invalid="ignore"):
        # the T x T map alone (norms, no truncation) needs no dh: skip accumulating it
        _sweep(G, steps, None if norms and max_lag >= T else dh, M, fprime, W_hh, min(max_lag, T))
    return dh, M


def _sweep(G, steps, dh, M, fprime, W_hh, lags):
    # every step scored (the common case): rows sit at consecutive positions, so
    # slices replace fancy indexing (views instead of gathered copies)
    contiguous = len(steps) > 0 and steps[-1] - steps[0] + 1 == len(steps)
    for lag in range(lags):
        first = np.searchsorted(steps, lag)  # losses at t >= lag are still inside [0, T)
        if first == len(steps):
            break
        if first:
            G, steps = G[first:], steps[first:]
        pos = steps - lag  # (n,) timestep each row has reached
        rows = slice(pos[0], pos[-1] + 1) if contiguous else pos
        if dh is not None:
            dh[rows] += G  # positions are distinct for one lag
        if M is not None:
            M[steps, pos] = np.sqrt(np.einsum("ij,ij->i", G, G))
        G = (G * fprime[rows]) @ W_hh  # one step further back, all losses at once


def backward(
    params: Params,
    fwd: ForwardPass,
    dlogits: np.ndarray,
    activation: str,
    scored: np.ndarray,
    truncation: int | None = None,
    ids=None,
) -> dict:
    """Gradients of the loss whose dL/do is ``dlogits`` (T, O).

    Returns a dict with ``grads`` (one array per parameter, ``E`` if present),
    ``dh`` (T, H) total dL/dh_t, ``dh_local`` and ``dh_carried`` (its two
    parts), ``dz`` (T, H) and ``fprime`` (T, H).
    """
    T = fwd.hs.shape[0]
    fprime = derivative(activation, fwd.zs, fwd.hs)  # (T, H) diag of dh_t/dz_t
    with np.errstate(over="ignore", invalid="ignore"):
        dh_local = dlogits @ params.W_hy  # (T, H) W_hy^T dL/do_t, all t at once
        if truncation is None or truncation >= T:
            dh = _full_sweep(dh_local, fprime, params.W_hh)
        else:
            if truncation < 1:
                raise ValueError(f"truncation must be at least 1 step, not {truncation}")
            dh, _ = per_loss_sweep(dh_local, fprime, params.W_hh, scored, truncation)
        dz = fprime * dh  # (T, H)
        h_prev = previous_states(params, fwd.hs)  # (T, H)
        grads = {
            "W_xh": dz.T @ fwd.xs,  # (H, D) sum_t dz_t x_t^T
            "W_hh": dz.T @ h_prev,  # (H, H) sum_t dz_t h_{t-1}^T
            "b_h": dz.sum(axis=0),  # (H,)
            "W_hy": dlogits.T @ fwd.hs,  # (O, H)
            "b_y": dlogits.sum(axis=0),  # (O,)
            "h0": dz[0] @ params.W_hh if T else np.zeros(params.hidden_size),
        }
        if params.E is not None:
            dE = np.zeros_like(params.E)
            np.add.at(dE, np.asarray(ids, dtype=int), dz @ params.W_xh)  # repeated ids add up
            grads["E"] = dE
        dh_carried = dh - dh_local
    return {
        "grads": grads,
        "dh": dh,
        "dh_local": dh_local,
        "dh_carried": dh_carried,
        "dz": dz,
        "fprime": fprime,
    }
