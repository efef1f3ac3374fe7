"""A lesson step's ``setup``: what entering the step does to the app, checked on load (Qt-free).

Keys, in the order ``rnnviz.lessons.runner`` applies them: preset | session,
text, input, model, training, sigma_max, generate (reserved), phase, cursor,
unit, notation, show, highlight. Values that only the engine can judge (a
hidden size of 4 with the tutorial's 2x2 weights, a label that is not a
class) are checked when the set-up runs, with the same file-and-step message.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from ..engine.train import TrainSettings
from ..session import CONFIG_FIELDS
from ..state import NOTATIONS, PHASES
from . import catalog as F
from ._schema import Checker, key_path

SETUP_KEYS = (  # in the order they are applied
    "preset", "session", "text", "input", "model", "training", "sigma_max", "generate",
    "phase", "cursor", "unit", "notation", "show", "highlight",
)  # fmt: skip
INPUT_KEYS = (
    "level", "lowercase", "punctuation", "vocab", "use_unk", "encoding", "embedding_size",
    "output_size", "classes", "task", "label", "tags",
)  # fmt: skip
MODEL_KEYS = ("hidden_size", "seed", "init", "sigma_max", *CONFIG_FIELDS)
TRAINING_KEYS = tuple(f.name for f in dataclasses.fields(TrainSettings))
_INPUT_CHOICES = {
    "level": F.LEVELS,
    "punctuation": ("drop", "keep"),
    "encoding": F.ENCODINGS,
    "task": F.TASKS,
}


@dataclass(frozen=True)
class Setup:
    """What entering the step does; ``given`` lists the keys the file wrote, in apply order."""

    preset: str | None = None
    session: str | None = None
    text: str | None = None
    input: dict = field(default_factory=dict)
    model: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    sigma_max: float | None = None
    generate: bool = False
    phase: str | None = None
    cursor: int | str | None = None
    unit: int | None = None
    notation: str | None = None
    show: str | None = None
    highlight: str | None = None
    given: tuple[str, ...] = ()

    def has(self, key: str) -> bool:
        return key in self.given


def _keys(c: Checker, value, path: str, allowed: tuple, what: str) -> dict:
    d = c.obj(value, path, (), allowed)
    if not d:
        c.fail(path, f"is empty: give at least one {what} or leave it out")
    return dict(d)


def check_setup(c: Checker, value, path: str, base_dir: str | None) -> Setup:
    d = c.obj(value, path, (), SETUP_KEYS)
    p = lambda k: key_path(path, k)  # noqa: E731
    out: dict = {"given": tuple(k for k in SETUP_KEYS if k in d)}
    if "preset" in d and "session" in d:
        c.fail(path, 'give "preset" or "session", not both')
    if "preset" in d:
        out["preset"] = c.choice(d["preset"], p("preset"), F.preset_names(), "preset")
    if "session" in d:
        out["session"] = c.text(d["session"], p("session"), max_len=500)
        if base_dir is not None and not (Path(base_dir) / out["session"]).is_file():
            c.fail(p("session"), f"there is no file {out['session']!r} next to the lesson")
    if "text" in d:
        out["text"] = c.text(d["text"], p("text"), max_len=5000)
    if "input" in d:
        out["input"] = _keys(c, d["input"], p("input"), INPUT_KEYS, "input setting")
        for k, options in _INPUT_CHOICES.items():
            if k in out["input"]:
                c.choice(out["input"][k], key_path(p("input"), k), options)
    if "model" in d:
        out["model"] = _keys(c, d["model"], p("model"), MODEL_KEYS, "model setting")
        if "hidden_size" in out["model"]:
            c.integer(out["model"]["hidden_size"], key_path(p("model"), "hidden_size"), 1, 512)
    if "training" in d:
        out["training"] = _keys(c, d["training"], p("training"), TRAINING_KEYS, "training setting")
    if "sigma_max" in d:
        out["sigma_max"] = c.number(d["sigma_max"], p("sigma_max"), positive=True)
    if "generate" in d:
        out["generate"] = c.boolean(d["generate"], p("generate"))
    if "phase" in d:
        out["phase"] = c.choice(d["phase"], p("phase"), PHASES, "phase")
    if "cursor" in d:
        cur = d["cursor"]
        if cur != "last":
            if isinstance(cur, str):
                c.fail(p("cursor"), f'expected a whole number or "last", not {cur!r}')
            cur = c.integer(cur, p("cursor"), -10_000, 10_000)
        out["cursor"] = cur
    if "unit" in d and d["unit"] is not None:
        out["unit"] = c.integer(d["unit"], p("unit"), 0, 4096)
    if "notation" in d:
        out["notation"] = c.choice(d["notation"], p("notation"), NOTATIONS, "notation")
    for k in ("show", "highlight"):
        if k in d:
            out[k] = c.choice(d[k], p(k), F.PANEL_NAMES, "panel")
    return Setup(**out)
