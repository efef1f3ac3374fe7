"""A Spec and the app's state -> the plain JSON values of a session document.

Every setting is written, even when it has its default, in a fixed key order,
so a saved file documents the whole experiment and two saves of the same
session give the same bytes. NumPy
numbers and arrays become Python ints, floats and lists (``tolist`` keeps
every float64 bit), tuples become lists. A weight or setting that is not
finite is refused with its path, since JSON cannot hold it; a training curve
that blew up keeps its shape instead, with null at the non-finite points.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine.params import NAMES, Params
from ..engine.spec import Example, Spec
from .session_checks import SessionFileError, key_path
from .session_schema import FORMAT, VERSION


def spec_to_dict(spec: Spec) -> dict:
    """Every setting of ``spec`` as a session document (plain JSON values, fixed key order)."""
    c = spec.config
    d = {
        "format": FORMAT,
        "version": VERSION,
        "name": spec.name,
        "description": spec.description,
        "input": {
            "text": spec.text,
            "level": spec.level,
            "lowercase": spec.lowercase,
            "punctuation": spec.punctuation,
            "vocab": None if spec.vocab is None else list(spec.vocab),
            "use_unk": spec.use_unk,
            "encoding": spec.encoding,
            "embedding_size": _plain(spec.embedding_size, "input.embedding_size"),
        },
        "model": {
            "hidden_size": _plain(spec.hidden_size, "model.hidden_size"),
            "output_size": _plain(spec.output_size, "model.output_size"),
            "classes": list(spec.classes),
            "activation": c.activation,
            "head": c.head,
            "loss": c.loss,
            "reduction": c.reduction,
            "truncation": _plain(c.truncation, "model.truncation"),
        },
        "task": {
            "kind": spec.task,
            "label": _plain(spec.label, "task.label"),
            "tags": _plain(spec.tags, "task.tags"),
        },
        "init": {
            "seed": _plain(spec.seed, "init.seed"),
            "scheme": spec.init,
            "sigma_max": _plain(spec.sigma_max, "init.sigma_max"),
        },
    }
    if spec.params is not None:
        d["params"] = _weights(spec.params, "params")
    d["clipping"] = {"mode": c.clip_mode, "threshold": _plain(c.clip_threshold, "clipping")}
    d["training"] = _plain_table(spec.training, "training")
    d["dataset"] = [_example(e, i) for i, e in enumerate(spec.dataset, start=1)]
    return d


def state_to_dict(current_params: Params | None, view: dict, history: dict) -> dict:
    """The ``state`` section (empty when there is nothing to save)."""
    state = {}
    if current_params is not None:
        state["current_params"] = _weights(current_params.as_dict(), "state.current_params")
    if view:
        state["view"] = _plain_table(view, "state.view")
    if history:
        state["history"] = {k: _history_value(history[k]) for k in sorted(history)}
    return state


def _plain(v, path: str):
    """Numbers, arrays and tuples -> JSON values (lists, floats, ints); refuses non-finite."""
    if v is None or isinstance(v, str | bool):
        return v
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        if not math.isfinite(v):
            raise SessionFileError(f"{path}: {float(v)} is not a finite number and cannot be saved")
        return float(v)
    if isinstance(v, np.ndarray) and v.dtype.kind in "fiub":
        if v.dtype.kind == "f" and not np.isfinite(v).all():
            raise SessionFileError(
                f"{path}: contains a number that is not finite (NaN or "
                "infinity) and cannot be saved"
            )
        return v.tolist()  # Python floats: repr round-trips every float64 exactly
    if isinstance(v, np.ndarray | list | tuple):
        return [_plain(x, path) for x in v]
    if isinstance(v, dict):  # e.g. the view's lesson lock
        return _plain_table(v, path)
    raise SessionFileError(f"{path}: cannot save a {type(v).__name__}")


def _plain_table(d: dict, path: str) -> dict:
    """A table of settings in sorted key order, each value made plain."""
    return {k: _plain(d[k], key_path(path, k)) for k in sorted(d)}


def _weights(arrays: dict, path: str) -> dict:
    unknown = [n for n in arrays if n not in NAMES]
    if unknown:
        raise SessionFileError(
            f"{key_path(path, unknown[0])}: unknown parameter; known: {', '.join(NAMES)}"
        )
    out = {}
    for n in NAMES:
        if arrays.get(n) is None:
            continue
        try:
            a = np.asarray(arrays[n], dtype=float)
        except (TypeError, ValueError):
            raise SessionFileError(f"{path}.{n}: not a rectangular array of numbers") from None
        out[n] = _plain(float(a) if a.ndim == 0 else a, f"{path}.{n}")
    return out


def _example(e: Example, i: int) -> dict:
    out = {"text": e.text}
    if e.label is not None:
        out["label"] = _plain(e.label, f"dataset item {i}, label")
    if e.tags is not None:
        out["tags"] = _plain(e.tags, f"dataset item {i}, tags")
    return out


def _history_value(v):
    # a curve that blew up keeps its shape: the non-finite points become null
    if isinstance(v, np.ndarray | list | tuple):
        return [_history_value(x) for x in v]
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return int(v)
    if isinstance(v, float | np.floating):
        return float(v) if math.isfinite(v) else None
    return v
