"""Per-step losses and their gradient with respect to the logits o_t.

    categorical cross-entropy  L_t = -sum_j t_j log y_j
    binary cross-entropy       L_t = -sum_j [t_j log y_j + (1 - t_j) log(1 - y_j)]
    squared error              L_t =  sum_j (y_j - t_j)^2

Only scored steps count (many-to-one scores the last step only). The total is
the sum over scored steps, or their mean (the 1/T of the Madhu and "Week 4"
tutorials). The "Harry Potter" tutorial prints BCE as
-yhat log(yhat) - (1 - y) log(1 - yhat); the first factor must be the target
y, not the prediction yhat, as written here.

Cross-entropies are computed from the logits (log-sum-exp, softplus), never
as log(y), so a confident wrong answer gives a large finite loss instead of
log(0) = -inf. The canonical pairs (softmax + CE, sigmoid + BCE) have the
famous gradient y - t; other pairs go through the head's Jacobian.
"""

from __future__ import annotations

import numpy as np

from .functions import head_vjp

LOSSES = ("ce", "bce", "mse")
REDUCTIONS = ("sum", "mean")
# Which heads each loss accepts: cross-entropies need probabilities.
COMPATIBLE = {
    "ce": ("softmax", "sigmoid"),
    "bce": ("sigmoid",),
    "mse": ("softmax", "sigmoid", "identity"),
}


def check_pair(loss: str, head: str) -> None:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    if head not in COMPATIBLE[loss]:
        raise ValueError(
            f"the {loss} loss needs a {' or '.join(COMPATIBLE[loss])} output head, not {head!r}"
        )


def _softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e^x) without overflow."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _elementwise(loss: str, head: str, o: np.ndarray, y: np.ndarray, t: np.ndarray):
    """(loss per step (T,), dL_t/do_t (T, O)) before masking and reduction."""
    if loss == "ce" and head == "softmax":
        m = o.max(axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(o - m).sum(axis=1))  # (T,) log sum_j e^{o_j}
        tsum = t.sum(axis=1)
        return lse * tsum - (o * t).sum(axis=1), y * tsum[:, None] - t
    if loss == "ce":  # sigmoid head: -t log sigmoid(o) = t softplus(-o)
        return (t * _softplus(-o)).sum(axis=1), -t * (1.0 - y)
    if loss == "bce":  # sigmoid head: softplus(o) - t o
        return (_softplus(o) - t * o).sum(axis=1), y - t
    # squared error, any head
    diff = y - t  # (T, O)
    return (diff * diff).sum(axis=1), head_vjp(head, y, 2.0 * diff)


def step_losses(
    loss: str,
    head: str,
    reduction: str,
    logits: np.ndarray,
    ys: np.ndarray,
    targets: np.ndarray,
    scored: np.ndarray,
):
    """Return (step_losses (T,), total loss, dL/do (T, O)).

    ``step_losses`` is 0 at unscored steps; ``scored`` is a (T,) bool mask.
    """
    check_pair(loss, head)
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; choose 'sum' or 'mean'")
    scored = np.asarray(scored, dtype=bool)
    n = int(scored.sum())
    if n == 0:  # nothing to score (e.g. a typed sentence without tags): no loss, no gradient
        return np.zeros(len(scored)), 0.0, np.zeros_like(logits)
    t = np.where(scored[:, None], targets, 0.0)  # unscored targets may be NaN placeholders
    with np.errstate(over="ignore", invalid="ignore"):
        per_step, dlogits = _elementwise(loss, head, logits, ys, t)
    scale = 1.0 / n if reduction == "mean" else 1.0
    per_step = np.where(scored, per_step, 0.0)
    dlogits = np.where(scored[:, None], dlogits * scale, 0.0)
    with np.errstate(
        over="ignore", invalid="ignore"
    ):  # finite step losses can still sum past float64
        total = float(per_step.sum() * scale)
    return per_step, total, dlogits
