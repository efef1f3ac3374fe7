"""The only writer of app state: intents in, one new analysis out.

Panels call intents (``set_text``, ``set_cursor``, ``set_model`` ...). Every
intent that changes the experiment builds a new ``Spec``, runs the engine
once, and assigns spec + analysis + clamped cursor together. If the engine
refuses the change (empty text, a word the vocabulary cannot encode, absurd
sizes), the previous valid state is kept and ``state.error`` says what and
where, so the app never shows half-updated or broken numbers.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .engine.init import scale_to_sigma
from .engine.params import Params
from .engine.spec import Spec, build, with_params
from .engine.tokenizer import tokenize
from .engine.trace import Config, Sample, run
from .engine.train import TrainSettings
from .state import NOTATIONS, PHASES, Analysis, State

TRAINING_STATES = ("idle", "running", "paused", "stopped")

CONFIG_FIELDS = (
    "activation",
    "head",
    "loss",
    "reduction",
    "truncation",
    "clip_mode",
    "clip_threshold",
)


def analyse(spec: Spec, params: Params | None = None, generation=None) -> Analysis:
    """Build and run ``spec`` (with trained ``params`` if given); ValueError if impossible.

    With a ``generation`` the trace follows the generated sequence instead of the text.
    """
    built = build(spec)
    if params is not None:
        built = with_params(built, params)
    if generation is not None:
        g = generation.sample
        xs = g.xs if built.params.E is None or g.ids is None else built.params.E[g.ids]
        sample = Sample(xs, g.targets, g.scored, g.tokens, g.ids)
        fed = tuple(generation.seed_tokens) + tuple(generation.tokens)
        built = replace(
            built, sample=sample, tokens=g.tokens, target_tokens=fed[1 : 1 + len(g.tokens)]
        )
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
        return self._apply(spec, dirty=dirty, path=path, cursor=cursor, notice=None, fresh=True)

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
        self,
        spec: Spec,
        *,
        cursor: int | None = None,
        notice: str | None = None,
        fresh: bool = False,
        **extra,
    ) -> bool:
        """Run ``spec``; keep trained weights unless ``fresh`` or the shapes changed."""
        old = self.state.spec
        if spec == old and not extra and cursor is None and not fresh:
            self.state.update(error=None)  # back to a valid value: drop a stale message
            return True  # nothing changed: no new analysis, no unsaved-changes mark
        params = None if fresh else self.state.current_params
        if fresh:
            extra = {"history": (), "training": "idle", **extra}
        elif params is not None and _shape_change(old, spec):
            params = None  # trained weights no longer fit: back to the spec's own
            extra = {"history": (), **extra}
            notice = notice or "The network changed shape, so the trained weights were reset."
        try:
            analysis = analyse(spec, params)
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
            current_params=params,
            generation=None,
            error=None,
            notice=notice,
        )
        return True

    def _reanalyse(self, params: Params | None, generation=None, **extra) -> bool:
        """New weights or a generated sequence for the same spec: one new analysis."""
        try:
            analysis = analyse(self.state.spec, params, generation)
        except ValueError as e:
            self.state.update(error=str(e))
            return False
        T = analysis.length
        self.state.update(
            **extra,
            current_params=params,
            generation=generation,
            analysis=analysis,
            cursor=min(self.state.cursor, T - 1),
            error=None,
        )
        return True

    # -- training -------------------------------------------------------------
    def set_training(self, **settings) -> bool:
        """Change training settings (optimizer, learning_rate, clip_mode, steps ...)."""
        merged = {**self.state.spec.training, **settings}
        try:
            TrainSettings.from_dict(merged)
        except ValueError as e:
            self.state.update(error=str(e))
            return False
        return self._apply(self.state.spec.with_(training=merged))

    def train_settings(self) -> TrainSettings:
        return TrainSettings.from_dict(self.state.spec.training)

    def apply_snapshots(self, snapshots) -> bool:
        """Training progress from the worker (coalesced): record it and show the new weights."""
        snapshots = tuple(snapshots)
        if not snapshots:
            return True
        return self._reanalyse(
            snapshots[-1].params, history=self.state.history + snapshots, dirty=True
        )

    def reset_weights(self) -> bool:
        """Back to the same initial weights; the training history is cleared."""
        return self._reanalyse(None, history=(), training="idle", dirty=True)

    def restore_training(
        self, params: Params | None, history=(), *, dirty: bool = True, notice=None
    ) -> bool:
        """Weights and training history from a file or an import (no live Snapshot)."""
        return self._reanalyse(
            params, history=tuple(history), training="idle", dirty=dirty, notice=notice
        )

    def set_training_status(self, status: str) -> None:
        if status not in TRAINING_STATES:
            raise ValueError(f"training status must be one of {TRAINING_STATES}")
        self.state.update(training=status)

    def scale_recurrent(self, sigma: float) -> bool:
        """Rescale W_hh so its largest singular value is ``sigma`` (vanishing <-> exploding)."""
        if not (np.isfinite(sigma) and sigma > 0):
            # 0 would make W_hh the zero matrix, which no later rescaling can bring back
            self.state.update(error=f"σ_max must be a number > 0, not {sigma}")
            return False
        params = self.state.current_params
        if params is not None:
            W_hh = scale_to_sigma(params.W_hh, sigma)
            return self._reanalyse(params.replace(W_hh=W_hh), dirty=True)
        spec = self.state.spec
        if spec.params is None:
            return self._apply(spec.with_(sigma_max=float(sigma)))
        W_hh = scale_to_sigma(self.state.analysis.built.params.W_hh, sigma)
        return self._apply(spec.with_(params={**spec.params, "W_hh": W_hh.tolist()}))

    # -- generation (one-to-many) ---------------------------------------------
    def show_generation(self, generation) -> bool:
        """Let every panel follow a generated sequence (rnnviz.engine.generate.Generation)."""
        return self._reanalyse(self.state.current_params, generation)

    def clear_generation(self) -> bool:
        return self._reanalyse(self.state.current_params, None)

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
