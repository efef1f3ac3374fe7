"""Trace files: every intermediate of one forward/backward pass (docs/trace-format.md).

JSON (``write_trace_json``): the inputs, pre-activations, hidden states,
outputs, targets, per-step losses, the gradients of every parameter and of
h0, the total/local/carried dL/dh_t, the Jacobian norms ||dh_T/dh_t||, the
vanishing/exploding condition and the clipping record, under documented keys.

CSV (``write_trace_csv``): one row per timestep,
``t, token, target, step_loss, ||dL/dh_t||, ||dh_T/dh_t||, h_1..h_H, y_1..y_O``,
for a spreadsheet.

Row i of every per-timestep array is timestep i + 1 (the file says so in
``"row_i_is_timestep": "i+1"``). JSON has no NaN or Infinity, so a number
that overflowed is written as null and its key is listed in ``"non_finite"``;
an unscored step has a null target row. In CSV such numbers are written as
``nan``/``inf``/``-inf`` (what Python, NumPy and pandas read back). Floats are
written with ``repr``, so every value reads back bit-for-bit. Writes are atomic.
"""

from __future__ import annotations

import csv
import io
import os

import numpy as np

from ..engine.params import NAMES
from ..engine.spec import Built
from ..engine.trace import Trace
from .atomic import atomic_write_text
from .jsonfile import dumps_json

FORMAT = "rnnviz-trace"
VERSION = 1
NOTES = (
    "Row i of a per-timestep array is timestep t = i + 1; h0 is the state before step 1.",
    "Numbers that are not finite (an overflow: NaN or +-Infinity) are written as null; "
    "'non_finite' lists the keys that contain such nulls.",
    "targets: null rows are unscored steps (no loss there); step_losses is 0 at those steps.",
    "grads are the raw BPTT gradients; clipped_grads are after the configured clipping.",
    "jacobian_norms[i] = ||dh_T/dh_t||_2 for t = i + 1 (the last is 1); "
    "jacobian_log10_norms is null where the norm is exactly 0.",
)


def _array(a, key: str, bad: list[str]):
    """A float array as nested lists; non-finite entries become null and ``key`` is noted."""
    a = np.asarray(a, dtype=float)
    finite = np.isfinite(a)
    if finite.all():
        return a.tolist()
    bad.append(key)
    obj = a.astype(object)
    obj[~finite] = None
    return obj.tolist()


def _number(v: float, key: str, bad: list[str]):
    return _array(np.float64(v), key, bad)


def trace_to_dict(trace: Trace, built: Built | None = None) -> dict:
    """Every intermediate of ``trace`` as plain JSON values under the documented keys."""
    bad: list[str] = []
    p = trace.params
    cond = trace.condition
    rec = trace.clip
    ids = trace.sample.ids
    d = {
        "format": FORMAT,
        "version": VERSION,
        "row_i_is_timestep": "i+1",
        "notes": list(NOTES),
        "name": built.spec.name if built is not None else None,
        "sizes": {"T": trace.length, "D": p.input_size, "H": p.hidden_size, "O": p.output_size},
        "config": dict(trace.config.__dict__),
        "tokens": list(built.tokens if built is not None else trace.sample.tokens),
        "ids": None if ids is None else [int(i) for i in ids],
        "target_tokens": None if built is None else list(built.target_tokens),
        "output_names": None if built is None else list(built.output_names),
        "xs": _array(trace.xs, "xs", bad),
        "h0": _array(p.h0, "h0", bad),
        "zs": _array(trace.zs, "zs", bad),
        "hs": _array(trace.hs, "hs", bad),
        "logits": _array(trace.logits, "logits", bad),
        "ys": _array(trace.ys, "ys", bad),
        "targets": _targets(trace),
        "scored": [bool(s) for s in trace.sample.scored],
        "step_losses": _array(trace.step_losses, "step_losses", bad),
        "loss": _number(trace.loss, "loss", bad),
        "params": {n: _array(a, f"params.{n}", bad) for n, a in p.as_dict().items()},
        "grads": _grads(trace.grads, "grads", bad),
        "clipped_grads": _grads(trace.clipped_grads, "clipped_grads", bad),
        "grad_norms": {
            n: _number(v, f"grad_norms.{n}", bad) for n, v in _ordered(trace.grad_norms).items()
        },
        "dhs": _array(trace.dh, "dhs", bad),
        "dh_local": _array(trace.dh_local, "dh_local", bad),
        "dh_carried": _array(trace.dh_carried, "dh_carried", bad),
        "dh_norms": _array(trace.dh_norms, "dh_norms", bad),
        "jacobian_norms": _array(trace.jacobian_norms, "jacobian_norms", bad),
        "jacobian_log10_norms": _log10(trace.jacobian_log10_norms, bad),
        "sigma_max": _number(trace.sigma_max, "sigma_max", bad),
        "gamma": _number(trace.gamma, "gamma", bad),
        "condition": {
            "threshold": _number(cond["threshold"], "condition.threshold", bad),
            "verdict": cond["verdict"],
            "text": cond["text"],
        },
        "clipping": {
            "mode": rec.mode,
            "threshold": float(rec.threshold),
            "norm_before": _number(rec.norm_before, "clipping.norm_before", bad),
            "norm_after": _number(rec.norm_after, "clipping.norm_after", bad),
            "clipped": bool(rec.clipped),
            "cosine": _number(rec.cosine, "clipping.cosine", bad),
        },
        "finite": bool(trace.finite),
        "problem": trace.problem,
    }
    d["non_finite"] = bad
    return d


def _ordered(d: dict) -> dict:
    """Parameter order W_xh, W_hh, b_h, W_hy, b_y, h0, E, whatever order the engine used."""
    return {n: d[n] for n in NAMES if n in d}


def _grads(grads: dict, key: str, bad: list[str]) -> dict:
    return {n: _array(g, f"{key}.{n}", bad) for n, g in _ordered(grads).items()}


def _targets(trace: Trace) -> list:
    """Scored rows as numbers; unscored rows (NaN targets by design) as null."""
    return [
        row.tolist() if s else None
        for row, s in zip(trace.sample.targets, trace.sample.scored, strict=True)
    ]


def _log10(a: np.ndarray, bad: list[str]) -> list:
    # -inf here means the norm is exactly 0 (dead ReLUs), which the notes explain
    a = np.asarray(a, dtype=float)
    zero = np.isneginf(a)
    out = _array(np.where(zero, 0.0, a), "jacobian_log10_norms", bad)
    return [None if z else v for v, z in zip(out, zero, strict=True)]


def trace_json_text(trace: Trace, built: Built | None = None) -> str:
    return dumps_json(trace_to_dict(trace, built))


def write_trace_json(path: str | os.PathLike, trace: Trace, built: Built | None = None) -> None:
    atomic_write_text(path, trace_json_text(trace, built))


# ---------------------------------------------------------------------------------------------
# CSV: one row per timestep
# ---------------------------------------------------------------------------------------------


def csv_header(trace: Trace) -> list[str]:
    H, O = trace.params.hidden_size, trace.params.output_size
    return (
        ["t", "token", "target", "step_loss", "||dL/dh_t||", "||dh_T/dh_t||"]
        + [f"h_{j}" for j in range(1, H + 1)]
        + [f"y_{j}" for j in range(1, O + 1)]
    )


def _cell(v) -> str:
    return repr(float(v))  # 'nan' / 'inf' for non-finite; shortest round-trip otherwise


def trace_csv_rows(trace: Trace, built: Built | None = None) -> list[list[str]]:
    tokens = built.tokens if built is not None else trace.sample.tokens
    rows = [csv_header(trace)]
    for i in range(trace.length):
        if built is not None:
            target = built.target_tokens[i]
        elif trace.sample.scored[i]:
            target = ", ".join(f"{v:g}" for v in trace.sample.targets[i])
        else:
            target = ""
        token = tokens[i] if i < len(tokens) else ""
        rows.append(
            [
                str(i + 1),
                token,
                target,
                _cell(trace.step_losses[i]),
                _cell(trace.dh_norms[i]),
                _cell(trace.jacobian_norms[i]),
            ]
            + [_cell(v) for v in trace.hs[i]]
            + [_cell(v) for v in trace.ys[i]]
        )
    return rows


def trace_csv_text(trace: Trace, built: Built | None = None) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(trace_csv_rows(trace, built))
    return buf.getvalue()


def write_trace_csv(path: str | os.PathLike, trace: Trace, built: Built | None = None) -> None:
    """One row per timestep: t, token, target, step_loss, norms, h_1..h_H, y_1..y_O."""
    atomic_write_text(path, trace_csv_text(trace, built))
