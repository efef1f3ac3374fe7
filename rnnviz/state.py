"""The one evented state object: the single source of truth for the app.

Napari's pattern without Qt: every field has an event under ``state.events``;
panels subscribe to the fields they show and never talk to each other. Only
``rnnviz.session.Session`` writes (through ``update``). A field emits only
when its value really changes, so two-way bindings between a widget and the
state cannot loop. ``update`` assigns every changed field first and emits
afterwards, so no subscriber ever sees half an update (a new analysis with an
out-of-range cursor, say).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine.spec import Built, Spec
from .engine.trace import Trace

NOTATIONS = ("xh", "uvw", "ax")  # W_xh/W_hh/W_hy; U/W/V; W_ax/W_aa/W_ya
PHASES = ("forward", "backward")


class Signal:
    """Callbacks called in connection order by ``emit(value)``.

    Bound methods are held weakly, so a panel that is closed and collected
    unsubscribes itself; plain functions are held strongly.
    """

    def __init__(self) -> None:
        self._refs: list = []

    def connect(self, callback: Callable[[Any], None]) -> None:
        try:  # bound Python methods: weak, so a collected panel unsubscribes itself
            ref = weakref.WeakMethod(callback)
        except TypeError:  # plain functions, lambdas, built-in methods: strong
            ref = lambda cb=callback: cb  # noqa: E731
        self._refs.append(ref)

    def disconnect(self, callback: Callable[[Any], None]) -> None:
        self._refs = [r for r in self._refs if r() != callback]

    def emit(self, value: Any) -> None:
        alive = []
        for ref in list(self._refs):
            cb = ref()
            if cb is not None:
                alive.append(ref)
                cb(value)
        self._refs = alive


@dataclass(frozen=True, eq=False)
class Analysis:
    """Everything derived from one spec, computed once and assigned in one step."""

    built: Built
    trace: Trace

    @property
    def length(self) -> int:
        return self.trace.length


FIELDS = {
    "spec": None,  # Spec: the experiment as the user set it up
    "analysis": None,  # Analysis: the built network and its trace
    "cursor": 0,  # int: the shared timestep, 0-based (timestep cursor + 1)
    "phase": "forward",  # "forward" | "backward": which pass the playhead walks
    "selected_unit": None,  # int | None: hidden unit highlighted in every panel
    "notation": "xh",  # one of NOTATIONS
    "error": None,  # str | None: why the last change was refused (inline message)
    "notice": None,  # str | None: something the user should know (not an error)
    "playing": False,  # bool: timeline playback running
    "current_params": None,  # Params | None: weights after training (None: the spec's)
    "history": (),  # tuple[Snapshot, ...]: training so far, oldest first
    "training": "idle",  # "idle" | "running" | "paused" | "stopped": the training worker
    "generation": None,  # Generation | None: a generated sequence shown instead of the text
    "path": None,  # str | None: the session file on disk
    "dirty": False,  # bool: unsaved changes
}


class _Events:
    def __init__(self) -> None:
        for name in FIELDS:
            setattr(self, name, Signal())


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return False
    try:
        return bool(a == b)
    except Exception:  # objects without a usable ==: treat as changed
        return False


class State:
    spec: Spec
    analysis: Analysis
    cursor: int
    phase: str
    selected_unit: int | None
    notation: str
    error: str | None
    notice: str | None
    playing: bool
    current_params: Any
    history: tuple
    training: str
    generation: Any
    path: str | None
    dirty: bool

    def __init__(self) -> None:
        self.events = _Events()
        for name, default in FIELDS.items():
            object.__setattr__(self, name, default)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in FIELDS:
            raise AttributeError(f"state.{name} is written only through Session intents")
        object.__setattr__(self, name, value)

    def update(self, **changes: Any) -> list[str]:
        """Assign all changed fields, then emit their events; return the changed names."""
        unknown = set(changes) - set(FIELDS)
        if unknown:
            raise AttributeError(f"unknown state field {sorted(unknown)[0]!r}")
        changed = [k for k, v in changes.items() if not _same(getattr(self, k), v)]
        for k in changed:
            object.__setattr__(self, k, changes[k])
        for k in changed:
            getattr(self.events, k).emit(changes[k])
        return changed
