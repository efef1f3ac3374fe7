"""Facts a lesson can test, read from the app's State (Qt-free).

A lesson step's task says what the learner should do as a set of facts and
expectations, ``{"t": 3, "phase": "backward"}``; the lesson panel evaluates
them whenever the state changes. Every fact is read from the numbers the
engine already computed (``state.analysis.trace``): nothing is recomputed
here, so a lesson can never disagree with what the panels show.

Three kinds of names:

* plain facts (``FACTS``): ``cursor``, ``t``, ``phase``, ``total_loss`` ...
* indexed facts (``INDEXED``), 1-based timestep like the UI, 0-based unit:
  ``h[1][0]`` (h_1, unit 0), ``z[t][unit]``, ``y[t][k]``, ``loss[t]``,
  ``dh[t]`` (the norm of dL/dh_t); a negative t counts from the end
  (``h[-1][0]`` is h_T);
* UI facts (``UI_FACTS``), supplied by the lesson UI from the live widgets
  (the clipping lab's threshold, which docks are in front).

A fact that does not apply (the loss when no step is scored, ``h[12][0]``
in a 9-step sequence) is None, and no expectation holds for None.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from ..engine.clipping import global_norm
from .catalog import (
    ENCODINGS,
    FACTS,
    INDEXED,
    LEVELS,
    PANEL_NAMES,
    TASKS,
    UI_FACTS,
    domain,
    kind_of,
    known,
    parse_indexed,
    preset_names,
    suggest,
)
from .expect import check_expect, describe_expect, holds, unmet

__all__ = [
    "ENCODINGS",
    "FACTS",
    "INDEXED",
    "LEVELS",
    "PANEL_NAMES",
    "TASKS",
    "UI_FACTS",
    "preset_names",
    "check_expect",
    "describe_expect",
    "domain",
    "fact",
    "facts",
    "holds",
    "kind_of",
    "known",
    "suggest",
    "unmet",
    "values",
]


# -- plain facts ---------------------------------------------------------------------------------
def _f(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _unk_count(s) -> int:
    built = s.analysis.built
    ids, vocab = built.sample.ids, built.vocab
    if ids is None or vocab is None or vocab.unk is None:
        return 0
    return int(np.count_nonzero(np.asarray(ids) == vocab.id_of(vocab.unk)))


def _total_loss(s) -> float | None:
    trace = s.analysis.trace
    return _f(trace.loss) if trace.sample.scored.any() else None


def _dh_ratio(s) -> float | None:
    norms = s.analysis.trace.dh_norms
    return _f(norms[0] / norms[-1]) if norms[-1] > 0 else None


def _prediction(s) -> str | None:
    """As the output panel words it: the largest y; a single sigmoid below 0.5 says 'not'."""
    trace, built = s.analysis.trace, s.analysis.built
    scored = np.flatnonzero(trace.sample.scored)
    if not scored.size or trace.config.head == "identity":
        return None
    y = np.asarray(trace.ys[scored[-1]], dtype=float)
    if not np.isfinite(y).any():
        return None
    name = built.output_names[int(np.nanargmax(y))]
    if trace.config.head == "sigmoid" and len(y) == 1 and y[0] < 0.5:
        return f"not {name}"
    return name


def _embedding_size(s) -> int | None:
    E = s.analysis.built.params.E
    return None if E is None else int(E.shape[1])


def _vocab_size(s) -> int | None:
    vocab = s.analysis.built.vocab
    return None if vocab is None else len(vocab.tokens)


def _preset(s) -> str | None:
    from .. import presets

    return presets.key_of(s.spec)


_GETTERS: dict[str, Callable] = {
    "cursor": lambda s: int(s.cursor),
    "t": lambda s: int(s.cursor) + 1,
    "length": lambda s: int(s.analysis.length),
    "phase": lambda s: s.phase,
    "selected_unit": lambda s: s.selected_unit,
    "notation": lambda s: s.notation,
    "text": lambda s: s.spec.text,
    "level": lambda s: s.spec.level,
    "encoding": lambda s: s.spec.encoding,
    "task": lambda s: s.spec.task,
    "activation": lambda s: s.analysis.trace.config.activation,
    "head": lambda s: s.analysis.trace.config.head,
    "loss": lambda s: s.analysis.trace.config.loss,
    "truncation": lambda s: s.analysis.trace.config.truncation,
    "hidden_size": lambda s: int(s.analysis.built.params.hidden_size),
    "embedding_size": _embedding_size,
    "vocab_size": _vocab_size,
    "token_count": lambda s: len(s.analysis.built.tokens),
    "unk_count": _unk_count,
    "preset": _preset,
    "total_loss": _total_loss,
    "trained_steps": lambda s: len(s.history),
    "training": lambda s: s.training,
    "sigma_max": lambda s: _f(s.analysis.trace.sigma_max),
    "clip_mode": lambda s: s.analysis.trace.config.clip_mode,
    "clip_threshold": lambda s: float(s.analysis.trace.config.clip_threshold),
    "grad_norm": lambda s: _f(global_norm(s.analysis.trace.grads)),
    "dh_first": lambda s: _f(s.analysis.trace.dh_norms[0]),
    "dh_last": lambda s: _f(s.analysis.trace.dh_norms[-1]),
    "dh_ratio": _dh_ratio,
    "prediction": _prediction,
    "generated": lambda s: 0 if s.generation is None else len(s.generation.tokens),
}
assert _GETTERS.keys() == FACTS.keys()


# -- indexed facts -------------------------------------------------------------------------------
def _indexed_value(state, head: str, idx: tuple[int, ...]) -> float | None:
    trace = state.analysis.trace
    T = trace.length
    t = idx[0] + T if idx[0] < 0 else idx[0] - 1  # 1-based t (or from the end) -> row
    if not 0 <= t < T:
        return None
    if head in ("loss", "dh"):
        row = trace.step_losses if head == "loss" else trace.dh_norms
        return _f(row[t])
    array = {"h": trace.hs, "z": trace.zs, "y": trace.ys}[head]  # (T, H) or (T, O)
    return _f(array[t, idx[1]]) if idx[1] < array.shape[1] else None


# -- the API -------------------------------------------------------------------------------------
def facts(state) -> dict:
    """Every plain (non-indexed, non-UI) fact of ``state``."""
    return {name: get(state) for name, get in _GETTERS.items()}


def fact(state, name: str, ui: Mapping | None = None):
    """One fact by name, indexed ones included; ValueError for a name that is no fact."""
    if name in _GETTERS:
        return _GETTERS[name](state)
    if name in UI_FACTS:
        return (ui or {}).get(name)
    parsed = parse_indexed(name) if isinstance(name, str) else None
    if parsed is None:
        raise ValueError(suggest(name))
    return _indexed_value(state, *parsed)


def values(state, names: Iterable[str], ui: Mapping | None = None) -> dict:
    """The facts ``names`` (e.g. the keys of a task's ``when``), UI ones from ``ui``."""
    return {name: fact(state, name, ui) for name in names}


def unavailable(state, name: str) -> str:
    """Why an indexed fact is None, in words (for the task's status line)."""
    parsed = parse_indexed(name)
    if parsed is None:
        return f"{name} is not available here"
    head, idx = parsed
    T = state.analysis.length
    t = idx[0] + T + 1 if idx[0] < 0 else idx[0]
    if not 1 <= t <= T:
        return f"{name}: there is no t = {idx[0]} (the sequence has T = {T} steps)"
    return f"{name}: there is no unit {idx[1]} here"
