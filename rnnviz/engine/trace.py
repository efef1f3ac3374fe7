"""One forward and backward pass, with every intermediate kept: a ``Trace``.

The UI draws traces and never recomputes math (minGPT's
``encode_and_show_work`` is the spirit). Arrays are read-only; row i of a
per-timestep array is timestep i + 1. Expensive analyses (Jacobian norms,
the T x T loss-to-state matrix) are computed on first access and cached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import bptt, jacobian
from .clipping import MODES, ClipRecord, clip, global_norm
from .forward import ForwardPass, forward
from .functions import ACTIVATIONS, HEADS
from .losses import REDUCTIONS, check_pair, step_losses
from .params import Params, frozen, sealed


@dataclass(frozen=True)
class Config:
    """How the network computes and learns (everything but the weights)."""

    activation: str = "tanh"
    head: str = "softmax"
    loss: str = "ce"
    reduction: str = "sum"
    truncation: int | None = None  # None: full BPTT; k: each loss reaches k steps back
    clip_mode: str = "off"
    clip_threshold: float = 1.0

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}"
            )
        if self.head not in HEADS:
            raise ValueError(f"unknown output head {self.head!r}; choose one of {', '.join(HEADS)}")
        check_pair(self.loss, self.head)
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {self.reduction!r}; choose 'sum' or 'mean'")
        if self.truncation is not None and (
            isinstance(self.truncation, bool)
            or not isinstance(self.truncation, int)
            or self.truncation < 1
        ):
            raise ValueError(
                f"truncation must be a whole number of steps >= 1, not {self.truncation!r}"
            )
        if self.clip_mode not in MODES:
            raise ValueError(f"unknown clipping mode {self.clip_mode!r}; choose off, value or norm")
        t = self.clip_threshold
        if self.clip_mode != "off" and (
            isinstance(t, bool) or not isinstance(t, int | float) or not (np.isfinite(t) and t > 0)
        ):
            raise ValueError(f"the clipping threshold must be a positive number, not {t!r}")


@dataclass(frozen=True, eq=False)
class Sample:
    """One input sequence with its targets."""

    xs: np.ndarray  # (T, D) input vectors
    targets: np.ndarray  # (T, O) target vectors (NaN rows where unscored)
    scored: np.ndarray  # (T,) bool: which steps carry a loss
    tokens: tuple[str, ...] = ()
    ids: np.ndarray | None = None  # (T,) token ids, needed for an embedding's gradient

    def __post_init__(self) -> None:
        object.__setattr__(self, "xs", frozen(self.xs))
        object.__setattr__(self, "targets", frozen(self.targets))
        scored = np.array(self.scored, dtype=bool)
        scored.flags.writeable = False
        object.__setattr__(self, "scored", scored)
        if self.ids is not None:
            ids = np.array(self.ids, dtype=int)
            ids.flags.writeable = False
            object.__setattr__(self, "ids", ids)
        T = self.xs.shape[0]
        if self.targets.shape[0] != T or self.scored.shape != (T,):
            raise ValueError(f"{T} inputs but {self.targets.shape[0]} targets")

    @property
    def length(self) -> int:
        return self.xs.shape[0]


@dataclass(frozen=True, eq=False)
class Trace:
    params: Params
    config: Config
    sample: Sample
    fwd: ForwardPass
    step_losses: np.ndarray  # (T,) 0 at unscored steps
    loss: float
    dlogits: np.ndarray  # (T, O) dL/do_t
    dh: np.ndarray  # (T, H) total dL/dh_t
    dh_local: np.ndarray  # (T, H) part from the loss at t
    dh_carried: np.ndarray  # (T, H) part carried back from t + 1
    dz: np.ndarray  # (T, H) dL/dz_t
    fprime: np.ndarray  # (T, H) f'(z_t)
    grads: dict = field(repr=False)  # raw gradients, one per parameter
    clipped_grads: dict = field(repr=False)  # after the config's clipping
    clip: ClipRecord = None

    # -- convenient names matching the trace file's keys ------------------
    xs = property(lambda s: s.fwd.xs)
    zs = property(lambda s: s.fwd.zs)
    hs = property(lambda s: s.fwd.hs)
    logits = property(lambda s: s.fwd.logits)
    ys = property(lambda s: s.fwd.ys)
    length = property(lambda s: s.fwd.hs.shape[0])

    @cached_property
    def dh_norms(self) -> np.ndarray:
        """(T,) ||dL/dh_t||_2."""
        return frozen(_norms(self.dh))

    @cached_property
    def finite(self) -> bool:
        arrays = (self.zs, self.hs, self.logits, self.ys, self.dh, *self.grads.values())
        return bool(np.isfinite(self.loss) and all(np.isfinite(a).all() for a in arrays))

    @cached_property
    def problem(self) -> str | None:
        """None when every number is finite; otherwise where the first overflow happened."""
        if self.finite:
            return None
        for name, arr in (
            ("z", self.zs),
            ("h", self.hs),
            ("o", self.logits),
            ("y", self.ys),
            ("dL/dh", self.dh),
        ):
            bad = ~np.isfinite(arr).all(axis=1)
            if bad.any():
                t = int(np.argmax(bad)) + 1
                return (
                    f"{name}_{t} is not a finite number: the values overflowed float64 "
                    "(weights or inputs too large); earlier steps are still valid"
                )
        if not np.isfinite(self.loss):
            return "the loss is not a finite number: a probability reached exactly 0 or 1"
        return "a gradient is not a finite number: the backward pass overflowed float64"

    @cached_property
    def _jacobian(self):
        n, lg = jacobian.jacobian_norms(self.fprime, self.params.W_hh)
        return frozen(n), frozen(lg)

    @property
    def jacobian_norms(self) -> np.ndarray:
        """(T,) ||dh_T/dh_t||_2 for t = 1..T."""
        return self._jacobian[0]

    @property
    def jacobian_log10_norms(self) -> np.ndarray:
        return self._jacobian[1]

    @cached_property
    def condition(self) -> dict:
        return jacobian.condition(self.config.activation, self.params.W_hh)

    @property
    def sigma_max(self) -> float:
        return self.condition["sigma_max"]

    @property
    def gamma(self) -> float:
        return self.condition["gamma"]

    @cached_property
    def loss_to_state(self) -> np.ndarray:
        """(T, T) ||dL_t/dh_s||_2 (row: loss step t, column: state s <= t), no truncation."""
        _, M = bptt.per_loss_sweep(
            self.dh_local,
            self.fprime,
            self.params.W_hh,
            self.sample.scored,
            self.length,
            norms=True,
        )
        return frozen(M)

    @cached_property
    def grad_norms(self) -> dict:
        """L2 norm of each raw parameter gradient."""
        return {k: float(_norms(g.reshape(1, -1))[0]) for k, g in self.grads.items()}


def run(params: Params, sample: Sample, config: Config = Config()) -> Trace:
    """Forward, loss, BPTT and clipping for one sequence."""
    if sample.xs.shape[1] != params.input_size:
        raise ValueError(
            f"inputs have {sample.xs.shape[1]} features but W_xh expects {params.input_size}"
        )
    if sample.targets.shape[1] != params.output_size:
        raise ValueError(
            f"targets have {sample.targets.shape[1]} values per step but the "
            f"output layer has {params.output_size}"
        )
    fwd = forward(params, sample.xs, config.activation, config.head)
    per_step, loss, dlogits = step_losses(
        config.loss,
        config.head,
        config.reduction,
        fwd.logits,
        fwd.ys,
        sample.targets,
        sample.scored,
    )
    back = bptt.backward(
        params, fwd, dlogits, config.activation, sample.scored, config.truncation, sample.ids
    )
    grads = {k: sealed(v) for k, v in back["grads"].items()}
    if config.clip_mode == "off":  # the trace's arrays are read-only: share, don't copy
        norm = global_norm(grads)
        clipped = grads
        record = ClipRecord("off", float(config.clip_threshold), norm, norm, False, 1.0)
    else:
        clipped, record = clip(grads, config.clip_mode, config.clip_threshold)
    return Trace(
        params,
        config,
        sample,
        fwd,
        sealed(per_step),
        loss,
        sealed(dlogits),
        sealed(back["dh"]),
        sealed(back["dh_local"]),
        sealed(back["dh_carried"]),
        sealed(back["dz"]),
        sealed(back["fprime"]),
        grads,
        {k: sealed(v) if v is not grads[k] else v for k, v in clipped.items()},
        record,
    )


def _norms(a: np.ndarray) -> np.ndarray:
    """Row-wise L2 norms without overflow (scaled by the row's largest entry)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        m = np.abs(a).max(axis=1, initial=0.0)  # (rows,)
        safe = np.where((m > 0) & np.isfinite(m), m, 1.0)
        out = safe * np.sqrt(np.sum((a / safe[:, None]) ** 2, axis=1))
    return np.where(np.isfinite(m), out, m)
