"""Session files: a whole experiment as human-readable JSON (docs/session-format.md).

A teacher can write one by hand to reproduce the matrices of a lecture::

    {"format": "rnnviz-session", "version": 1, "input": {"text": "the cat sat"}}

is a complete file (everything else takes its default). Sections: ``input``
(text -> tokens -> vectors), ``model`` (sizes, activation, head, loss),
``task``, ``init`` (seeded weights), ``params`` (explicit weights, optional),
``clipping``, ``training``, ``dataset`` and the app's ``state`` (weights after
training, cursor, loss curves).

Loading is strict and never executes anything from the file (plain JSON, no
pickle). Everything is validated *before* anything is built: the byte size,
UTF-8, the JSON syntax (with the line and column of a mistake), duplicate and
unknown keys (with a "did you mean"), types, allowed values, sizes (the
engine's limits), finite numbers (JSON ``NaN``/``Infinity`` are refused),
matrix shapes (named in H, D, O), and finally that ``engine.spec.build``
accepts the spec. Every problem is one ``SessionFileError`` (a ValueError)
whose message says what is wrong and where, e.g.
``params.W_hh row 2: expected 3 numbers, found 2``.

Saving is atomic (``atomic.py``) and deterministic: fixed key order, indent 2,
one matrix row per line, floats written with ``repr`` (the shortest text that
reads back to the same float64), so save -> load -> save gives identical
bytes and bit-identical arrays. A file is re-read before it is written, so
rnnviz never saves a session it could not open again.

This module is the public API; the work is done by

* ``jsonfile``: strict JSON text <-> values (size, UTF-8, syntax positions,
  duplicate keys, NaN/Infinity; the deterministic writer);
* ``session_checks``: checks of one value that name its path;
* ``session_schema``: the sections, their keys and limits -> a Spec;
* ``session_network``: checks across sections, the build, the ``state``;
* ``session_writer``: a Spec and the state -> plain JSON values.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..engine.params import Params
from ..engine.spec import Spec
from . import jsonfile
from .atomic import atomic_write_text
from .jsonfile import dumps_json
from .session_checks import SessionFileError
from .session_network import read_session
from .session_schema import (
    FORMAT,
    MAX_DATASET,
    MAX_HISTORY,
    MAX_NAME_CHARS,
    MAX_SEED,
    MAX_TEXT_CHARS,
    NOTATIONS,
    PHASES,
    VERSION,
)
from .session_writer import spec_to_dict, state_to_dict

__all__ = [
    "FORMAT",
    "MAX_DATASET",
    "MAX_FILE_BYTES",
    "MAX_HISTORY",
    "MAX_NAME_CHARS",
    "MAX_SEED",
    "MAX_TEXT_CHARS",
    "NOTATIONS",
    "PHASES",
    "VERSION",
    "SessionFile",
    "SessionFileError",
    "dumps_json",
    "dumps_session",
    "load_session",
    "loads_session",
    "save_session",
    "session_from_dict",
    "session_to_dict",
    "spec_from_dict",
    "spec_to_dict",
]

# Read at each call (not bound at import), so the one limit for reading and
# writing can be lowered in one place, as a test does.
MAX_FILE_BYTES = 20 * 1024 * 1024  # a 512-unit network with its training history fits easily
_NOUN = "session file"  # in messages: "session files are limited to 20 MB"


@dataclass(frozen=True, eq=False)
class SessionFile:
    """What a session file holds: the experiment and the app's state at save time."""

    spec: Spec
    current_params: Params | None = None  # the weights after training (None: the spec's)
    view: dict = field(default_factory=dict)  # cursor, phase, selected_unit, notation
    history: dict = field(default_factory=dict)  # training curves: name -> list of numbers


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


@contextmanager
def _as_session_error():
    """The JSON layer's errors, reported as what they are to the caller: a bad session file."""
    try:
        yield
    except jsonfile.JsonFileError as e:
        raise SessionFileError(str(e)) from None


def spec_from_dict(d: dict) -> Spec:
    """A whole session document (as parsed JSON) -> validated Spec that builds."""
    return session_from_dict(d).spec


def session_from_dict(d: dict) -> SessionFile:
    """A whole session document (as parsed JSON) -> validated SessionFile."""
    return SessionFile(*read_session(d))


def loads_session(text: str | bytes) -> SessionFile:
    """Parse and validate a session from its text (or UTF-8 bytes)."""
    if not isinstance(text, str | bytes | bytearray):
        raise SessionFileError(f"expected the text of a session file, not {type(text).__name__}")
    with _as_session_error():
        doc = jsonfile.loads_strict(text, MAX_FILE_BYTES, _NOUN)
    return session_from_dict(doc)


def load_session(path: str | os.PathLike) -> SessionFile:
    """Read, validate and return a session file; every problem is a SessionFileError."""
    with _as_session_error():
        data = jsonfile.read_limited(path, MAX_FILE_BYTES, _NOUN)
    return loads_session(data)


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def session_to_dict(sf: SessionFile | Spec) -> dict:
    """The whole session document as plain JSON values (a Spec alone: no ``state``)."""
    if isinstance(sf, Spec):
        sf = SessionFile(sf)
    d = spec_to_dict(sf.spec)
    state = state_to_dict(sf.current_params, sf.view, sf.history)
    if state:
        d["state"] = state
    return d


def dumps_session(sf: SessionFile | Spec) -> str:
    """The text of the session file; raises SessionFileError if it could not be read back."""
    if not isinstance(sf, SessionFile | Spec):
        raise SessionFileError(f"cannot save a {type(sf).__name__} as a session")
    try:
        text = dumps_json(session_to_dict(sf))
    except (TypeError, ValueError, UnicodeError) as e:  # e.g. an object JSON cannot hold
        if isinstance(e, SessionFileError):
            raise
        raise SessionFileError(f"cannot save this session: {e}") from None
    size = len(text.encode("utf-8", "surrogatepass"))  # a lone surrogate is reported below
    if size > MAX_FILE_BYTES:
        raise SessionFileError(
            f"the session would be {size / 2**20:.1f} MB, more than the "
            f"{MAX_FILE_BYTES / 2**20:g} MB rnnviz can open again: use fewer hidden units or a "
            "smaller vocabulary"
        )
    loads_session(text)  # never write a file that rnnviz would refuse to open
    return text


def save_session(path: str | os.PathLike, sf: SessionFile | Spec) -> None:
    """Write atomically: on any error the previous file on disk is untouched."""
    atomic_write_text(path, dumps_session(sf))
