"""Strict JSON reading and deterministic JSON writing for rnnviz files.

Reading (``read_limited``, ``loads_strict``) turns bytes into JSON values and
refuses, with the line and column where possible, what a person should fix:
a file over the size limit, text that is not UTF-8 (a UTF-8 BOM, as Windows
Notepad writes, is allowed; UTF-16 is named), an empty file, nesting deep
enough to exhaust Python's recursion, and JSON syntax errors (json's terse
messages are translated, and a truncated file is recognised as such).

Two problems are *not* raised here but left in the values, because only the
schema knows the path to name (``input.text`` rather than "line 3"):

* a key written twice: json would silently keep the last value; objects are
  ``JsonObject`` dicts whose ``duplicates`` lists such keys;
* ``NaN``, ``Infinity`` and numbers too large for a float64 (or ints of more
  than 30 digits): they become ``BadNumber`` placeholders holding their text.

Writing (``dumps_json``) is deterministic so save -> load -> save gives the
same bytes: the dict order is kept, indent 2, a flat list (a vector, or one
row of a matrix) on one line, and floats written with ``repr``, the shortest
text that reads back to the same float64.
"""

from __future__ import annotations

import codecs
import json
import math
import os
import re


class JsonFileError(ValueError):
    """A file is not the strict JSON rnnviz reads; the message says what and where."""


class JsonObject(dict):
    """A JSON object that remembers keys that were written twice."""

    duplicates: tuple = ()


class BadNumber:
    """Stands in for NaN, Infinity or an out-of-range number until we know its path."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


# ---------------------------------------------------------------------------------------------
# Reading: bytes -> text -> JSON values, with errors a person can act on
# ---------------------------------------------------------------------------------------------


def _pairs(pairs: list) -> JsonObject:
    obj = JsonObject(pairs)
    if len(obj) != len(pairs):  # json keeps the last value silently: we refuse instead
        seen: set = set()
        obj.duplicates = tuple(k for k, _ in pairs if k in seen or seen.add(k))
    return obj


def _parse_float(text: str):
    v = float(text)
    return v if math.isfinite(v) else BadNumber(text)  # 1e999 would silently become inf


def _parse_int(text: str):
    # Python refuses to convert ints of more than 4300 digits with an obscure message.
    return int(text) if len(text) <= 30 else BadNumber(text)


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs,
    parse_float=_parse_float,
    parse_int=_parse_int,
    parse_constant=BadNumber,
)

_JSON_HINTS = (  # json's terse messages -> what to fix
    (
        "Expecting property name",
        "expected a key in double quotes (JSON allows no trailing "
        "comma, no comments and no single quotes)",
    ),
    ("Expecting ':'", "expected ':' between a key and its value"),
    ("Expecting ','", "expected ',' between two items, or a closing bracket"),
    (
        "Expecting value",
        'expected a value: a number, "text", true, false, null, [a list] or '
        "{an object} (JSON allows no trailing comma)",
    ),
    ("Extra data", "unexpected text after the end of the JSON document"),
    (
        "Invalid control character",
        "a raw control character (tab or line break) inside a string: write \\t or \\n instead",
    ),
    ("Unterminated string", "a string is not closed with a double quote"),
    ("Invalid \\uXXXX", "an invalid \\u escape inside a string"),
    (
        "Invalid \\escape",
        "an invalid backslash escape inside a string (write \\\\ for a backslash)",
    ),
)
_SCAN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|"|[\[\]{}]', re.S)


def check_size(n: int, max_bytes: int, noun: str) -> None:
    """Refuse ``n`` bytes over the limit; ``noun`` names the file in the singular."""
    if n > max_bytes:
        raise JsonFileError(
            f"the file is {n / 2**20:.1f} MB; {noun}s are limited to {max_bytes / 2**20:g} MB"
        )


def read_limited(path: str | os.PathLike, max_bytes: int, noun: str) -> bytes:
    """The bytes of ``path``, refusing a file over ``max_bytes`` before reading it all."""
    try:
        with open(path, "rb") as f:
            check_size(os.fstat(f.fileno()).st_size, max_bytes, noun)
            return f.read(max_bytes + 1)  # a pipe or device may not report its size
    except OSError as e:
        raise JsonFileError(f"cannot read {os.fspath(path)!r}: {e.strerror or e}") from None


def loads_strict(data: str | bytes | bytearray, max_bytes: int, noun: str):
    """UTF-8 bytes or text -> JSON values (``JsonObject``, ``BadNumber`` as described above)."""
    if isinstance(data, bytes | bytearray):
        check_size(len(data), max_bytes, noun)
        data = _decode(bytes(data))
    check_size(len(data), max_bytes, noun)  # text given as str is limited too
    if not data.strip():
        raise JsonFileError(f"the file is empty: a {noun} is a JSON object {{...}}")
    try:
        return _DECODER.decode(data)
    except RecursionError:
        raise JsonFileError(
            f"the file is nested too deeply to be a {noun} "
            "(lists or objects inside each other thousands of times)"
        ) from None
    except json.JSONDecodeError as e:
        raise JsonFileError(_syntax_message(e, data)) from None


def _decode(data: bytes) -> str:
    """UTF-8 bytes -> text (a UTF-8 BOM, as Windows Notepad writes, is allowed)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise JsonFileError("the file is UTF-16 text; save it as UTF-8")
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise JsonFileError(
            f"line {line}, column {col}: byte 0x{data[e.start]:02x} is not "
            "UTF-8 text (save the file as UTF-8)"
        ) from None


def _syntax_message(e: json.JSONDecodeError, text: str) -> str:
    where = f"line {e.lineno}, column {e.colno}"
    if not e.msg.startswith("Extra data") and e.pos >= len(text.rstrip()):
        # the document stopped while something was still open
        what = _open_container(text)
        if what:
            return f"{where}: the file ends in the middle of {what} (truncated?)"
    if e.msg.startswith("Unterminated string") and _open_container(text) == "a string":
        return f"{where}: the file ends in the middle of a string (truncated?)"
    hint = next((h for prefix, h in _JSON_HINTS if e.msg.startswith(prefix)), e.msg)
    return f"{where}: {hint}"


def _open_container(text: str) -> str | None:
    """'a list', 'an object' or 'a string' still open at the end of ``text``, or None."""
    stack = []
    for m in _SCAN.finditer(text):
        tok = m.group()
        if tok == '"':
            return "a string"
        if tok in "[{":
            stack.append(tok)
        elif tok in "]}" and stack:
            stack.pop()
    if not stack:
        return None
    return "a list" if stack[-1] == "[" else "an object"


# ---------------------------------------------------------------------------------------------
# Writing: deterministic, readable JSON (session and trace files)
# ---------------------------------------------------------------------------------------------


def dumps_json(value) -> str:
    """Indent 2, one matrix row per line, flat lists inline, floats as repr (round-trip)."""
    out: list[str] = []
    _emit(value, 0, out, in_list=False)
    out.append("\n")
    return "".join(out)


def _scalar(v) -> str:
    if type(v) is float:  # repr is the shortest text that reads back to the same float
        if not math.isfinite(v):
            raise ValueError(f"{v} is not valid JSON")
        return repr(v)
    if type(v) is int:
        return repr(v)
    return json.dumps(v, ensure_ascii=False, allow_nan=False)


def _is_scalar(v) -> bool:
    return v is None or isinstance(v, str | bool | int | float)


def _is_flat(v) -> bool:
    return isinstance(v, list | tuple) and all(_is_scalar(x) for x in v)


def _inline(v) -> str:
    return "[" + ", ".join(map(_scalar, v)) + "]" if _is_flat(v) else _scalar(v)


def _emit(v, level: int, out: list[str], in_list: bool) -> None:
    pad, end = "  " * (level + 1), "\n" + "  " * level
    if isinstance(v, dict):
        if not v:
            out.append("{}")
        elif in_list and all(_is_scalar(x) or _is_flat(x) for x in v.values()):
            # a dataset example on one line: {"text": "good movie", "label": "positive"}
            out.append(
                "{" + ", ".join(f"{_scalar(str(k))}: {_inline(x)}" for k, x in v.items()) + "}"
            )
        else:
            for i, (k, x) in enumerate(v.items()):
                out.append(("," if i else "{") + "\n" + pad + _scalar(str(k)) + ": ")
                _emit(x, level + 1, out, in_list=False)
            out.append(end + "}")
    elif isinstance(v, list | tuple):
        if _is_flat(v):
            out.append(_inline(v))  # a vector, or one row of a matrix
        else:
            for i, x in enumerate(v):
                out.append(("," if i else "[") + "\n" + pad)
                _emit(x, level + 1, out, in_list=True)
            out.append(end + "]")
    else:
        out.append(_scalar(v))
