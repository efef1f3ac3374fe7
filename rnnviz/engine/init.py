"""Weight initialisation, always from an explicit ``np.random.Generator``.

* ``small``: N(0, 1) * 0.01 for every matrix (Karpathy's min-char-rnn);
* ``xavier``: Glorot uniform, U(-a, a) with a = sqrt(6 / (fan_in + fan_out));
* ``orthogonal``: Xavier everywhere but W_hh = Q, a random orthogonal matrix
  (all singular values 1, Saxe et al. 2014).

``sigma_max`` then rescales W_hh so its largest singular value is exactly
that number: the knob that moves the same network from vanishing (< 1/gamma)
to possibly exploding (> 1/gamma). Biases and h0 start at zero; an
embedding E starts at N(0, 1) * 0.1.
"""

from __future__ import annotations

import numpy as np

from .jacobian import sigma_max as spectral_norm
from .params import Params

SCHEMES = ("small", "xavier", "orthogonal")


def orthogonal(rng: np.random.Generator, n: int) -> np.ndarray:
    """A Haar-random orthogonal (n, n) matrix (QR with the sign fix of Mezzadri 2007)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))  # (n, n)


def _xavier(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    a = np.sqrt(6.0 / (rows + cols))
    return rng.uniform(-a, a, size=(rows, cols))


def scale_to_sigma(W: np.ndarray, target: float) -> np.ndarray:
    """W rescaled so that sigma_max(W) == target (W = 0 stays 0)."""
    s = spectral_norm(W)
    return (W / s) * target if s > 0 else W.copy()  # W / s first: target / s may overflow


def init_params(
    rng: np.random.Generator,
    input_size: int,
    hidden_size: int,
    output_size: int,
    vocab_size: int | None = None,
    scheme: str = "xavier",
    sigma_max: float | None = None,
) -> Params:
    """Fresh parameters; ``vocab_size`` adds an embedding E (vocab_size, input_size)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown initialisation {scheme!r}; choose one of {', '.join(SCHEMES)}")
    D, H, O = input_size, hidden_size, output_size
    if scheme == "small":
        W_xh, W_hh, W_hy = (rng.standard_normal(s) * 0.01 for s in [(H, D), (H, H), (O, H)])
    else:
        W_xh, W_hy = _xavier(rng, H, D), _xavier(rng, O, H)
        W_hh = orthogonal(rng, H) if scheme == "orthogonal" else _xavier(rng, H, H)
    E = rng.standard_normal((vocab_size, D)) * 0.1 if vocab_size else None
    if sigma_max is not None:
        if not (np.isfinite(sigma_max) and sigma_max >= 0):
            raise ValueError(f"sigma_max must be a number >= 0, not {sigma_max}")
        W_hh = scale_to_sigma(W_hh, sigma_max)
    return Params(
        W_xh=W_xh, W_hh=W_hh, b_h=np.zeros(H), W_hy=W_hy, b_y=np.zeros(O), h0=np.zeros(H), E=E
    )
