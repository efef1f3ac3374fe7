"""The only writer of app state: intents in, one new analysis out.

Panels call intents (``set_text``, ``set_cursor``, ``set_model`` ...). Every
intent that changes the experiment builds a new ``Spec``, runs the engine
once, and assigns spec + analysis + clamped cursor together. If the engine
refuses the change (empty text, a word the vocabulary cannot encode, absurd
sizes), the previous valid state is kept and ``state.error`` says what and
where, so the app never shows half-updated or broken numbers.
"""

from __future__ import annotations

from .engine.spec import Spec, build
from .engine.tokenizer import tokenize
from .engine.trace import Config, run
from .state import NOTATIONS, PHASES, Analysis, State

CONFIG_FIELDS = (
    "activation",
    "head",
    "loss",
    "reduction",
    "truncation",
    "clip_mode",
    "clip_threshold",
)


def analyse(spec: Spec) -> Analysis:
    """Build and run ``spec``; raises ValueError with a user-facing message."""
    built = build(spec)
    return Analysis(built, run(built.params, built.sample, built.config))


class Session:
    def __init__(self, spec: Spec | None = None, state: State | None = None) -> None:
        self.state = state or State()
        if spec is None:
            from . import presets  # the default preset, so a first run shows something alive

            spec = presets.get(presets.names()[0])
        analysis = analyse(spec)  # the initial spec must be valid: fail loudly here
        self.state.update(spec=spec, analysis=analysis, cursor=0, error=None)

    # -- the experiment -------------------------------------------------------
    def set_spec(
        self, spec: Spec, *, path: str | None = None, dirty: bool = False, cursor: int = 0
    ) -> bool:
        """Replace the whole experiment (a preset or a loaded file)."""
        return self._apply(spec, dirty=dirty, path=path, cursor=cursor, notice=None)

    def load_preset(self, name: str) -> bool:
        from . import presets

        return self.set_spec(presets.get(name), path=None, dirty=False)

    def set_text(self, text: str) -> bool:
        spec = self.state.spec
        changes = {"text": text}
        notice = None
        if spec.task == "many-to-many" and spec.tags is not None and spec.encoding != "numeric":
            n = len(tokenize(text, spec.level, spec.lowercase, spec.punctuation))
            if n != len(spec.tags):
                changes["tags"] = None
                notice = (
                    f"The tags were for {len(spec.tags)} tokens and the text now has {n}: "
                    "no step is scored until you give new tags."
                )
        return self._apply(spec.with_(**changes), notice=notice)

    def set_input(self, **changes) -> bool:
        """level, lowercase, punctuation, encoding, embedding_size, label, tags, classes ..."""
        return self._apply(self.state.spec.with_(**changes))

    def set_model(self, **changes) -> bool:
        """hidden_size, seed, init, sigma_max and any Config field (activation, head, loss...)."""
        spec = self.state.spec
        config_changes = {k: changes.pop(k) for k in list(changes) if k in CONFIG_FIELDS}
        try:
            config = Config(**{**spec.config.__dict__, **config_changes})
        except ValueError as e:
            self.state.update(error=str(e))
            return False
        return self._apply(spec.with_(config=config, **changes))

    def _apply(
        self, spec: Spec, *, cursor: int | None = None, notice: str | None = None, **extra
    ) -> bool:
        old = self.state.spec
        if spec == old and not extra and cursor is None:
            return True  # nothing changed: no new analysis, no unsaved-changes mark
        try:
            analysis = analyse(spec)
        except ValueError as e:
            if spec.params is not None and _shape_change(old, spec):
                # the tutorial's matrices only fit its sizes: fall back to seeded weights
                return self._apply(
                    spec.with_(params=None),
                    cursor=cursor,
                    **extra,
                    notice=(
                        f"The preset's hand-written weights do not fit these sizes, so the network "
                        f"now starts from random weights (seed {spec.seed})."
                    ),
                )
            self.state.update(error=str(e))
            return False
        T = analysis.length
        c = self.state.cursor if cursor is None else cursor
        unit = self.state.selected_unit
        if unit is not None and unit >= analysis.built.params.hidden_size:
            unit = None
        self.state.update(
            **{"dirty": True, **extra},
            spec=spec,
            analysis=analysis,
            cursor=min(max(c, 0), T - 1),
            selected_unit=unit,
            error=None,
            notice=notice,
        )
        return True

    # -- the shared cursor and view ------------------------------------------
    def set_cursor(self, t: int) -> None:
        T = self.state.analysis.length
        self.state.update(cursor=min(max(int(t), 0), T - 1))

    def step(self, delta: int) -> None:
        self.set_cursor(self.state.cursor + delta)

    def first(self) -> None:
        self.set_cursor(0)

    def last(self) -> None:
        self.set_cursor(self.state.analysis.length - 1)

    def set_phase(self, phase: str) -> None:
        if phase not in PHASES:
            raise ValueError(f"phase must be one of {PHASES}")
        self.state.update(phase=phase)

    def set_selected_unit(self, unit: int | None) -> None:
        H = self.state.analysis.built.params.hidden_size
        self.state.update(selected_unit=None if unit is None or not 0 <= unit < H else int(unit))

    def set_notation(self, notation: str) -> None:
        if notation not in NOTATIONS:
            raise ValueError(f"notation must be one of {NOTATIONS}")
        self.state.update(notation=notation)

    def set_playing(self, playing: bool) -> None:
        self.state.update(playing=bool(playing))

    def clear_error(self) -> None:
        self.state.update(error=None)

    def mark_saved(self, path: str) -> None:
        self.state.update(path=path, dirty=False)


def _shape_change(old: Spec, new: Spec) -> bool:
    keys = (
        "hidden_size",
        "embedding_size",
        "encoding",
        "level",
        "vocab",
        "classes",
        "output_size",
        "task",
        "lowercase",
        "punctuation",
    )
    return any(getattr(old, k) != getattr(new, k) for k in keys)
