"""Finite-difference gradient checks (central differences, float64).

The reference objective is recomputed here with a deliberately plain
per-step loop, sharing nothing with ``bptt`` but the activation functions.
With truncation k, the objective whose exact gradient TBPTT computes is

    L_k(theta) = sum_t w_t l_t(theta; h_{t-k} held at its current value)

(each loss sees only its last k steps), so that is what gets differentiated.
``dh`` is checked too: dL/dh_s is the derivative with respect to a small
vector added to h_s during the forward pass.
"""

from __future__ import annotations

import numpy as np

from .functions import activate, head
from .losses import step_losses
from .params import Params
from .trace import Config, Sample, run


def _inputs(params: Params, sample: Sample) -> np.ndarray:
    return params.E[sample.ids] if params.E is not None else sample.xs


def objective(
    params: Params, sample: Sample, config: Config, inject=None, anchor: np.ndarray | None = None
) -> float:
    """The (possibly truncated) loss; ``inject=(s, v)`` adds v to h_s.

    ``anchor`` (T, H) holds the states that truncated windows start from,
    taken at the unperturbed parameters (they are constants of L_k).
    """
    xs = _inputs(params, sample)
    T = xs.shape[0]
    k = T if config.truncation is None else min(config.truncation, T)

    def run_from(start: int, h: np.ndarray, stop: int) -> np.ndarray:
        hs = []
        for t in range(start, stop + 1):
            h = activate(config.activation, params.W_hh @ h + params.W_xh @ xs[t] + params.b_h)
            if inject is not None and inject[0] == t:
                h = h + inject[1]
            hs.append(h)
        return np.array(hs)

    if k < T and anchor is None:
        anchor = run_from(0, params.h0, T - 1)
    total_logits = np.zeros((T, params.output_size))
    # every scored step gets its own window; unscored steps contribute nothing
    for t in np.flatnonzero(sample.scored):
        start = max(t - k + 1, 0)
        h_start = params.h0 if start == 0 else anchor[start - 1]
        if k >= T:  # full BPTT: one window covers everything
            h_start, start = params.h0, 0
        h_t = run_from(start, h_start, t)[-1]
        total_logits[t] = params.W_hy @ h_t + params.b_y
    ys = head(config.head, total_logits)
    _, loss, _ = step_losses(
        config.loss, config.head, config.reduction, total_logits, ys, sample.targets, sample.scored
    )
    return loss


def _numeric(f, x: np.ndarray, eps: float) -> np.ndarray:
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


# Central differences in float64 carry round-off of about 1e-16 * |L| / eps
# ~ 1e-11 per entry, so a gradient of size 1e-7 cannot be checked *relatively*
# to 1e-7. Below a norm of DENOM_FLOOR the error is measured against the floor,
# i.e. such gradients must agree to an absolute 1e-10.
DENOM_FLOOR = 1e-3


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / max(||a|| + ||b||, DENOM_FLOOR)."""
    denom = max(np.linalg.norm(a) + np.linalg.norm(b), DENOM_FLOOR)
    return float(np.linalg.norm(a - b) / denom)


def check(
    params: Params, sample: Sample, config: Config, eps: float = 1e-5, tol: float = 1e-7
) -> list[dict]:
    """Compare BPTT with central differences for every parameter and for dL/dh_t."""
    tr = run(params, sample, config)
    rows = []
    for name, analytic in tr.grads.items():
        arrays = {n: np.array(a) for n, a in params.as_dict().items()}

        def f(arrays=arrays):
            return objective(Params(**arrays), sample, config, anchor=tr.hs)

        numeric = _numeric(f, arrays[name], eps)
        rows.append(_row(name, analytic, numeric, tol))
    dh = np.zeros_like(tr.dh)
    for s in range(tr.length):
        v = np.zeros(params.hidden_size)

        def f(s=s, v=v):
            return objective(params, sample, config, inject=(s, v.copy()), anchor=tr.hs)

        dh[s] = _numeric(f, v, eps)
    rows.append(_row("dL/dh_t", tr.dh, dh, tol))
    return rows


def _row(name: str, analytic: np.ndarray, numeric: np.ndarray, tol: float) -> dict:
    err = rel_error(analytic, numeric)
    return {
        "name": name,
        "rel_error": err,
        "max_abs_error": float(np.max(np.abs(analytic - numeric), initial=0.0)),
        "passed": bool(err < tol),
    }
