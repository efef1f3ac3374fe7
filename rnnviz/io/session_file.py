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
"""

from __future__ import annotations

import codecs
import difflib
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..engine.clipping import MODES as CLIP_MODES
from ..engine.encoding import ENCODINGS
from ..engine.functions import ACTIVATIONS, HEADS
from ..engine.init import SCHEMES
from ..engine.losses import LOSSES, REDUCTIONS
from ..engine.params import NAMES, Params
from ..engine.spec import MAX_HIDDEN, MAX_INPUT, MAX_TOKENS, TASKS, Built, Example, Spec, build
from ..engine.tokenizer import LEVELS, PUNCTUATION_MODES, tokenize
from ..engine.trace import Config
from .atomic import atomic_write_text

FORMAT = "rnnviz-session"
VERSION = 1
MAX_FILE_BYTES = 20 * 1024 * 1024  # a 512-unit network with its training history fits easily
MAX_TEXT_CHARS = 1_000_000
MAX_NAME_CHARS = 200
MAX_DATASET = 10_000
MAX_HISTORY = 1_000_000
MAX_SEED = 2**63 - 1
# The app's view state (mirrors rnnviz.state; a test keeps them in step).
PHASES = ("forward", "backward")
NOTATIONS = ("xh", "uvw", "ax")

_SPEC0, _CONFIG0 = Spec(), Config()
TOP_KEYS = (
    "format",
    "version",
    "name",
    "description",
    "input",
    "model",
    "task",
    "init",
    "params",
    "clipping",
    "training",
    "dataset",
    "state",
)
INPUT_KEYS = (
    "text",
    "level",
    "lowercase",
    "punctuation",
    "vocab",
    "use_unk",
    "encoding",
    "embedding_size",
)
MODEL_KEYS = (
    "hidden_size",
    "output_size",
    "classes",
    "activation",
    "head",
    "loss",
    "reduction",
    "truncation",
)
TASK_KEYS = ("kind", "label", "tags")
INIT_KEYS = ("seed", "scheme", "sigma_max")
CLIPPING_KEYS = ("mode", "threshold")
EXAMPLE_KEYS = ("text", "label", "tags")
STATE_KEYS = ("current_params", "view", "history")
VIEW_KEYS = ("cursor", "phase", "selected_unit", "notation")
_SCALAR_OK = ("W_hh", "b_h", "b_y", "h0")  # "W_hh": 0.5 means 0.5 * I, "b_h": 0.1 fills


class SessionFileError(ValueError):
    """A session file (or a session about to be saved) is not valid; the message says where."""


@dataclass(frozen=True, eq=False)
class SessionFile:
    """What a session file holds: the experiment and the app's state at save time."""

    spec: Spec
    current_params: Params | None = None  # the weights after training (None: the spec's)
    view: dict = field(default_factory=dict)  # cursor, phase, selected_unit, notation
    history: dict = field(default_factory=dict)  # training curves: name -> list of numbers


# ---------------------------------------------------------------------------------------------
# Reading: bytes -> text -> JSON values, with errors a person can act on
# ---------------------------------------------------------------------------------------------


class _Obj(dict):
    """A JSON object that remembers keys that were written twice."""

    duplicates: tuple = ()


class _BadNumber:
    """Stands in for NaN, Infinity or an out-of-range number until we know its path."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _pairs(pairs: list) -> _Obj:
    obj = _Obj(pairs)
    if len(obj) != len(pairs):  # json keeps the last value silently: we refuse instead
        seen: set = set()
        obj.duplicates = tuple(k for k, _ in pairs if k in seen or seen.add(k))
    return obj


def _parse_float(text: str):
    v = float(text)
    return v if math.isfinite(v) else _BadNumber(text)  # 1e999 would silently become inf


def _parse_int(text: str):
    # Python refuses to convert ints of more than 4300 digits with an obscure message.
    return int(text) if len(text) <= 30 else _BadNumber(text)


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs,
    parse_float=_parse_float,
    parse_int=_parse_int,
    parse_constant=_BadNumber,
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


def _decode(data: bytes) -> str:
    """UTF-8 bytes -> text (a UTF-8 BOM, as Windows Notepad writes, is allowed)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SessionFileError("the file is UTF-16 text; save it as UTF-8")
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise SessionFileError(
            f"line {line}, column {col}: byte 0x{data[e.start]:02x} is not "
            "UTF-8 text (save the file as UTF-8)"
        ) from None


def _parse(text: str):
    if len(text) > MAX_FILE_BYTES:
        raise SessionFileError(_too_big(len(text)))
    if not text.strip():
        raise SessionFileError("the file is empty: a session file is a JSON object {...}")
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise SessionFileError(
            "the file is nested too deeply to be a session file "
            "(lists or objects inside each other thousands of times)"
        ) from None
    except json.JSONDecodeError as e:
        raise SessionFileError(_syntax_message(e, text)) from None


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


def _too_big(n: int) -> str:
    return (
        f"the file is {n / 2**20:.1f} MB; session files are limited to "
        f"{MAX_FILE_BYTES / 2**20:g} MB"
    )


# ---------------------------------------------------------------------------------------------
# Validation helpers: each checks one value and names its path on failure
# ---------------------------------------------------------------------------------------------


def _fail(path: str, message: str):
    raise SessionFileError(f"{path or 'top level'}: {message}")


def _key(path: str, key: str) -> str:
    # a key with spaces, quotes or escapes is shown quoted, so a message stays one line
    key = key if re.fullmatch(r"[A-Za-z_][\w-]*", str(key)) else json.dumps(str(key))
    if not path:
        return key
    # "dataset item 3, label" reads better than "dataset item 3.label"
    return f"{path}, {key}" if path[-1].isdigit() and " item " in path else f"{path}.{key}"


def _kind(v) -> str:
    """How a value looks, for 'expected X, found Y' messages."""
    if isinstance(v, _BadNumber):
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


def _is_num(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _number(v, path: str) -> float | int:
    if isinstance(v, _BadNumber):
        too_big = v.text not in ("NaN", "Infinity", "-Infinity")
        _fail(
            path,
            f"{v.text} is not a finite number"
            + (
                " (too large for a 64-bit float)"
                if too_big
                else " (JSON allows no NaN or Infinity; rnnviz needs finite numbers)"
            ),
        )
    if not _is_num(v):
        _fail(path, f"expected a number, found {_kind(v)}")
    if isinstance(v, float) and not math.isfinite(v):  # from a dict built in Python
        _fail(path, f"{v} is not a finite number")
    if isinstance(v, int) and abs(v) > 1e300:
        _fail(path, f"{v} is too large")
    return v


def _table(v, path: str, known: tuple, required: tuple = ()) -> dict:
    """An object whose keys are all known (typos are caught) and not repeated."""
    if not isinstance(v, dict):
        _fail(path, f"expected an object {{...}}, found {_kind(v)}")
    for dup in getattr(v, "duplicates", ()):
        _fail(path, f"the key {dup!r} appears twice")
    for k in v:
        if k not in known:
            close = difflib.get_close_matches(str(k), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            _fail(_key(path, k), f"unknown key{hint}; known keys: {', '.join(known)}")
    for k in required:
        if k not in v:
            _fail(_key(path, k), "missing (this key is required)")
    return v


def _get(table: dict, path: str, key: str, check: Callable, default):
    return check(table[key], _key(path, key)) if key in table else default


def _text(max_chars: int, nonempty: bool = False) -> Callable:
    def check(v, path):
        if not isinstance(v, str):
            _fail(path, f"expected text in double quotes, found {_kind(v)}")
        if nonempty and not v:
            _fail(path, "must not be empty")
        if len(v) > max_chars:
            _fail(path, f"is {len(v)} characters long; at most {max_chars} are allowed")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            _fail(path, "contains a \\u escape that is not a character (a lone surrogate)")
        return v

    return check


def _flag(v, path: str) -> bool:
    if not isinstance(v, bool):
        _fail(path, f"expected true or false, found {_kind(v)}")
    return v


def _whole(lo: int, hi: int, none: bool = False) -> Callable:
    def check(v, path):
        if v is None and none:
            return None
        if (
            isinstance(v, _BadNumber)
            or not isinstance(v, int)
            or isinstance(v, bool)
            or not lo <= v <= hi
        ):
            extra = " or null" if none else ""
            _fail(path, f"expected a whole number from {lo} to {hi}{extra}, found {_kind(v)}")
        return v

    return check


def _real(lo: float | None = None, positive: bool = False, none: bool = False) -> Callable:
    def check(v, path):
        if v is None and none:
            return None
        v = _number(v, path)
        if positive and not v > 0:
            _fail(path, f"must be a number > 0, found {v!r}")
        if lo is not None and v < lo:
            _fail(path, f"must be a number >= {lo}, found {v!r}")
        return v

    return check


def _choice(choices: tuple) -> Callable:
    def check(v, path):
        if v not in choices or not isinstance(v, str):
            close = difflib.get_close_matches(v, choices, n=1) if isinstance(v, str) else []
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            _fail(path, f"expected one of {', '.join(map(repr, choices))}, found {_kind(v)}{hint}")
        return v

    return check


def _names(max_items: int, none: bool = False, min_items: int = 0) -> Callable:
    """A list of distinct, non-empty strings (class names, a vocabulary)."""

    def check(v, path):
        if v is None and none:
            return None
        if not isinstance(v, list):
            _fail(path, f"expected a list of names in double quotes, found {_kind(v)}")
        if not min_items <= len(v) <= max_items:
            _fail(path, f"has {len(v)} entries; expected {min_items} to {max_items}")
        seen = set()
        for i, name in enumerate(v, start=1):
            _text(MAX_NAME_CHARS, nonempty=True)(name, f"{path} item {i}")
            if name in seen:
                _fail(path, f"{name!r} is listed twice")
            seen.add(name)
        return tuple(v)

    return check


def _target(v, path: str):
    """A label or tag: a class name, a number (or class index), a list of numbers, or null."""
    if v is None or isinstance(v, str):
        return _text(MAX_NAME_CHARS, nonempty=True)(v, path) if v is not None else None
    if isinstance(v, list):
        if not 1 <= len(v) <= MAX_INPUT:
            _fail(path, f"a target vector needs 1 to {MAX_INPUT} numbers, found {len(v)}")
        return tuple(_number(x, f"{path} item {i}") for i, x in enumerate(v, start=1))
    if _is_num(v) or isinstance(v, _BadNumber):
        return _number(v, path)
    _fail(path, f"expected a class name, a number or a list of numbers, found {_kind(v)}")


def _tags(v, path: str):
    if v is None:
        return None
    if not isinstance(v, list):
        _fail(path, f"expected a list with one tag per token (null: not scored), found {_kind(v)}")
    if len(v) > MAX_TOKENS + 1:
        _fail(path, f"has {len(v)} tags; a text has at most {MAX_TOKENS} tokens")
    return tuple(_target(x, f"{path} item {i}") for i, x in enumerate(v, start=1))


def _matrix(v, path: str, scalar_ok: bool) -> tuple | float:
    """A matrix as rows of numbers (or one number where allowed).

    Tuples of tuples, as the presets write them: a frozen Spec holds immutable
    weights, and a loaded preset compares equal to the preset itself.
    """
    if scalar_ok and (_is_num(v) or isinstance(v, _BadNumber)):
        return float(_number(v, path))
    if not isinstance(v, list) or not v:
        _fail(
            path,
            f"expected a matrix (a list of rows of numbers){' or a number' * scalar_ok}, "
            f"found {_kind(v)}",
        )
    width = None
    rows = []
    for i, row in enumerate(v, start=1):
        where = f"{path} row {i}"
        if not isinstance(row, list):
            _fail(where, f"expected a list of numbers, found {_kind(row)}")
        if width is None:
            width = len(row)
            if width == 0:
                _fail(where, "is empty; every row needs at least one number")
        elif len(row) != width:
            _fail(where, f"expected {width} numbers, found {len(row)}")
        rows.append(_numbers(row, where))
    return tuple(rows)


def _vector(v, path: str, scalar_ok: bool) -> tuple | float:
    if scalar_ok and (_is_num(v) or isinstance(v, _BadNumber)):
        return float(_number(v, path))
    if not isinstance(v, list) or not v:
        _fail(path, f"expected a list of numbers{' or a number' * scalar_ok}, found {_kind(v)}")
    return _numbers(v, path)


def _numbers(row: list, path: str) -> tuple[float, ...]:
    out = []
    for j, x in enumerate(row, start=1):
        if type(x) is float and math.isfinite(x):  # the common case, kept fast
            out.append(x)
        else:
            out.append(
                float(_number(x, f"{path}, column {j}" if " row " in path else f"{path} item {j}"))
            )
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Sections -> Spec
# ---------------------------------------------------------------------------------------------


def _check_header(doc) -> None:
    if not isinstance(doc, dict):
        _fail(
            "", f'expected an object {{...}} starting with "format": "{FORMAT}", found {_kind(doc)}'
        )
    for dup in getattr(doc, "duplicates", ()):
        _fail("", f"the key {dup!r} appears twice")
    if "format" not in doc:
        _fail(
            "format",
            f'missing; a session file starts with {{"format": "{FORMAT}", '
            f'"version": {VERSION}, ...}}',
        )
    if doc["format"] != FORMAT:
        _fail(
            "format",
            f"expected {FORMAT!r}, found {_kind(doc['format'])}: this is not an "
            "rnnviz session file",
        )
    version = doc.get("version")
    if "version" not in doc:
        _fail("version", f'missing; add "version": {VERSION} after the format')
    if not isinstance(version, int) or isinstance(version, bool):
        _fail("version", f"expected the whole number {VERSION}, found {_kind(version)}")
    if version > VERSION:
        _fail(
            "version",
            f"this file has format version {version}, written by a newer rnnviz; "
            f"this rnnviz reads version {VERSION}: please update rnnviz",
        )
    if version != VERSION:
        _fail("version", f"unknown format version {version}; this rnnviz reads version {VERSION}")


def _read_input(doc: dict) -> dict:
    t = (
        _table(doc.get("input"), "input", INPUT_KEYS, required=("text",))
        if "input" in doc
        else _fail("input", 'missing; at least {"text": "..."} is needed')
    )
    g = _get
    return dict(
        text=g(t, "input", "text", _text(MAX_TEXT_CHARS), None),
        level=g(t, "input", "level", _choice(LEVELS), _SPEC0.level),
        lowercase=g(t, "input", "lowercase", _flag, _SPEC0.lowercase),
        punctuation=g(t, "input", "punctuation", _choice(PUNCTUATION_MODES), _SPEC0.punctuation),
        vocab=g(t, "input", "vocab", _names(MAX_INPUT, none=True, min_items=1), None),
        use_unk=g(t, "input", "use_unk", _flag, _SPEC0.use_unk),
        encoding=g(t, "input", "encoding", _choice(ENCODINGS), _SPEC0.encoding),
        embedding_size=g(t, "input", "embedding_size", _whole(1, MAX_INPUT), _SPEC0.embedding_size),
    )


def _read_model(doc: dict) -> tuple[dict, dict]:
    t = _table(doc.get("model", {}), "model", MODEL_KEYS)
    g = _get
    spec = dict(
        hidden_size=g(t, "model", "hidden_size", _whole(1, MAX_HIDDEN), _SPEC0.hidden_size),
        output_size=g(t, "model", "output_size", _whole(1, MAX_INPUT, none=True), None),
        classes=g(t, "model", "classes", _names(MAX_INPUT), ()),
    )
    config = dict(
        activation=g(t, "model", "activation", _choice(ACTIVATIONS), _CONFIG0.activation),
        head=g(t, "model", "head", _choice(HEADS), _CONFIG0.head),
        loss=g(t, "model", "loss", _choice(LOSSES), _CONFIG0.loss),
        reduction=g(t, "model", "reduction", _choice(REDUCTIONS), _CONFIG0.reduction),
        truncation=g(t, "model", "truncation", _whole(1, MAX_TOKENS, none=True), None),
    )
    return spec, config


def _read_task(doc: dict) -> dict:
    t = _table(doc.get("task", {}), "task", TASK_KEYS)
    return dict(
        task=_get(t, "task", "kind", _choice(TASKS), _SPEC0.task),
        label=_get(t, "task", "label", _target, None),
        tags=_get(t, "task", "tags", _tags, None),
    )


def _read_init(doc: dict) -> dict:
    t = _table(doc.get("init", {}), "init", INIT_KEYS)
    return dict(
        seed=_get(t, "init", "seed", _whole(0, MAX_SEED), _SPEC0.seed),
        init=_get(t, "init", "scheme", _choice(SCHEMES), _SPEC0.init),
        sigma_max=_get(t, "init", "sigma_max", _real(lo=0, none=True), None),
    )


def _read_clipping(doc: dict) -> dict:
    t = _table(doc.get("clipping", {}), "clipping", CLIPPING_KEYS)
    return dict(
        clip_mode=_get(t, "clipping", "mode", _choice(CLIP_MODES), _CONFIG0.clip_mode),
        clip_threshold=float(
            _get(t, "clipping", "threshold", _real(positive=True), _CONFIG0.clip_threshold)
        ),
    )


def _read_params(doc: dict) -> dict | None:
    if doc.get("params") is None:
        return None
    t = _table(doc["params"], "params", NAMES)
    return {
        name: (_matrix if name in ("W_xh", "W_hh", "W_hy", "E") else _vector)(
            t[name], f"params.{name}", name in _SCALAR_OK
        )
        for name in NAMES
        if name in t
    }


def _read_training(doc: dict) -> dict:
    t = doc.get("training", {})
    if not isinstance(t, dict):
        _fail("training", f"expected an object {{...}} of settings, found {_kind(t)}")
    _table(t, "training", tuple(t))  # duplicates
    out = {}
    for k, v in t.items():
        path = _key("training", k)
        if isinstance(v, str):
            v = _text(MAX_NAME_CHARS)(v, path)
        elif isinstance(v, list | dict):
            _fail(path, f"expected a number, text, true/false or null, found {_kind(v)}")
        elif v is not None and not isinstance(v, bool):
            v = _number(v, path)  # refuses NaN and Infinity
        out[k] = v
    _check_training(out)
    return out


def _check_training(settings: dict) -> None:
    """The engine's own check of the training table (names, ranges), when it is available."""
    try:
        from ..engine.train import TrainSettings
    except ImportError:  # a notebook with an older engine: the scalars were checked above
        return
    try:
        TrainSettings.from_dict(settings)
    except (TypeError, ValueError) as e:
        raise SessionFileError(f"training: {e}") from None


def _read_dataset(doc: dict) -> tuple[Example, ...]:
    items = doc.get("dataset", [])
    if not isinstance(items, list):
        _fail(
            "dataset", f'expected a list of examples [{{"text": ...}}, ...], found {_kind(items)}'
        )
    if len(items) > MAX_DATASET:
        _fail("dataset", f"has {len(items)} examples; at most {MAX_DATASET} are allowed")
    out = []
    for i, item in enumerate(items, start=1):
        path = f"dataset item {i}"
        t = _table(item, path, EXAMPLE_KEYS, required=("text",))
        out.append(
            Example(
                _text(MAX_TEXT_CHARS)(t["text"], _key(path, "text")),
                _get(t, path, "label", _target, None),
                _get(t, path, "tags", _tags, None),
            )
        )
    return tuple(out)


def _spec_from_doc(doc) -> Spec:
    """Type-check every section and build the Spec (not yet the network)."""
    _check_header(doc)
    _table(doc, "", TOP_KEYS)
    spec_fields, config_fields = _read_model(doc)
    config_fields.update(_read_clipping(doc))
    try:
        config = Config(**config_fields)
    except ValueError as e:
        _fail("model", str(e))
    return Spec(
        name=_get(doc, "", "name", _text(MAX_NAME_CHARS), _SPEC0.name),
        description=_get(doc, "", "description", _text(MAX_TEXT_CHARS), ""),
        **_read_input(doc),
        **spec_fields,
        **_read_task(doc),
        config=config,
        params=_read_params(doc),
        **_read_init(doc),
        dataset=_read_dataset(doc),
        training=_read_training(doc),
    )


# ---------------------------------------------------------------------------------------------
# Semantic checks: labels, tags, shapes, and finally the engine's build
# ---------------------------------------------------------------------------------------------


def _check_targets(spec: Spec) -> None:
    """Labels that are not classes and tag counts that do not match, with their paths."""
    if spec.task == "next-token":
        return
    cases = [("task", spec.text, spec.label, spec.tags)] + [
        (f"dataset item {i}", e.text, e.label, e.tags) for i, e in enumerate(spec.dataset, start=1)
    ]
    for path, text, label, tags in cases:
        targets = (
            [(_key(path, "label"), label)]
            if spec.task == "many-to-one"
            else [(f"{_key(path, 'tags')} item {j}", tag) for j, tag in enumerate(tags or (), 1)]
        )
        for where, value in targets:
            if isinstance(value, str) and spec.classes and value not in spec.classes:
                _fail(
                    where,
                    f"{value!r} is not one of the classes "
                    f"{', '.join(spec.classes)} (model.classes)",
                )
        if spec.task == "many-to-many" and tags is not None and spec.encoding != "numeric":
            n = len(tokenize(text, spec.level, spec.lowercase, spec.punctuation))
            if n != len(tags):
                _fail(
                    _key(path, "tags"),
                    f"the text has {n} token{'s' * (n != 1)} but "
                    f"{len(tags)} tag{'s' * (len(tags) != 1)} are given",
                )


def _build(spec: Spec) -> Built:
    try:
        return build(spec)
    except ValueError as e:
        raise SessionFileError(f"cannot build the network: {e}".replace("\n", " ")) from None


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


_DIMS = {
    "W_xh": "H × D",
    "W_hh": "H × H",
    "b_h": "H",
    "W_hy": "O × H",
    "b_y": "O",
    "h0": "H",
    "E": "V × D",
}


def _shape_text(shape: tuple) -> str:
    return " × ".join(map(str, shape)) if len(shape) > 1 else f"{shape[0]} numbers"


def _check_shapes(spec: Spec, given: dict, reference: Params, path: str, exact: bool) -> None:
    """Compare each given array with the shape the network needs, in words."""
    want = {n: a.shape for n, a in reference.as_dict().items()}
    for name in given:
        if name not in want:
            _fail(f"{path}.{name}", 'is only used with an embedding (input.encoding "embedding")')
    needed = tuple(want) if exact else tuple(n for n in want if n not in ("b_h", "b_y", "h0"))
    rule = (
        f"saved weights must include all of {', '.join(needed)}"
        if exact
        else f"explicit weights need {', '.join(needed)} (b_h, b_y and h0 default to zeros)"
    )
    for name in needed:
        if name not in given:
            _fail(path, f"{name} ({_DIMS[name]}) is missing; {rule}")
    for name, value in given.items():
        got = np.shape(value)
        if got != want[name] and not (got == () and not exact):
            _fail(
                f"{path}.{name}",
                f"expected {_shape_text(want[name])} ({_DIMS[name]}), "
                f"found {_shape_text(got) if got else 'one number'}; "
                f"{_sizes_note(spec, reference)}",
            )


def _read_state(doc: dict, spec: Spec, built: Built) -> tuple[Params | None, dict, dict]:
    if doc.get("state") is None:
        return None, {}, {}
    st = _table(doc["state"], "state", STATE_KEYS)
    current = None
    if st.get("current_params") is not None:
        path = "state.current_params"
        t = _table(st["current_params"], path, NAMES)
        arrays = {
            n: (_matrix if n in ("W_xh", "W_hh", "W_hy", "E") else _vector)(
                t[n], f"{path}.{n}", False
            )
            for n in NAMES
            if n in t
        }
        _check_shapes(spec, arrays, built.params, path, exact=True)
        current = Params(**arrays)
    view = {} if st.get("view") is None else _read_view(st["view"], built)
    history = {} if st.get("history") is None else _read_history(st["history"])
    return current, view, history


def _read_view(v, built: Built) -> dict:
    t = _table(v, "state.view", VIEW_KEYS)
    T, H = built.sample.length, built.params.hidden_size
    checks = {
        "cursor": _whole(0, T - 1),
        "phase": _choice(PHASES),
        "selected_unit": _whole(0, H - 1, none=True),
        "notation": _choice(NOTATIONS),
    }
    return {k: checks[k](t[k], f"state.view.{k}") for k in sorted(t)}


def _read_history(v) -> dict:
    if not isinstance(v, dict):
        _fail("state.history", f"expected an object of named curves, found {_kind(v)}")
    _table(v, "state.history", tuple(v))  # duplicates
    out, length = {}, None
    for k in sorted(v):
        path, value = _key("state.history", k), v[k]
        if isinstance(value, list):
            if len(value) > MAX_HISTORY:
                _fail(path, f"has {len(value)} entries; at most {MAX_HISTORY} are kept")
            if length is not None and len(value) != length[1]:
                _fail(path, f"has {len(value)} entries but {length[0]} has {length[1]}")
            length = length or (k, len(value))
            out[k] = [
                x if x is None or isinstance(x, bool) else _number(x, f"{path} item {i}")
                for i, x in enumerate(value, start=1)
            ]
        elif value is None or isinstance(value, bool | str):
            out[k] = _text(MAX_TEXT_CHARS)(value, path) if isinstance(value, str) else value
        else:
            out[k] = _number(value, path)
    return out


def _session_from_doc(doc) -> SessionFile:
    spec = _spec_from_doc(doc)
    _check_targets(spec)
    if spec.params is not None:
        # the shapes the network needs come from the same spec with seeded weights
        _check_shapes(
            spec, spec.params, _build(spec.with_(params=None)).params, "params", exact=False
        )
    built = _build(spec)
    current, view, history = _read_state(doc, spec, built)
    return SessionFile(spec, current, view, history)


# ---------------------------------------------------------------------------------------------
# Public reading API
# ---------------------------------------------------------------------------------------------


def spec_from_dict(d: dict) -> Spec:
    """A whole session document (as parsed JSON) -> validated Spec that builds."""
    return _session_from_doc(d).spec


def session_from_dict(d: dict) -> SessionFile:
    return _session_from_doc(d)


def loads_session(text: str | bytes) -> SessionFile:
    """Parse and validate a session from its text (or UTF-8 bytes)."""
    if isinstance(text, bytes | bytearray):
        if len(text) > MAX_FILE_BYTES:
            raise SessionFileError(_too_big(len(text)))
        text = _decode(bytes(text))
    elif not isinstance(text, str):
        raise SessionFileError(f"expected the text of a session file, not {type(text).__name__}")
    return _session_from_doc(_parse(text))


def load_session(path: str | os.PathLike) -> SessionFile:
    """Read, validate and return a session file; every problem is a SessionFileError."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise SessionFileError(_too_big(size))
            data = f.read(MAX_FILE_BYTES + 1)  # a pipe or device may not report its size
    except OSError as e:
        raise SessionFileError(f"cannot read {os.fspath(path)!r}: {e.strerror or e}") from None
    return loads_session(data)


# ---------------------------------------------------------------------------------------------
# Writing: Spec -> plain JSON values -> deterministic text
# ---------------------------------------------------------------------------------------------


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
    raise SessionFileError(f"{path}: cannot save a {type(v).__name__}")


def _weights(arrays: dict, path: str) -> dict:
    unknown = [n for n in arrays if n not in NAMES]
    if unknown:
        raise SessionFileError(
            f"{_key(path, unknown[0])}: unknown parameter; known: {', '.join(NAMES)}"
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
    d["training"] = {
        k: _plain(spec.training[k], _key("training", k)) for k in sorted(spec.training)
    }
    d["dataset"] = [_example(e, i) for i, e in enumerate(spec.dataset, start=1)]
    return d


def _example(e: Example, i: int) -> dict:
    out = {"text": e.text}
    if e.label is not None:
        out["label"] = _plain(e.label, f"dataset item {i}, label")
    if e.tags is not None:
        out["tags"] = _plain(e.tags, f"dataset item {i}, tags")
    return out


def session_to_dict(sf: SessionFile | Spec) -> dict:
    if isinstance(sf, Spec):
        sf = SessionFile(sf)
    d = spec_to_dict(sf.spec)
    state = {}
    if sf.current_params is not None:
        state["current_params"] = _weights(sf.current_params.as_dict(), "state.current_params")
    if sf.view:
        state["view"] = {k: _plain(sf.view[k], _key("state.view", k)) for k in sorted(sf.view)}
    if sf.history:
        state["history"] = {k: _history_value(sf.history[k]) for k in sorted(sf.history)}
    if state:
        d["state"] = state
    return d


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


# ---------------------------------------------------------------------------------------------
# Deterministic, readable JSON (also used for trace files)
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
