"""Checks of single values in a session document, each naming its path on failure.

Every problem becomes one ``SessionFileError`` whose message starts with the
path of the value, written the way a person reads the file:
``model.hidden_size``, ``dataset item 3, label``, ``params.W_hh row 2,
column 1``. The checks know nothing about sessions' sections (see
``session_schema``); they are the vocabulary the schema is written in:

* ``table`` (an object with known keys: typos get a "did you mean"),
  ``open_table`` (any keys), ``getter`` (a key's checked value or a default);
* check factories returning ``check(value, path)``: ``text``, ``whole``,
  ``real``, ``choice``, ``names``; plain checks ``flag`` and ``number``;
* ``matrix`` and ``vector`` of finite numbers, returned as tuples so that a
  frozen Spec holds immutable weights.

Values come from ``jsonfile.loads_strict`` (``BadNumber`` placeholders for
NaN/Infinity, ``duplicates`` on objects) or from a dict built in Python.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable

from .jsonfile import BadNumber


class SessionFileError(ValueError):
    """A session file (or a session about to be saved) is not valid; the message says where."""


def fail(path: str, message: str):
    raise SessionFileError(f"{path or 'top level'}: {message}")


def key_path(path: str, key: str) -> str:
    """The path of ``key`` inside the object at ``path``."""
    # a key with spaces, quotes or escapes is shown quoted, so a message stays one line
    key = key if re.fullmatch(r"[A-Za-z_][\w-]*", str(key)) else json.dumps(str(key))
    if not path:
        return key
    # "dataset item 3, label" reads better than "dataset item 3.label"
    return f"{path}, {key}" if path[-1].isdigit() and " item " in path else f"{path}.{key}"


def describe(v) -> str:
    """How a value looks, for 'expected X, found Y' messages."""
    if isinstance(v, BadNumber):
        return v.text
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return f"the number {v!r}"
    if isinstance(v, str):
        return f"the text {v[:40] + '…' if len(v) > 40 else v!r}"
    if isinstance(v, list):
        return f"a list of {len(v)} item{'s' * (len(v) != 1)}"
    return "an object {...}"


def is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def looks_numeric(v) -> bool:
    """A number, or NaN/Infinity/overflow that ``number`` will refuse with its own message."""
    return is_number(v) or isinstance(v, BadNumber)


def number(v, path: str) -> float | int:
    if isinstance(v, BadNumber):
        too_big = v.text not in ("NaN", "Infinity", "-Infinity")
        fail(
            path,
            f"{v.text} is not a finite number"
            + (
                " (too large for a 64-bit float)"
                if too_big
                else " (JSON allows no NaN or Infinity; rnnviz needs finite numbers)"
            ),
        )
    if not is_number(v):
        fail(path, f"expected a number, found {describe(v)}")
    if isinstance(v, float) and not math.isfinite(v):  # from a dict built in Python
        fail(path, f"{v} is not a finite number")
    if isinstance(v, int) and abs(v) > 1e300:
        fail(path, f"{v} is too large")
    return v


# ---------------------------------------------------------------------------------------------
# Objects
# ---------------------------------------------------------------------------------------------


def no_duplicates(v: dict, path: str) -> None:
    for dup in getattr(v, "duplicates", ()):
        fail(path, f"the key {dup!r} appears twice")


def table(v, path: str, known: tuple, required: tuple = ()) -> dict:
    """An object whose keys are all known (typos are caught) and not repeated."""
    if not isinstance(v, dict):
        fail(path, f"expected an object {{...}}, found {describe(v)}")
    no_duplicates(v, path)
    for k in v:
        if k not in known:
            close = difflib.get_close_matches(str(k), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            fail(key_path(path, k), f"unknown key{hint}; known keys: {', '.join(known)}")
    for k in required:
        if k not in v:
            fail(key_path(path, k), "missing (this key is required)")
    return v


def open_table(v, path: str, what: str) -> dict:
    """An object with keys of the file's choosing (training settings, curves), not repeated."""
    if not isinstance(v, dict):
        fail(path, f"expected {what}, found {describe(v)}")
    no_duplicates(v, path)
    return v


def getter(t: dict, path: str) -> Callable:
    """``get(key, check, default)``: the checked value of ``t[key]``, or ``default`` if absent."""

    def get(key: str, check: Callable, default=None):
        return check(t[key], key_path(path, key)) if key in t else default

    return get


# ---------------------------------------------------------------------------------------------
# Check factories: each returns check(value, path) -> the value to keep
# ---------------------------------------------------------------------------------------------


def text(max_chars: int, nonempty: bool = False) -> Callable:
    def check(v, path):
        if not isinstance(v, str):
            fail(path, f"expected text in double quotes, found {describe(v)}")
        if nonempty and not v:
            fail(path, "must not be empty")
        if len(v) > max_chars:
            fail(path, f"is {len(v)} characters long; at most {max_chars} are allowed")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            fail(path, "contains a \\u escape that is not a character (a lone surrogate)")
        return v

    return check


def flag(v, path: str) -> bool:
    if not isinstance(v, bool):
        fail(path, f"expected true or false, found {describe(v)}")
    return v


def whole(lo: int, hi: int, none: bool = False) -> Callable:
    def check(v, path):
        if v is None and none:
            return None
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            extra = " or null" if none else ""
            fail(path, f"expected a whole number from {lo} to {hi}{extra}, found {describe(v)}")
        return v

    return check


def real(lo: float | None = None, positive: bool = False, none: bool = False) -> Callable:
    def check(v, path):
        if v is None and none:
            return None
        v = number(v, path)
        if positive and not v > 0:
            fail(path, f"must be a number > 0, found {v!r}")
        if lo is not None and v < lo:
            fail(path, f"must be a number >= {lo}, found {v!r}")
        return v

    return check


def choice(choices: tuple) -> Callable:
    def check(v, path):
        if v not in choices or not isinstance(v, str):
            close = difflib.get_close_matches(v, choices, n=1) if isinstance(v, str) else []
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            found = describe(v)
            fail(path, f"expected one of {', '.join(map(repr, choices))}, found {found}{hint}")
        return v

    return check


def names(max_items: int, max_chars: int, none: bool = False, min_items: int = 0) -> Callable:
    """A list of distinct, non-empty strings (class names, a vocabulary)."""
    name = text(max_chars, nonempty=True)

    def check(v, path):
        if v is None and none:
            return None
        if not isinstance(v, list):
            fail(path, f"expected a list of names in double quotes, found {describe(v)}")
        if not min_items <= len(v) <= max_items:
            fail(path, f"has {len(v)} entries; expected {min_items} to {max_items}")
        seen = set()
        for i, item in enumerate(v, start=1):
            name(item, f"{path} item {i}")
            if item in seen:
                fail(path, f"{item!r} is listed twice")
            seen.add(item)
        return tuple(v)

    return check


# ---------------------------------------------------------------------------------------------
# Arrays of finite numbers
# ---------------------------------------------------------------------------------------------


def matrix(v, path: str, scalar_ok: bool) -> tuple | float:
    """A matrix as rows of numbers (or one number where allowed).

    Tuples of tuples, as the presets write them: a frozen Spec holds immutable
    weights, and a loaded preset compares equal to the preset itself.
    """
    if scalar_ok and looks_numeric(v):
        return float(number(v, path))
    if not isinstance(v, list) or not v:
        fail(
            path,
            f"expected a matrix (a list of rows of numbers){' or a number' * scalar_ok}, "
            f"found {describe(v)}",
        )
    width = None
    rows = []
    for i, row in enumerate(v, start=1):
        where = f"{path} row {i}"
        if not isinstance(row, list):
            fail(where, f"expected a list of numbers, found {describe(row)}")
        if width is None:
            width = len(row)
            if width == 0:
                fail(where, "is empty; every row needs at least one number")
        elif len(row) != width:
            fail(where, f"expected {width} numbers, found {len(row)}")
        rows.append(numbers(row, where))
    return tuple(rows)


def vector(v, path: str, scalar_ok: bool) -> tuple | float:
    if scalar_ok and looks_numeric(v):
        return float(number(v, path))
    if not isinstance(v, list) or not v:
        fail(path, f"expected a list of numbers{' or a number' * scalar_ok}, found {describe(v)}")
    return numbers(v, path)


def numbers(row: list, path: str) -> tuple[float, ...]:
    out = []
    for j, x in enumerate(row, start=1):
        if type(x) is float and math.isfinite(x):  # the common case, kept fast
            out.append(x)
        else:
            out.append(
                float(number(x, f"{path}, column {j}" if " row " in path else f"{path} item {j}"))
            )
    return tuple(out)
