"""Colour maps shared by every panel, so one value has one colour everywhere.

Signed values (hidden states, pre-activations, weights) use a diverging map
from blue (negative) through near-white (0) to vermillion/red (positive):
Okabe-Ito-like hues that stay distinct for deuteranopes and protanopes, so
sign is never carried by red/green alone. Magnitudes (gradient norms,
saturation) use a sequential dark-to-bright map (viridis-like).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

# (position, RGB) stops; position 0 <-> -vmax, 0.5 <-> 0, 1 <-> +vmax
DIVERGING_STOPS = [
    (0.0, (5, 48, 97)),
    (0.25, (67, 147, 195)),
    (0.5, (247, 247, 247)),
    (0.75, (214, 96, 77)),
    (1.0, (103, 0, 31)),
]
SEQUENTIAL_STOPS = [  # viridis, 5 stops
    (0.0, (68, 1, 84)),
    (0.25, (59, 82, 139)),
    (0.5, (33, 145, 140)),
    (0.75, (94, 201, 98)),
    (1.0, (253, 231, 37)),
]


def _lut(stops, n: int = 256) -> np.ndarray:
    pos = np.array([p for p, _ in stops])
    rgb = np.array([c for _, c in stops], dtype=float)
    x = np.linspace(0.0, 1.0, n)
    return (
        np.stack([np.interp(x, pos, rgb[:, k]) for k in range(3)], axis=1).round().astype(np.uint8)
    )  # (n, 3)


DIVERGING_LUT = _lut(DIVERGING_STOPS)  # (256, 3) uint8
SEQUENTIAL_LUT = _lut(SEQUENTIAL_STOPS)  # (256, 3) uint8


def lut_index(value, lo: float, hi: float, n: int = 256):
    """Index into a LUT of n entries for value in [lo, hi] (clipped), as pyqtgraph maps levels."""
    if hi <= lo:
        hi = lo + 1.0
    x = (np.asarray(value, dtype=float) - lo) / (hi - lo)
    return np.clip(np.floor(x * n), 0, n - 1).astype(int)


def diverging_rgb(value, vmax: float = 1.0):
    """RGB uint8 for a signed value on [-vmax, vmax] (arrays work elementwise)."""
    return DIVERGING_LUT[lut_index(value, -vmax, vmax)]


def sequential_rgb(value, lo: float = 0.0, hi: float = 1.0):
    return SEQUENTIAL_LUT[lut_index(value, lo, hi)]


def diverging_qcolor(value: float, vmax: float = 1.0) -> QColor:
    r, g, b = (int(c) for c in diverging_rgb(value, vmax))
    return QColor(r, g, b)


def text_color_for(rgb) -> QColor:
    """Black or white, whichever reads better on the background rgb."""
    r, g, b = (float(c) for c in rgb)
    return QColor(0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else QColor(255, 255, 255)
