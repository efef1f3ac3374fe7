"""Checking JSON values against the lesson format, with messages that name file and place.

Every problem raises ``LessonError`` as ``<file>: <path>: <what is wrong>``,
where path is JSON-style and 0-based (``steps[2].task.when``), the way a
person finds the spot in their editor. Unknown keys get a "did you mean".
"""

from __future__ import annotations

import difflib
import numbers
from collections.abc import Iterable

from ..io.jsonfile import BadNumber, JsonObject


class LessonError(ValueError):
    """A lesson file that cannot be used; the message says which file, where and why."""


def did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _type_name(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, numbers.Real):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class Checker:
    """Checks values of one file; ``src`` is the name the messages start with."""

    def __init__(self, src: str) -> None:
        self.src = src

    def fail(self, path: str, message: str):
        raise LessonError(f"{self.src}: {path}: {message}" if path else f"{self.src}: {message}")

    def scan(self, value, path: str = "") -> None:
        """Keys written twice and NaN/Infinity anywhere, before anything else is read."""
        if isinstance(value, BadNumber):
            self.fail(path, f"{value.text} is not a number a lesson can use (no NaN or Infinity)")
        if isinstance(value, JsonObject) and value.duplicates:
            self.fail(key_path(path, value.duplicates[0]), "this key is written twice")
        if isinstance(value, dict):
            for k, v in value.items():
                self.scan(v, key_path(path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.scan(v, f"{path}[{i}]")

    def obj(self, value, path: str, required: Iterable[str], optional: Iterable[str]) -> dict:
        """``value`` as an object with exactly these keys (the optional ones may be missing)."""
        required, optional = list(required), list(optional)
        if not isinstance(value, dict):
            self.fail(path, f"expected an object {{...}}, found {_type_name(value)}")
        for key in value:
            if key not in required and key not in optional:
                hint = did_you_mean(key, required + optional)
                if not hint:
                    hint = f" (allowed: {', '.join(required + optional)})"
                self.fail(key_path(path, key), f'unknown key "{key}"{hint}')
        for key in required:
            if key not in value:
                self.fail(path, f'the key "{key}" is missing')
        return value

    def text(self, value, path: str, max_len: int = 20_000, empty: bool = False) -> str:
        if not isinstance(value, str):
            self.fail(path, f"expected text in double quotes, found {_type_name(value)}")
        if not empty and not value.strip():
            self.fail(path, "is empty")
        if len(value) > max_len:
            self.fail(path, f"is {len(value)} characters long; at most {max_len}")
        return value

    def integer(self, value, path: str, lo: int | None = None, hi: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            self.fail(path, f"expected a whole number, found {_type_name(value)} {value!r}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            span = f"from {lo} to {hi}" if hi is not None else f">= {lo}"
            self.fail(path, f"must be {span}, not {value}")
        return int(value)

    def number(self, value, path: str, positive: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            self.fail(path, f"expected a number, found {_type_name(value)} {value!r}")
        if positive and not value > 0:
            self.fail(path, f"must be a number > 0, not {value}")
        return float(value)

    def boolean(self, value, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, found {_type_name(value)}")
        return value

    def choice(self, value, path: str, options: Iterable[str], what: str = "value") -> str:
        options = list(options)
        if not isinstance(value, str) or value not in options:
            self.fail(
                path,
                f"unknown {what} {value!r}{did_you_mean(value, options)}; "
                f"choose one of {', '.join(options)}",
            )
        return value

    def strings(self, value, path: str, min_len: int = 1, max_len: int = 100) -> tuple:
        if not isinstance(value, list):
            self.fail(path, f"expected a list of texts, found {_type_name(value)}")
        if not min_len <= len(value) <= max_len:
            self.fail(path, f"has {len(value)} items; give {min_len} to {max_len}")
        return tuple(self.text(v, f"{path}[{i}]", max_len=500) for i, v in enumerate(value))
