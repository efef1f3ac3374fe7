"""Lesson lock: which controls a teacher hides or locks in a session (Qt-free).

A teacher prepares an experiment and saves it as a *lesson*: the students
open it and click through the timesteps, but the controls that would change
the setup (the input text, the model sizes, training...) are hidden or
greyed out, as TensorFlow Playground's classroom mode hides controls.

The lock lives in the session file's view state::

    "state": {"view": {"cursor": 0, ...,
                       "lock": {"hidden": ["model", "training"],
                                "locked": ["input_text", "tokenizer"]}}}

``hidden`` controls are not shown at all; ``locked`` ones are shown but
cannot be changed. A control named in both is hidden. The names are the
keys of ``CONTROLS`` (the UI maps each to its widgets); an unknown name is
refused with a message that lists the known ones, so a hand-written lesson
with a typo fails loudly instead of silently leaving a control open.

The lock guards a set-up against accidents, not against a determined
student: the View menu can still lift it (there is no password).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# name -> (label in the dialog, what it covers). Order = order in the dialog.
CONTROLS: dict[str, tuple[str, str]] = {
    "input_text": ("Input text", "the box where the sentence is typed"),
    "tokenizer": ("Tokenizer", "words / characters, lowercase, punctuation"),
    "encoding": ("Encoding", "one-hot, embedding or numeric input vectors"),
    "targets": ("Targets", "the label or per-token tags the loss compares against"),
    "model": ("Model settings", "hidden size, activation, head, loss, initialisation, seed"),
    "presets": ("Preset picker", "the Presets menu and the Example box in the toolbar"),
    "training": ("Training controls", "train / step / reset, optimizer, dataset"),
    "clipping_lab": ("Clipping lab", "the clipping lab panel"),
    "generate": ("Generate", "the text generation panel"),
    "gradient_controls": ("Gradient controls", "the σ_max(W_hh) slider of the gradients panel"),
}
KINDS = ("hidden", "locked")
VIEW_KEY = "lock"  # the key inside state.view


def _fail(path: str, message: str):
    # a SessionFileError when the session-file package is there (it is a ValueError),
    # imported late so this module stays importable on its own
    try:
        from .io.session_checks import SessionFileError
    except ImportError:  # pragma: no cover - the io package always ships with rnnviz
        SessionFileError = ValueError  # noqa: N806
    raise SessionFileError(f"{path}: {message}")


@dataclass(frozen=True)
class LessonLock:
    """The controls hidden and locked; empty sets = no lock."""

    hidden: frozenset[str] = field(default_factory=frozenset)
    locked: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for kind in KINDS:
            names = frozenset(getattr(self, kind))
            unknown = sorted(names - CONTROLS.keys())
            if unknown:
                _fail(
                    f"lock.{kind}", f"unknown control {unknown[0]!r}; known: {', '.join(CONTROLS)}"
                )
            object.__setattr__(self, kind, names)
        # hidden wins: a control is never both
        object.__setattr__(self, "locked", self.locked - self.hidden)

    @property
    def active(self) -> bool:
        return bool(self.hidden or self.locked)

    def state_of(self, name: str) -> str:
        """'hidden', 'locked' or 'open' for control ``name``."""
        if name in self.hidden:
            return "hidden"
        return "locked" if name in self.locked else "open"

    def to_dict(self) -> dict:
        """The JSON value stored under state.view.lock (lists in CONTROLS order)."""
        return {kind: [n for n in CONTROLS if n in getattr(self, kind)] for kind in KINDS}


NO_LOCK = LessonLock()


def parse_lock(value, path: str = "state.view.lock") -> LessonLock:
    """Check a lock value read from a file; a clear error names what is wrong and where."""
    if value is None:
        return NO_LOCK
    if not isinstance(value, dict):
        _fail(path, f'expected {{"hidden": [...], "locked": [...]}}, found {type(value).__name__}')
    extra = sorted(set(value) - set(KINDS))
    if extra:
        _fail(f"{path}.{extra[0]}", f"unknown key; a lock has only {' and '.join(KINDS)}")
    names = {}
    for kind in KINDS:
        items = value.get(kind, [])
        if not isinstance(items, list):
            _fail(
                f"{path}.{kind}", f"expected a list of control names, found {type(items).__name__}"
            )
        for i, item in enumerate(items, start=1):
            if not isinstance(item, str):
                _fail(f"{path}.{kind} item {i}", f"expected a control name, found {item!r}")
            if item not in CONTROLS:
                _fail(
                    f"{path}.{kind} item {i}",
                    f"unknown control {item!r}; known: {', '.join(CONTROLS)}",
                )
        names[kind] = frozenset(items)
    return LessonLock(**names)


def check_lock(value, path: str = "state.view.lock") -> dict:
    """For the session schema: the checked lock as its plain JSON value."""
    return parse_lock(value, path).to_dict()


def lock_from_view(view: dict | None) -> LessonLock:
    """The lock of a loaded session's view dict (none when absent)."""
    return parse_lock((view or {}).get(VIEW_KEY))


def view_with_lock(view: dict, lock: LessonLock) -> dict:
    """A copy of ``view`` carrying ``lock`` (or without a lock key when it is empty)."""
    out = {k: v for k, v in view.items() if k != VIEW_KEY}
    if lock.active:
        out[VIEW_KEY] = lock.to_dict()
    return out
