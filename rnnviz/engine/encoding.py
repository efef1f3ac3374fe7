"""Turning token ids or numbers into the input vectors x_t.

* one-hot: x_t = e_{id_t}, so W_xh x_t is simply column id_t of W_xh (the
  "hello" and "Harry Potter" tutorials);
* embedding: x_t = E[id_t], a trainable row of E (V, D) (the "AI Planet"
  tutorial, D = 3);
* numeric: a raw series of T rows of D numbers (stock prices, signals).
"""

from __future__ import annotations

import numpy as np

ENCODINGS = ("onehot", "embedding", "numeric")


def one_hot(ids, size: int) -> np.ndarray:
    """(T,) ids -> (T, size) rows of the identity."""
    ids = np.asarray(ids, dtype=int)
    out = np.zeros((ids.size, size))  # (T, V)
    out[np.arange(ids.size), ids] = 1.0
    return out


def embed(ids, E: np.ndarray) -> np.ndarray:
    """(T,) ids -> (T, D) rows of E; a copy, so the trace cannot alias E."""
    return E[np.asarray(ids, dtype=int)].copy()  # (T, D)


def parse_series(text: str) -> np.ndarray:
    """Parse a numeric series typed by a person into a (T, D) float array.

    One timestep per line, or per ';'. Within a step, numbers are separated by
    commas or whitespace. A single line of numbers is read as T steps of D = 1.
    Errors name the step and the text that is not a number.
    """
    rows = [r.strip() for r in text.replace(";", "\n").splitlines() if r.strip()]
    if not rows:
        raise ValueError("the series is empty: type numbers, one timestep per line")
    if len(rows) == 1:  # "1, 2, 3": one feature per step
        rows = [c for c in rows[0].replace(",", " ").split() if c]
    if not rows:  # "," or ";": separators but no numbers
        raise ValueError("the series is empty: type numbers, one timestep per line")
    parsed = []
    for t, row in enumerate(rows, start=1):
        cells = [c for c in row.replace(",", " ").split() if c]
        values = []
        for c in cells:
            try:
                v = float(c)
            except ValueError:
                raise ValueError(f"step {t}: {c!r} is not a number") from None
            if not np.isfinite(v):
                raise ValueError(f"step {t}: {c!r} is not a finite number")
            values.append(v)
        parsed.append(values)
    width = len(parsed[0])
    for t, values in enumerate(parsed, start=1):
        if len(values) != width:
            raise ValueError(f"step {t} has {len(values)} numbers but step 1 has {width}")
    return np.array(parsed, dtype=float)  # (T, D)
