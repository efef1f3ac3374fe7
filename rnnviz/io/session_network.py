"""Checks of a session against the network it describes, then the app's saved state.

Once every section is well-typed (``session_schema``), what is left relates
them to each other: labels must be classes, a many-to-many text needs one
tag per token, explicit weights must have the shapes the sizes imply, and
finally ``engine.spec.build`` must accept the spec. Shape errors are told in
the seeds' notation (``H × D``) with where each size comes from, so a
teacher typing a lecture's matrices sees which setting to change.

The ``state`` section (weights after training, cursor, loss curves) is read
last because its limits come from the built network: the cursor runs over
the T timesteps, the selected unit over the H hidden units.
"""

from __future__ import annotations

import numpy as np

from ..engine.params import Params
from ..engine.spec import Built, Spec, build
from ..engine.tokenizer import tokenize
from ..lesson_lock import check_lock
from . import session_checks as check
from .session_checks import SessionFileError, fail, key_path
from .session_schema import (
    MAX_HISTORY,
    NOTATIONS,
    PHASES,
    STATE_KEYS,
    VIEW_KEYS,
    long_text,
    spec_from_doc,
    weights,
)

_DIMS = {
    "W_xh": "H × D",
    "W_hh": "H × H",
    "b_h": "H",
    "W_hy": "O × H",
    "b_y": "O",
    "h0": "H",
    "E": "V × D",
}


def read_session(doc) -> tuple[Spec, Params | None, dict, dict]:
    """A parsed document -> (spec, weights after training or None, view, history)."""
    spec = spec_from_doc(doc)
    _check_targets(spec)
    if spec.params is not None:
        # the shapes the network needs come from the same spec with seeded weights
        seeded = build_network(spec.with_(params=None)).params
        _check_shapes(spec, spec.params, seeded, "params", exact=False)
    built = build_network(spec)
    if doc.get("state") is None:
        return spec, None, {}, {}
    return spec, *_read_state(doc["state"], spec, built)


def build_network(spec: Spec) -> Built:
    try:
        return build(spec)
    except ValueError as e:
        raise SessionFileError(f"cannot build the network: {e}".replace("\n", " ")) from None


def _check_targets(spec: Spec) -> None:
    """Labels that are not classes and tag counts that do not match, with their paths."""
    if spec.task == "next-token":
        return
    cases = [("task", spec.text, spec.label, spec.tags)] + [
        (f"dataset item {i}", e.text, e.label, e.tags) for i, e in enumerate(spec.dataset, start=1)
    ]
    for path, text, label, tags in cases:
        targets = (
            [(key_path(path, "label"), label)]
            if spec.task == "many-to-one"
            else [
                (f"{key_path(path, 'tags')} item {j}", tag) for j, tag in enumerate(tags or (), 1)
            ]
        )
        for where, value in targets:
            if isinstance(value, str) and spec.classes and value not in spec.classes:
                fail(
                    where,
                    f"{value!r} is not one of the classes "
                    f"{', '.join(spec.classes)} (model.classes)",
                )
        if spec.task == "many-to-many" and tags is not None and spec.encoding != "numeric":
            n = len(tokenize(text, spec.level, spec.lowercase, spec.punctuation))
            if n != len(tags):
                fail(
                    key_path(path, "tags"),
                    f"the text has {n} token{'s' * (n != 1)} but "
                    f"{len(tags)} tag{'s' * (len(tags) != 1)} are given",
                )


# ---------------------------------------------------------------------------------------------
# Weight shapes, in words
# ---------------------------------------------------------------------------------------------


def _sizes_note(spec: Spec, p: Params) -> str:
    H, D, O = p.hidden_size, p.input_size, p.output_size
    d_from = {
        "onehot": "the vocabulary size, one-hot input",
        "embedding": "input.embedding_size",
        "numeric": "numbers per step of the series",
    }[spec.encoding]
    if spec.task == "next-token":
        o_from = "numbers per step" if spec.encoding == "numeric" else "the vocabulary size"
    else:
        o_from = "the number of model.classes" if spec.classes else "model.output_size"
    note = f"H = {H} (model.hidden_size), D = {D} ({d_from}), O = {O} ({o_from})"
    return note + (f", V = {p.E.shape[0]} (the vocabulary size)" if p.E is not None else "")


def _shape_text(shape: tuple) -> str:
    return " × ".join(map(str, shape)) if len(shape) > 1 else f"{shape[0]} numbers"


def _check_shapes(spec: Spec, given: dict, reference: Params, path: str, exact: bool) -> None:
    """Compare each given array with the shape the network needs, in words.

    ``exact``: saved weights after training must all be there with their
    full shapes; explicit weights in ``params`` may leave out the biases and
    h0 (zeros) and give one number for W_hh (a multiple of I) or a bias.
    """
    want = {n: a.shape for n, a in reference.as_dict().items()}
    for name in given:
        if name not in want:
            fail(f"{path}.{name}", 'is only used with an embedding (input.encoding "embedding")')
    needed = tuple(want) if exact else tuple(n for n in want if n not in ("b_h", "b_y", "h0"))
    rule = (
        f"saved weights must include all of {', '.join(needed)}"
        if exact
        else f"explicit weights need {', '.join(needed)} (b_h, b_y and h0 default to zeros)"
    )
    for name in needed:
        if name not in given:
            fail(path, f"{name} ({_DIMS[name]}) is missing; {rule}")
    for name, value in given.items():
        got = np.shape(value)
        if got != want[name] and not (got == () and not exact):
            fail(
                f"{path}.{name}",
                f"expected {_shape_text(want[name])} ({_DIMS[name]}), "
                f"found {_shape_text(got) if got else 'one number'}; "
                f"{_sizes_note(spec, reference)}",
            )


# ---------------------------------------------------------------------------------------------
# The app's state at save time
# ---------------------------------------------------------------------------------------------


def _read_state(v, spec: Spec, built: Built) -> tuple[Params | None, dict, dict]:
    st = check.table(v, "state", STATE_KEYS)
    current = None
    if st.get("current_params") is not None:
        path = "state.current_params"
        arrays = weights(st["current_params"], path)
        _check_shapes(spec, arrays, built.params, path, exact=True)
        current = Params(**arrays)
    view = {} if st.get("view") is None else _read_view(st["view"], built)
    history = {} if st.get("history") is None else _read_history(st["history"])
    return current, view, history


def _read_view(v, built: Built) -> dict:
    t = check.table(v, "state.view", VIEW_KEYS)
    T, H = built.sample.length, built.params.hidden_size
    checks = {
        "cursor": check.whole(0, T - 1),
        "phase": check.choice(PHASES),
        "selected_unit": check.whole(0, H - 1, none=True),
        "notation": check.choice(NOTATIONS),
        "docks": check.names(64, 64),
        "lock": check_lock,
    }
    return {k: checks[k](t[k], f"state.view.{k}") for k in sorted(t)}


def _read_history(v) -> dict:
    """Named training curves (lists of equal length; null marks a non-finite point)."""
    v = check.open_table(v, "state.history", "an object of named curves")
    out, length = {}, None
    for k in sorted(v):
        path, value = key_path("state.history", k), v[k]
        if isinstance(value, list):
            if len(value) > MAX_HISTORY:
                fail(path, f"has {len(value)} entries; at most {MAX_HISTORY} are kept")
            if length is not None and len(value) != length[1]:
                fail(path, f"has {len(value)} entries but {length[0]} has {length[1]}")
            length = length or (k, len(value))
            out[k] = [
                x if x is None or isinstance(x, bool) else check.number(x, f"{path} item {i}")
                for i, x in enumerate(value, start=1)
            ]
        elif value is None or isinstance(value, bool | str):
            out[k] = long_text(value, path) if isinstance(value, str) else value
        else:
            out[k] = check.number(value, path)
    return out
