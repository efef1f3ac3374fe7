"""The names a lesson task can test: plain, indexed and UI facts, with their kinds (Qt-free).

``rnnviz.lessons.facts`` reads their values from the State; this module only
knows the names, what kind of value each has (int, number, str, list) and,
for text facts, which values are possible, so the loader can refuse
``{"phase": "backwrd"}`` with a "did you mean".
"""

from __future__ import annotations

import re

from ..engine.clipping import MODES
from ..engine.functions import ACTIVATIONS, HEADS
from ..engine.losses import LOSSES
from ..session import TRAINING_STATES
from ..state import NOTATIONS, PHASES
from ._schema import did_you_mean

# The `name` column of rnnviz.ui.main_window.PANELS (a UI test checks they agree).
PANEL_NAMES = (
    "diagram",
    "input",
    "math",
    "notes",
    "hidden",
    "output",
    "timeline",
    "gradients",
    "lab",
    "training",
    "generate",
)
LEVELS = ("word", "char")
ENCODINGS = ("onehot", "embedding", "numeric")
TASKS = ("many-to-one", "many-to-many", "next-token")


def preset_names() -> tuple[str, ...]:
    from .. import presets  # late: presets build every example Spec on import

    return tuple(presets.names())


# name -> (kind, one line for the docs). kind: int | number | str | list | bool
FACTS: dict[str, tuple[str, str]] = {
    "cursor": ("int", "the cursor, 0-based (t - 1)"),
    "t": ("int", "the timestep the UI shows, 1-based"),
    "length": ("int", "T, the number of timesteps"),
    "phase": ("str", "forward or backward"),
    "selected_unit": ("int", "the highlighted hidden unit, or null"),
    "notation": ("str", "xh, uvw or ax"),
    "text": ("str", "the input text"),
    "level": ("str", "word or char"),
    "encoding": ("str", "onehot, embedding or numeric"),
    "task": ("str", "many-to-one, many-to-many or next-token"),
    "activation": ("str", "the hidden activation f"),
    "head": ("str", "the output head g"),
    "loss": ("str", "the loss function (ce, bce, mse)"),
    "truncation": ("int", "the BPTT truncation k, or null for full BPTT"),
    "hidden_size": ("int", "H"),
    "embedding_size": ("int", "the embedding width D, or null without an embedding"),
    "vocab_size": ("int", "V, or null for numeric input"),
    "token_count": ("int", "the number of input tokens shown"),
    "unk_count": ("int", "how many input tokens became <unk>"),
    "preset": ("str", "the key of the current preset, or null"),
    "total_loss": ("number", "the total loss L, or null when no step is scored"),
    "trained_steps": ("int", "training updates done so far"),
    "training": ("str", "the training worker: idle, running, paused or stopped"),
    "sigma_max": ("number", "σ_max of the current W_hh"),
    "clip_mode": ("str", "the Config's clipping mode: off, value or norm"),
    "clip_threshold": ("number", "the Config's clipping threshold"),
    "grad_norm": ("number", "the global norm of the raw gradients"),
    "dh_first": ("number", "‖dL/dh_1‖"),
    "dh_last": ("number", "‖dL/dh_T‖"),
    "dh_ratio": ("number", "dh_first / dh_last, or null when dh_last is 0"),
    "prediction": ("str", "the output name predicted at the last scored step"),
    "generated": ("int", "generated tokens shown (0 without a generation)"),
}
UI_FACTS: dict[str, tuple[str, str]] = {
    "lab_threshold": ("number", "the clipping lab's threshold spin box"),
    "lab_steps_run": ("int", "steps the clipping lab has run (0 before)"),
    "lab_diverged": ("list", 'names of lab runs that blew up, e.g. ["no clipping"]'),
    "visible": ("list", "dock names currently visible and in front"),
}
# indexed name -> (regex, kind, one line for the docs)
_T = r"\[(-?\d{1,6})\]"
INDEXED: dict[str, tuple[re.Pattern, str, str]] = {
    "h": (re.compile(rf"h{_T}\[(\d{{1,6}})\]"), "number", "h[t][unit]: hidden state"),
    "z": (re.compile(rf"z{_T}\[(\d{{1,6}})\]"), "number", "z[t][unit]: pre-activation"),
    "y": (re.compile(rf"y{_T}\[(\d{{1,6}})\]"), "number", "y[t][k]: output k"),
    "loss": (re.compile(rf"loss{_T}"), "number", "loss[t]: the loss at step t"),
    "dh": (re.compile(rf"dh{_T}"), "number", "dh[t]: ‖dL/dh_t‖"),
}


def domain(name: str) -> tuple | None:
    """The values a string fact can take (a literal outside them is a typo), or None."""
    return {
        "phase": PHASES,
        "notation": NOTATIONS,
        "level": LEVELS,
        "encoding": ENCODINGS,
        "task": TASKS,
        "activation": tuple(ACTIVATIONS),
        "head": tuple(HEADS),
        "loss": tuple(LOSSES),
        "training": TRAINING_STATES,
        "clip_mode": tuple(MODES),
        "preset": preset_names(),
        "visible": PANEL_NAMES,
        "lab_diverged": ("no clipping", "value clipping", "norm clipping"),
    }.get(name)


def parse_indexed(name: str) -> tuple[str, tuple[int, ...]] | None:
    """('h', (t, unit)) for 'h[1][0]', or None when ``name`` is not an indexed fact."""
    head = name.split("[", 1)[0]
    entry = INDEXED.get(head)
    m = entry[0].fullmatch(name) if entry else None
    return (head, tuple(int(g) for g in m.groups())) if m else None


def known(name: str) -> bool:
    return isinstance(name, str) and (
        name in FACTS or name in UI_FACTS or bool(parse_indexed(name))
    )


def kind_of(name: str) -> str:
    if name in FACTS:
        return FACTS[name][0]
    if name in UI_FACTS:
        return UI_FACTS[name][0]
    return INDEXED[name.split("[", 1)[0]][1]


def suggest(name: str) -> str:
    """Why ``name`` is not a fact, with a 'did you mean' when one is close."""
    head = str(name).split("[", 1)[0]
    if head in INDEXED:
        return f'"{name}" is not a valid indexed fact: write {INDEXED[head][2].split(":")[0]}'
    return f'unknown fact "{name}"' + did_you_mean(str(name), [*FACTS, *UI_FACTS, "h[1][0]"])
