"""Gradient clipping (Pascanu, Mikolov & Bengio 2013).

* value: every component clipped to [-tau, tau] (the "AI Planet" tutorial's
  ``np.clip(dW, -1, 1)``). Cheap, but it changes the gradient's direction.
* norm: g <- tau g / ||g|| when ||g|| > tau, with ||g|| the global L2 norm
  over all parameters (PyTorch's ``clip_grad_norm_``). Direction kept: the
  cosine between raw and clipped gradient is exactly 1.

Every call reports the norm before and after, whether anything changed, and
that cosine, so a teacher can show why norm clipping is the safer default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODES = ("off", "value", "norm")


@dataclass(frozen=True)
class ClipRecord:
    mode: str
    threshold: float
    norm_before: float  # global L2 norm of the raw gradient (what clip_grad_norm_ returns)
    norm_after: float
    clipped: bool
    cosine: float  # cos(raw, clipped); 1.0 when nothing changed

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def global_norm(grads: dict[str, np.ndarray]) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))


def clip(grads: dict[str, np.ndarray], mode: str = "off", threshold: float = 1.0):
    """Return (clipped copy of ``grads``, ClipRecord)."""
    if mode not in MODES:
        raise ValueError(f"unknown clipping mode {mode!r}; choose off, value or norm")
    if mode != "off" and not (np.isfinite(threshold) and threshold > 0):
        raise ValueError(f"the clipping threshold must be a positive number, not {threshold}")
    before = global_norm(grads)
    if mode == "value":
        out = {k: np.clip(g, -threshold, threshold) for k, g in grads.items()}
    elif mode == "norm" and before > threshold and np.isfinite(before):
        scale = threshold / before
        out = {k: g * scale for k, g in grads.items()}
    else:
        out = {k: g.copy() for k, g in grads.items()}
    after = global_norm(out)
    changed = any(not np.array_equal(out[k], grads[k], equal_nan=True) for k in grads)
    return out, ClipRecord(
        mode, float(threshold), before, after, changed, _cosine(grads, out, before, after, changed)
    )


def _cosine(a: dict, b: dict, na: float, nb: float, changed: bool) -> float:
    if not changed:
        return 1.0
    if na == 0.0 or nb == 0.0 or not (np.isfinite(na) and np.isfinite(nb)):
        return float("nan") if not (np.isfinite(na) and np.isfinite(nb)) else 0.0
    dot = sum(float(np.sum(a[k] * b[k])) for k in a)
    return float(np.clip(dot / (na * nb), -1.0, 1.0))
