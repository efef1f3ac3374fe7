"""The parameters of a vanilla RNN, in the seeds' notation.

    W_xh (H, D)  input -> hidden          (U in "Week 4"/Madhu, W_ax in "Harry Potter")
    W_hh (H, H)  hidden -> hidden, shared over time   (W, W_aa)
    b_h  (H,)    hidden bias                (b_a)
    W_hy (O, H)  hidden -> output           (V, W_ya)
    b_y  (O,)    output bias
    h0   (H,)    initial state, zeros unless given
    E    (V, D)  optional trainable embedding; x_t = E[id_t]

``Params`` is immutable: arrays are read-only views, and every function that
changes weights returns a new ``Params``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

NAMES = ("W_xh", "W_hh", "b_h", "W_hy", "b_y", "h0", "E")


def frozen(a) -> np.ndarray:
    """A read-only float64 copy of ``a``."""
    out = np.array(a, dtype=float, copy=True)
    out.flags.writeable = False
    return out


def sealed(a: np.ndarray) -> np.ndarray:
    """``a`` itself, made read-only: for arrays the caller has just created and owns
    (no copy; a pass would otherwise copy ~25 fresh arrays just to protect them)."""
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class Params:
    W_xh: np.ndarray
    W_hh: np.ndarray
    b_h: np.ndarray
    W_hy: np.ndarray
    b_y: np.ndarray
    h0: np.ndarray
    E: np.ndarray | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if v is not None:
                object.__setattr__(self, f.name, frozen(v))
        H, D = self.W_xh.shape if self.W_xh.ndim == 2 else (-1, -1)
        O = self.W_hy.shape[0] if self.W_hy.ndim == 2 else -1
        want = {
            "W_xh": (H, D),
            "W_hh": (H, H),
            "b_h": (H,),
            "W_hy": (O, H),
            "b_y": (O,),
            "h0": (H,),
        }
        if self.E is not None:
            want["E"] = (self.E.shape[0], D)
        for name, shape in want.items():
            got = getattr(self, name).shape
            if got != shape:
                raise ValueError(
                    f"{name} has shape {got} but must be {shape} "
                    f"(hidden H={H}, input D={D}, output O={O})"
                )

    @property
    def hidden_size(self) -> int:
        return self.W_xh.shape[0]

    @property
    def input_size(self) -> int:
        return self.W_xh.shape[1]

    @property
    def output_size(self) -> int:
        return self.W_hy.shape[0]

    def names(self) -> tuple[str, ...]:
        """Names of the arrays present (``E`` only with an embedding)."""
        return tuple(n for n in NAMES if getattr(self, n) is not None)

    def as_dict(self) -> dict[str, np.ndarray]:
        return {n: getattr(self, n) for n in self.names()}

    def replace(self, **arrays) -> Params:
        return replace(self, **arrays)

    def all_finite(self) -> bool:
        return all(np.isfinite(a).all() for a in self.as_dict().values())

    def equals(self, other: Params) -> bool:
        """Bit-for-bit equality of every array."""
        return self.names() == other.names() and all(
            np.array_equal(a, b)
            for a, b in zip(self.as_dict().values(), other.as_dict().values(), strict=True)
        )


def expand_scalar(value, shape: tuple[int, ...], name: str) -> np.ndarray:
    """Scalars as the "hello" tutorial writes them: W_hh = w*I, b_h = b for every unit."""
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        if len(shape) == 2 and shape[0] == shape[1]:
            return float(a) * np.eye(shape[0])
        return np.full(shape, float(a))
    if a.shape != shape:
        raise ValueError(f"{name} has shape {a.shape} but must be {shape}")
    return a
