"""The training history in a session file: one list of numbers per Snapshot field.

The session format's ``state.history`` holds named curves of equal length
(null where a number blew up, see ``session_writer``). ``history_to_dict``
turns the app's ``state.history`` (engine ``Snapshot``s, oldest first) into

    step, loss, accuracy, grad_norm_before, grad_norm_after, clipped, cosine,
    grad_norm.<name> (one per trained array), and stopped (text, if the last
    update failed)

and ``history_from_dict`` turns them back into lightweight Snapshots: every
number the plots draw, but not the weights of every step (only the last
snapshot carries the weights after training, ``state.current_params``).
A NaN or infinite loss comes back as NaN, a missing accuracy as None.
Qt-free.
"""

from __future__ import annotations

import math

from ..engine.train import Snapshot

__all__ = ["GRAD_PREFIX", "HISTORY_FIELDS", "history_from_dict", "history_to_dict"]

HISTORY_FIELDS = (
    "step",
    "loss",
    "accuracy",
    "grad_norm_before",
    "grad_norm_after",
    "clipped",
    "cosine",
)
GRAD_PREFIX = "grad_norm."


def history_to_dict(history) -> dict:
    """Snapshots -> {field: list} (the session format's ``state.history``)."""
    if not history:
        return {}
    out = {f: [getattr(s, f) for s in history] for f in HISTORY_FIELDS}
    names = sorted({n for s in history for n in s.param_grad_norms})
    for n in names:
        out[GRAD_PREFIX + n] = [s.param_grad_norms.get(n) for s in history]
    if history[-1].stopped:  # only the last snapshot can say why training stopped
        out["stopped"] = history[-1].stopped
    return out


def history_from_dict(d: dict, params=None) -> tuple:
    """{field: list} -> lightweight Snapshots (no per-step weights; the last has ``params``)."""
    curves = {k: v for k, v in d.items() if isinstance(v, list)}
    if not curves:
        return ()
    n = len(next(iter(curves.values())))

    def column(name: str, default):
        values = curves.get(name, [default] * n)
        return [default if v is None else v for v in values]

    steps = column("step", None) if "step" in curves else list(range(1, n + 1))
    if any(not isinstance(s, int) or isinstance(s, bool) or s < 0 for s in steps):
        raise ValueError("state.history.step: expected whole numbers ≥ 0, one per update")
    nan = math.nan
    floats = {f: column(f, nan) for f in ("loss", "grad_norm_before", "grad_norm_after", "cosine")}
    accuracy = curves.get("accuracy", [None] * n)
    clipped = column("clipped", False)
    grads = {k[len(GRAD_PREFIX) :]: column(k, nan) for k in curves if k.startswith(GRAD_PREFIX)}
    stopped = d.get("stopped") if isinstance(d.get("stopped"), str) else None
    return tuple(
        Snapshot(
            step=steps[i],
            loss=floats["loss"][i],
            accuracy=accuracy[i],
            grad_norm_before=floats["grad_norm_before"][i],
            grad_norm_after=floats["grad_norm_after"][i],
            clipped=bool(clipped[i]),
            cosine=floats["cosine"][i],
            param_grad_norms={name: values[i] for name, values in grads.items()},
            params=params if i == n - 1 else None,
            stopped=stopped if i == n - 1 else None,
        )
        for i in range(n)
    )
