"""Training: a Qt-free generator of immutable snapshots, one per update.

Each step k = 1, 2, ... does

    batch   B_k = all samples ("full") or one sample ("single", drawn from a
            shuffled order that is reshuffled after every pass over the data)
    loss    L_k = (1/|B_k|) sum_{i in B_k} L_i(theta_{k-1})
    grad    g_k = (1/|B_k|) sum_{i in B_k} dL_i/dtheta       (BPTT, ``trace.run``)
    clip    g~_k = clip(g_k)      (the settings' mode; norm clipping keeps the direction)
    update  theta_k = optimizer(theta_{k-1}, g~_k)

and yields a ``Snapshot`` with theta_k, L_k, the gradient norms and the
accuracy of theta_k on the whole training set. The UI runs the generator in a
worker thread; pausing is simply not asking for the next snapshot, and
"reset to the same weights" is starting again from the same ``params``.

Blow-ups are part of the lesson, never a crash: when the loss, the gradient
or the updated weights stop being finite numbers, the last snapshot keeps the
last finite weights and says in plain words what happened and at which step.
``lockstep`` runs several settings side by side from the same weights (the
clipping lab's "none / value / norm").
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

import numpy as np

from .clipping import MODES, clip, global_norm
from .encoding import embed
from .forward import forward
from .losses import step_losses
from .optimizers import OPTIMIZERS, check_learning_rate, make_optimizer
from .params import Params
from .trace import Config, Sample, run

BATCHES = ("full", "single")
MAX_STEPS = 1_000_000
_QUIET = {"over": "ignore", "invalid": "ignore", "divide": "ignore", "under": "ignore"}


def _whole(value, lo: int, hi: int) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and lo <= value <= hi


@dataclass(frozen=True)
class TrainSettings:
    """How to train (the weights and the network's ``Config`` live elsewhere)."""

    optimizer: str = "sgd"
    learning_rate: float = 0.1
    clip_mode: str = "off"  # overrides the Config's clipping while training
    clip_threshold: float = 1.0
    steps: int = 200
    batch: str = "full"  # "full": mean over all samples; "single": one per step
    train_h0: bool = False  # h0 is usually a fixed zero state
    seed: int = 0  # only the "single" order is random

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}"
            )
        object.__setattr__(self, "learning_rate", check_learning_rate(self.learning_rate))
        if self.clip_mode not in MODES:
            raise ValueError(
                f"unknown clipping mode {self.clip_mode!r}; choose one of {', '.join(MODES)}"
            )
        t = self.clip_threshold
        if isinstance(t, bool) or not isinstance(t, numbers.Real) or not (np.isfinite(t) and t > 0):
            raise ValueError(f"the clipping threshold must be a positive number, not {t!r}")
        object.__setattr__(self, "clip_threshold", float(t))
        if not _whole(self.steps, 1, MAX_STEPS):
            raise ValueError(
                f"steps must be a whole number from 1 to {MAX_STEPS}, not {self.steps!r}"
            )
        if self.batch not in BATCHES:
            raise ValueError(f"batch must be 'full' or 'single', not {self.batch!r}")
        if not isinstance(self.train_h0, bool):
            raise ValueError(f"train_h0 must be true or false, not {self.train_h0!r}")
        if not _whole(self.seed, 0, 2**63 - 1):
            raise ValueError(f"the training seed must be a whole number >= 0, not {self.seed!r}")

    @classmethod
    def from_dict(cls, d: Mapping) -> TrainSettings:
        """Settings from a session file's ``training`` table; unknown keys are errors."""
        if not isinstance(d, Mapping):
            raise ValueError(f"training settings must be a table of names and values, not {d!r}")
        known = [f.name for f in fields(cls)]
        for key in d:
            if key not in known:
                raise ValueError(f"unknown training setting {key!r}; known: {', '.join(known)}")
        return cls(**d)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def trainable(self, params: Params) -> tuple[str, ...]:
        """Every array present (E included) except h0 unless ``train_h0``."""
        return tuple(n for n in params.names() if n != "h0" or self.train_h0)


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The state after one update (or after the last good one, if ``stopped``).

    A stopped snapshot's ``step`` counts the updates that succeeded (the failed
    attempt was ``step + 1``, the number its message names); its ``loss`` and
    gradient norms are those of the failed attempt, which may be inf or nan.
    """

    step: int  # updates done so far (1 after the first)
    loss: float  # mean loss of the batch, before the update
    accuracy: float | None  # on the whole training set, after the update
    grad_norm_before: float  # global L2 norm of the raw (trainable) gradient
    grad_norm_after: float  # ... after clipping
    clipped: bool
    cosine: float  # cos(raw, clipped gradient)
    param_grad_norms: dict = field(repr=False)  # name -> L2 norm of the raw gradient
    params: Params = field(repr=False)  # the weights after the update
    stopped: str | None = None  # plain-words reason when training stopped early
    indices: tuple[int, ...] = ()  # which samples made the batch


def _inputs(sample: Sample, params: Params) -> Sample:
    """With an embedding, x_t = E[id_t] must follow the current E, not the initial one."""
    if params.E is None:
        return sample
    if sample.ids is None:
        raise ValueError("the network has an embedding E, but a sample has no token ids")
    return Sample(
        embed(sample.ids, params.E), sample.targets, sample.scored, sample.tokens, sample.ids
    )


def _correct(head: str, ys: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """(n,) bool per scored step: softmax by argmax; sigmoid when every unit is on the
    right side of 0.5."""
    if head == "softmax":
        return ys.argmax(axis=1) == targets.argmax(axis=1)
    return ((ys > 0.5) == (targets > 0.5)).all(axis=1)


def evaluate(
    params: Params, samples: Sequence[Sample], config: Config
) -> tuple[float, float | None]:
    """(mean loss over samples, accuracy over all scored steps or None).

    Accuracy is None for an identity head (regression has no "right class")
    and when no step is scored. Forward passes only: no gradients needed.
    """
    total, right, scored = 0.0, 0, 0
    with np.errstate(**_QUIET):
        for sample in samples:
            s = _inputs(sample, params)
            fwd = forward(params, s.xs, config.activation, config.head)
            _, loss, _ = step_losses(
                config.loss, config.head, config.reduction, fwd.logits, fwd.ys, s.targets, s.scored
            )
            total += loss
            if config.head != "identity":
                right += int(_correct(config.head, fwd.ys[s.scored], s.targets[s.scored]).sum())
                scored += int(s.scored.sum())
    accuracy = right / scored if scored and config.head != "identity" else None
    return total / len(samples), accuracy


def _check(params: Params, samples: Sequence[Sample], config: Config) -> tuple[Sample, ...]:
    if not isinstance(params, Params):
        raise ValueError(f"training needs Params, not {type(params).__name__}")
    if not isinstance(config, Config):
        raise ValueError(f"training needs a Config, not {type(config).__name__}")
    samples = tuple(samples)
    if not samples:
        raise ValueError("there is nothing to train on: the training set is empty")
    for i, s in enumerate(samples, start=1):
        if not isinstance(s, Sample):
            raise ValueError(f"training example {i} is a {type(s).__name__}, not a Sample")
        if s.xs.shape[1] != params.input_size or s.targets.shape[1] != params.output_size:
            raise ValueError(
                f"training example {i} has {s.xs.shape[1]} inputs and "
                f"{s.targets.shape[1]} outputs per step; the network expects "
                f"{params.input_size} and {params.output_size}"
            )
        if params.E is not None and s.ids is None:
            raise ValueError(
                f"training example {i} has no token ids, but the network has an embedding E"
            )
    return samples


def _order(n: int, batch: str, rng: np.random.Generator) -> Iterator[tuple[int, ...]]:
    """Batches of sample indices: all every step, or one at a time, reshuffled each pass."""
    while True:
        if batch == "full":
            yield tuple(range(n))
        else:
            yield from ((int(i),) for i in rng.permutation(n))


def _gradient(params, samples, indices, config, trainable):
    """(mean loss, mean raw gradient of the trainable arrays, any hidden state non-finite)."""
    grads = {name: np.zeros_like(getattr(params, name)) for name in trainable}
    loss, overflow = 0.0, False
    for i in indices:
        tr = run(params, _inputs(samples[i], params), config)
        loss += tr.loss
        overflow = overflow or not np.isfinite(tr.hs).all()
        for name in trainable:
            grads[name] += tr.grads[name]
    n = len(indices)
    return loss / n, {k: g / n for k, g in grads.items()}, overflow


def _number(x: float) -> str:
    return "nan (not a number)" if np.isnan(x) else str(x)


def _stop_reason(
    k: int, loss: float, norm: float, overflow: bool, bad_param: str | None, clip_mode: str
) -> str:
    if not np.isfinite(loss):
        what = f"the loss became {_number(loss)}"
        why = (
            "the hidden states overflowed (the activations exploded)"
            if overflow
            else "the outputs overflowed"
        )
    elif not np.isfinite(norm):
        what, why = f"the gradient norm became {_number(norm)}", "the gradients exploded"
    else:
        what, why = f"the weights {bad_param} became too large to represent", "the update overshot"
    before = "the initial ones" if k == 1 else f"those after step {k - 1}"
    advice = (
        "Try gradient clipping or a smaller learning rate."
        if clip_mode == "off"
        else "Try a smaller learning rate or a lower clipping threshold."
    )
    return f"Step {k}: {what} — {why}. Training stopped; the weights are {before}. {advice}"


def _update(params, samples, config, settings, optimizer, trainable, k, indices):
    """One training step -> Snapshot (with ``stopped`` set if a number blew up)."""
    with np.errstate(**_QUIET):
        loss, grads, overflow = _gradient(params, samples, indices, config, trainable)
        norms = {name: float(np.linalg.norm(g)) for name, g in grads.items()}
        norm = global_norm(grads)  # inf if any entry is inf, nan if any is nan
        common = {"loss": loss, "param_grad_norms": norms, "indices": indices}
        if not (np.isfinite(loss) and np.isfinite(norm)):
            # nothing sensible to clip or apply: keep the weights we have
            return Snapshot(
                step=k - 1,
                accuracy=evaluate(params, samples, config)[1],
                grad_norm_before=norm,
                grad_norm_after=norm,
                clipped=False,
                cosine=float("nan"),
                params=params,
                stopped=_stop_reason(k, loss, norm, overflow, None, settings.clip_mode),
                **common,
            )
        clipped, rec = clip(grads, settings.clip_mode, settings.clip_threshold)
        new = optimizer.step(params, clipped, trainable)
        bad = next((n for n, a in new.as_dict().items() if not np.isfinite(a).all()), None)
        kept = params if bad else new  # an overshooting update is not applied
        accuracy = evaluate(kept, samples, config)[1]
    return Snapshot(
        step=k - 1 if bad else k,
        accuracy=accuracy,
        grad_norm_before=rec.norm_before,
        grad_norm_after=rec.norm_after,
        clipped=rec.clipped,
        cosine=rec.cosine,
        params=kept,
        stopped=_stop_reason(k, loss, norm, overflow, bad, settings.clip_mode) if bad else None,
        **common,
    )


def train(
    params: Params,
    samples: Sequence[Sample],
    config: Config,
    settings: TrainSettings = TrainSettings(),
) -> Iterator[Snapshot]:
    """Validate now, then return a generator of one ``Snapshot`` per update.

    The inputs are never modified. On a numerical blow-up the final snapshot
    has ``stopped`` set, its ``params`` are the last finite weights and its
    ``step`` is the number of updates that succeeded; the generator then ends.
    """
    if not isinstance(settings, TrainSettings):
        raise ValueError(f"training needs TrainSettings, not {type(settings).__name__}")
    samples = _check(params, samples, config)
    # per-sample gradients stay raw: clipping acts once on the batch gradient below
    config = replace(config, clip_mode="off")
    return _loop(params, samples, config, settings)


def _loop(params, samples, config, settings) -> Iterator[Snapshot]:
    optimizer = make_optimizer(settings.optimizer, settings.learning_rate)
    trainable = settings.trainable(params)
    batches = _order(len(samples), settings.batch, np.random.default_rng(settings.seed))
    for k in range(1, settings.steps + 1):
        # the step is computed outside this frame so no errstate spans a ``yield``
        snap = _update(params, samples, config, settings, optimizer, trainable, k, next(batches))
        yield snap
        if snap.stopped:
            return
        params = snap.params


def lockstep(
    params: Params, samples: Sequence[Sample], config: Config, runs: Mapping[str, TrainSettings]
) -> Iterator[dict[str, Snapshot]]:
    """Train several settings side by side from the same weights.

    Yields {name: latest Snapshot} once per step. A run that stopped or
    finished keeps showing its final snapshot; the others continue until all
    are done.
    """
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError("lockstep needs at least one named run")
    settings = {
        name: s if isinstance(s, TrainSettings) else TrainSettings.from_dict(s)
        for name, s in runs.items()
    }
    # Params are immutable, so every run really starts from the very same arrays
    gens = {name: train(params, samples, config, s) for name, s in settings.items()}
    return _lockstep_loop(gens)


def _lockstep_loop(gens: dict[str, Iterator[Snapshot]]) -> Iterator[dict[str, Snapshot]]:
    latest: dict[str, Snapshot] = {}
    active = list(gens)
    while active:
        progressed = False
        for name in list(active):
            snap = next(gens[name], None)
            if snap is None:  # finished all its steps
                active.remove(name)
                continue
            latest[name], progressed = snap, True
            if snap.stopped:  # its generator ends here; keep showing the reason
                active.remove(name)
        if progressed:
            yield {name: latest[name] for name in gens}
