"""The sections of a session document and how each becomes part of a Spec.

A teacher can write a session by hand, so every key but ``input.text`` takes
the engine's default (``Spec()``, ``Config()``) and every section is checked
on its own, in a fixed order, with limits that match the
engine's (``MAX_HIDDEN``, ``MAX_INPUT``, ``MAX_TOKENS``). Checks that relate
sections to each other (labels against classes, weight shapes against sizes)
come after, in ``session_network``.
"""

from __future__ import annotations

from ..engine.clipping import MODES as CLIP_MODES
from ..engine.encoding import ENCODINGS
from ..engine.functions import ACTIVATIONS, HEADS
from ..engine.init import SCHEMES
from ..engine.losses import LOSSES, REDUCTIONS
from ..engine.params import NAMES
from ..engine.spec import MAX_HIDDEN, MAX_INPUT, MAX_TOKENS, TASKS, Example, Spec
from ..engine.tokenizer import LEVELS, PUNCTUATION_MODES
from ..engine.trace import Config
from . import session_checks as check
from .session_checks import SessionFileError, describe, fail, key_path

FORMAT = "rnnviz-session"
VERSION = 1
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
# "docks": which panels are open; "lock": a lesson lock (rnnviz.lesson_lock)
VIEW_KEYS = ("cursor", "phase", "selected_unit", "notation", "docks", "lock")
MATRICES = ("W_xh", "W_hh", "W_hy", "E")  # the other parameters are vectors
_SCALAR_OK = ("W_hh", "b_h", "b_y", "h0")  # "W_hh": 0.5 means 0.5 * I, "b_h": 0.1 fills

long_text = check.text(MAX_TEXT_CHARS)  # the input text, a description, an example
short_text = check.text(MAX_NAME_CHARS)  # a name, a training setting
_name = check.text(MAX_NAME_CHARS, nonempty=True)  # a class, a label


def target(v, path: str):
    """A label or tag: a class name, a number (or class index), a list of numbers, or null."""
    if v is None or isinstance(v, str):
        return _name(v, path) if v is not None else None
    if isinstance(v, list):
        if not 1 <= len(v) <= MAX_INPUT:
            fail(path, f"a target vector needs 1 to {MAX_INPUT} numbers, found {len(v)}")
        return tuple(check.number(x, f"{path} item {i}") for i, x in enumerate(v, start=1))
    if check.looks_numeric(v):
        return check.number(v, path)
    fail(path, f"expected a class name, a number or a list of numbers, found {describe(v)}")


def tags(v, path: str):
    if v is None:
        return None
    if not isinstance(v, list):
        fail(
            path, f"expected a list with one tag per token (null: not scored), found {describe(v)}"
        )
    if len(v) > MAX_TOKENS + 1:
        fail(path, f"has {len(v)} tags; a text has at most {MAX_TOKENS} tokens")
    return tuple(target(x, f"{path} item {i}") for i, x in enumerate(v, start=1))


def weights(v, path: str, scalar_ok: tuple = ()) -> dict:
    """Named weight arrays: matrices as rows, vectors as lists (or one number where allowed)."""
    t = check.table(v, path, NAMES)
    return {
        name: (check.matrix if name in MATRICES else check.vector)(
            t[name], f"{path}.{name}", name in scalar_ok
        )
        for name in NAMES
        if name in t
    }


# ---------------------------------------------------------------------------------------------
# Sections -> Spec
# ---------------------------------------------------------------------------------------------


def _check_header(doc) -> None:
    if not isinstance(doc, dict):
        fail(
            "",
            f'expected an object {{...}} starting with "format": "{FORMAT}", found {describe(doc)}',
        )
    check.no_duplicates(doc, "")
    if "format" not in doc:
        fail(
            "format",
            f'missing; a session file starts with {{"format": "{FORMAT}", '
            f'"version": {VERSION}, ...}}',
        )
    if doc["format"] != FORMAT:
        fail(
            "format",
            f"expected {FORMAT!r}, found {describe(doc['format'])}: this is not an "
            "rnnviz session file",
        )
    version = doc.get("version")
    if "version" not in doc:
        fail("version", f'missing; add "version": {VERSION} after the format')
    if not isinstance(version, int) or isinstance(version, bool):
        fail("version", f"expected the whole number {VERSION}, found {describe(version)}")
    if version > VERSION:
        fail(
            "version",
            f"this file has format version {version}, written by a newer rnnviz; "
            f"this rnnviz reads version {VERSION}: please update rnnviz",
        )
    if version != VERSION:
        fail("version", f"unknown format version {version}; this rnnviz reads version {VERSION}")


def _section(doc: dict, name: str, known: tuple):
    """``get`` for an optional section: an absent section is an empty one."""
    return check.getter(check.table(doc.get(name, {}), name, known), name)


def _read_input(doc: dict) -> dict:
    if "input" not in doc:
        fail("input", 'missing; at least {"text": "..."} is needed')
    get = check.getter(check.table(doc["input"], "input", INPUT_KEYS, required=("text",)), "input")
    return dict(
        text=get("text", long_text),
        level=get("level", check.choice(LEVELS), _SPEC0.level),
        lowercase=get("lowercase", check.flag, _SPEC0.lowercase),
        punctuation=get("punctuation", check.choice(PUNCTUATION_MODES), _SPEC0.punctuation),
        vocab=get("vocab", check.names(MAX_INPUT, MAX_NAME_CHARS, none=True, min_items=1)),
        use_unk=get("use_unk", check.flag, _SPEC0.use_unk),
        encoding=get("encoding", check.choice(ENCODINGS), _SPEC0.encoding),
        embedding_size=get("embedding_size", check.whole(1, MAX_INPUT), _SPEC0.embedding_size),
    )


def _read_model(doc: dict) -> tuple[dict, dict]:
    get = _section(doc, "model", MODEL_KEYS)
    spec = dict(
        hidden_size=get("hidden_size", check.whole(1, MAX_HIDDEN), _SPEC0.hidden_size),
        output_size=get("output_size", check.whole(1, MAX_INPUT, none=True)),
        classes=get("classes", check.names(MAX_INPUT, MAX_NAME_CHARS), ()),
    )
    config = dict(
        activation=get("activation", check.choice(ACTIVATIONS), _CONFIG0.activation),
        head=get("head", check.choice(HEADS), _CONFIG0.head),
        loss=get("loss", check.choice(LOSSES), _CONFIG0.loss),
        reduction=get("reduction", check.choice(REDUCTIONS), _CONFIG0.reduction),
        truncation=get("truncation", check.whole(1, MAX_TOKENS, none=True)),
    )
    return spec, config


def _read_task(doc: dict) -> dict:
    get = _section(doc, "task", TASK_KEYS)
    return dict(
        task=get("kind", check.choice(TASKS), _SPEC0.task),
        label=get("label", target),
        tags=get("tags", tags),
    )


def _read_init(doc: dict) -> dict:
    get = _section(doc, "init", INIT_KEYS)
    return dict(
        seed=get("seed", check.whole(0, MAX_SEED), _SPEC0.seed),
        init=get("scheme", check.choice(SCHEMES), _SPEC0.init),
        sigma_max=get("sigma_max", check.real(lo=0, none=True)),
    )


def _read_clipping(doc: dict) -> dict:
    get = _section(doc, "clipping", CLIPPING_KEYS)
    return dict(
        clip_mode=get("mode", check.choice(CLIP_MODES), _CONFIG0.clip_mode),
        clip_threshold=float(get("threshold", check.real(positive=True), _CONFIG0.clip_threshold)),
    )


def _read_training(doc: dict) -> dict:
    t = check.open_table(doc.get("training", {}), "training", "an object {...} of settings")
    out = {}
    for k, v in t.items():
        path = key_path("training", k)
        if isinstance(v, str):
            v = short_text(v, path)
        elif isinstance(v, list | dict):
            fail(path, f"expected a number, text, true/false or null, found {describe(v)}")
        elif v is not None and not isinstance(v, bool):
            v = check.number(v, path)  # refuses NaN and Infinity
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
        fail(
            "dataset",
            f'expected a list of examples [{{"text": ...}}, ...], found {describe(items)}',
        )
    if len(items) > MAX_DATASET:
        fail("dataset", f"has {len(items)} examples; at most {MAX_DATASET} are allowed")
    out = []
    for i, item in enumerate(items, start=1):
        path = f"dataset item {i}"
        t = check.table(item, path, EXAMPLE_KEYS, required=("text",))
        get = check.getter(t, path)
        out.append(Example(get("text", long_text), get("label", target), get("tags", tags)))
    return tuple(out)


def spec_from_doc(doc) -> Spec:
    """Type-check every section and make the Spec (not yet the network)."""
    _check_header(doc)
    check.table(doc, "", TOP_KEYS)
    spec_fields, config_fields = _read_model(doc)
    config_fields.update(_read_clipping(doc))
    try:
        config = Config(**config_fields)
    except ValueError as e:
        fail("model", str(e))
    get = check.getter(doc, "")
    # keyword arguments are evaluated in order, so the sections are checked in this order
    return Spec(
        name=get("name", short_text, _SPEC0.name),
        description=get("description", long_text, ""),
        **_read_input(doc),
        **spec_fields,
        **_read_task(doc),
        config=config,
        params=None if doc.get("params") is None else weights(doc["params"], "params", _SCALAR_OK),
        **_read_init(doc),
        dataset=_read_dataset(doc),
        training=_read_training(doc),
    )
