"""The clipping lab, Qt-free: one network trained three ways side by side.

The same initial weights theta_0 and the same training set are trained in
lockstep with three settings that differ only in how the batch gradient g is
clipped before each update (everything else, the optimizer, learning rate,
batch order and seed, comes from the session's training settings):

    no clipping     g~ = g
    value clipping  g~_i = min(max(g_i, -tau), tau)     every component on its own:
                    the direction changes, cos(g, g~) < 1 whenever a component is cut
    norm clipping   g~ = g * min(1, tau / ||g||)         ||g|| over all weights at once:
                    only the length changes, cos(g, g~) = 1 exactly

with one shared threshold tau. The engine's ``lockstep`` hands every run the
very same immutable ``Params``, so any difference between the curves comes
from clipping alone. The lab is a side experiment: it never touches the
session's weights or history; ``LabHistory`` keeps its own record.

Threshold helper (Pascanu, Mikolov & Bengio 2013, "On the difficulty of
training recurrent neural networks", sec. 3.2): look at the average gradient
norm over many updates; thresholds from half to ten times that average still
trained well in their experiments. The average comes from the lab's own runs
(pre-clip norms of the runs that did not diverge: a blow-up is not a typical
norm) or, before any lab run, from a short probe run without clipping.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .engine.params import Params
from .engine.trace import Config, Sample
from .engine.train import MAX_STEPS, Snapshot, TrainSettings, lockstep, train

# run name -> the clip_mode it trains with; the order is the order of every plot and legend
RUNS = {"no clipping": "off", "value clipping": "value", "norm clipping": "norm"}
SHORT = {"no clipping": "none", "value clipping": "value", "norm clipping": "norm"}
PROBE_STEPS = 10  # a short run without clipping, when the lab has seen no steps yet
LOW, HIGH = 0.5, 10.0  # Pascanu et al.: half to ten times the average norm
DEMO_PRESET = "exploding"  # linear cell, sigma_max(W_hh) = 1.2: unclipped SGD overflows
DEMO_THRESHOLD = 1.0


def _g(x: float) -> str:
    """4 significant digits, the on-screen precision."""
    return f"{x:.4g}"


def check_threshold(threshold) -> float:
    ok = isinstance(threshold, numbers.Real) and not isinstance(threshold, bool)
    if not ok or not (math.isfinite(threshold) and threshold > 0):
        raise ValueError(
            f"clipping lab: the threshold must be a positive number, not {threshold!r}"
        )
    return float(threshold)


def run_settings(
    base: TrainSettings, threshold: float, steps: int | None = None
) -> dict[str, TrainSettings]:
    """The three runs' settings: ``base`` with clip_mode off / value / norm and one threshold."""
    if not isinstance(base, TrainSettings):
        raise ValueError(f"clipping lab: needs TrainSettings, not {type(base).__name__}")
    tau = check_threshold(threshold)
    steps = base.steps if steps is None else steps
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise ValueError(f"clipping lab: steps must be a whole number, not {steps!r}")
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"clipping lab: steps must be from 1 to {MAX_STEPS}, not {steps}")
    return {
        name: replace(base, clip_mode=mode, clip_threshold=tau, steps=int(steps))
        for name, mode in RUNS.items()
    }


def start(
    params: Params, samples: Sequence[Sample], config: Config, settings: Mapping
) -> tuple[LabHistory, Iterator[dict[str, Snapshot]]]:
    """(an empty history that remembers theta_0, the lockstep generator of the three runs)."""
    generator = lockstep(params, samples, config, settings)  # validates everything now
    return LabHistory(params, settings), generator


# -- the threshold helper ---------------------------------------------------------------------
@dataclass(frozen=True)
class Suggestion:
    mean: float  # average observed pre-clip gradient norm
    count: int  # how many norms it averages
    source: str  # where they came from, in words
    warning: str | None = None  # e.g. the probe itself diverged

    @property
    def low(self) -> float:
        return LOW * self.mean

    @property
    def high(self) -> float:
        return HIGH * self.mean

    @property
    def middle(self) -> float:
        """The middle of [low, high] on a log scale: sqrt(low * high) = sqrt(5) * mean."""
        return math.sqrt(self.low * self.high)

    @property
    def text(self) -> str:
        return (
            f"suggested threshold: {_g(self.low)} – {_g(self.high)} "
            f"(½× to 10× the average norm {_g(self.mean)})"
        )

    @property
    def full_text(self) -> str:
        """The range, where the norms came from, and any warning."""
        return f"{self.text}, {self.source}" + (f" — {self.warning}" if self.warning else "")


def suggest_threshold(norms: Iterable[float], source: str = "", warning=None) -> Suggestion:
    """Half to ten times the mean of the finite, positive ``norms``."""
    a = np.asarray(list(norms), dtype=float)
    a = a[np.isfinite(a) & (a > 0)]
    if a.size == 0:
        raise ValueError(
            "clipping lab: no finite gradient norm was observed, so there is nothing to "
            "base a threshold on"
        )
    return Suggestion(float(a.mean()), int(a.size), source, warning)


def probe(
    params: Params,
    samples: Sequence[Sample],
    config: Config,
    base: TrainSettings,
    steps: int = PROBE_STEPS,
) -> Suggestion:
    """Train ``steps`` updates without clipping and average their pre-clip norms."""
    settings = replace(base, clip_mode="off", steps=min(steps, base.steps))
    snaps = list(train(params, samples, config, settings))
    good = [s for s in snaps if not s.stopped]  # a stopped snapshot is the failed attempt
    warning = None
    if snaps and snaps[-1].stopped:
        warning = (
            f"the probe without clipping diverged at step {snaps[-1].step + 1}, so its "
            "norms include the blow-up: start at the low end or below"
        )
    if not good:  # it failed on the very first step: only that norm exists
        good = snaps
    source = f"from {len(good)} probe step{'s' * (len(good) != 1)} without clipping"
    return suggest_threshold((s.grad_norm_before for s in good), source, warning)


# -- the record of one lab run ------------------------------------------------------------------
def divergence(name: str, snap: Snapshot) -> str:
    """'no clipping diverged at step 3: the loss became nan' for a stopped snapshot."""
    if not math.isfinite(snap.loss):
        what = f"the loss became {snap.loss}"
    elif not math.isfinite(snap.grad_norm_before):
        what = f"the gradient norm became {snap.grad_norm_before}"
    else:
        what = "the weights became too large to represent"
    return f"{name} diverged at step {snap.step + 1}: {what}"


class RunHistory:
    """One run's successful updates as numbers for the plots, plus how it stopped.

    Only the scalars are kept, in arrays that double when full (a Snapshot
    also holds a full set of weights, too much to keep for every step of a
    long run, and the plots ask for every value ~30 times a second);
    ``last`` is the newest successful update.
    """

    FIELDS = ("step", "loss", "grad_norm_before", "grad_norm_after", "cosine", "clipped")

    def __init__(self, name: str, settings: TrainSettings) -> None:
        self.name = name
        self.settings = settings
        self._n = 0
        self._data = {f: np.zeros(64, dtype=bool if f == "clipped" else float) for f in self.FIELDS}
        self.last: Snapshot | None = None  # newest successful update
        self.stop: Snapshot | None = None  # the failed attempt, when it diverged

    def add(self, snap: Snapshot) -> bool:
        """Record ``snap`` unless it is the repeat lockstep sends for a finished run."""
        if snap is self.last or snap is self.stop or self.stop is not None:
            return False
        if snap.stopped:
            self.stop = snap
            return True
        if self._n == len(self._data["step"]):
            self._data = {f: np.concatenate([a, np.zeros_like(a)]) for f, a in self._data.items()}
        for f in self.FIELDS:
            self._data[f][self._n] = getattr(snap, f)
        self._n += 1
        self.last = snap
        return True

    def __len__(self) -> int:
        return self._n

    def array(self, name: str) -> np.ndarray:
        """(steps,) values of one Snapshot field over the successful updates (read-only)."""
        view = self._data[name][: self._n]
        view.flags.writeable = False
        return view

    @property
    def diverged(self) -> str | None:
        return divergence(self.name, self.stop) if self.stop is not None else None

    @property
    def clip_rate(self) -> float:
        """Fraction of the successful updates whose gradient was changed by clipping."""
        return float(self.array("clipped").mean()) if self._n else 0.0

    def explanation(self) -> str:
        """The engine's words for why the run stopped, and where its curve ends."""
        if self.stop is None:
            return ""
        text = self.stop.stopped
        if len(self):
            step, loss = int(self.last.step), float(self.last.loss)
            text += f"\nThe curve ends at step {step} (loss {loss!r}), the last finite one."
        return text

    def summary(self) -> str:
        n, loss = len(self), self.array("loss")
        if self.stop is not None:
            return self.diverged
        if not n:
            return f"{self.name}: not started"
        text = f"{self.name}: {n} steps, loss {_g(loss[0])} → {_g(loss[-1])}"
        if self.settings.clip_mode != "off":
            clipped = int(self.array("clipped").sum())
            text += f", clipped on {clipped} of {n} steps ({_g(100 * self.clip_rate)} %)"
        return text


class LabHistory:
    """The three runs' records and the weights they all started from."""

    def __init__(self, params: Params, settings: Mapping[str, TrainSettings]) -> None:
        self.initial = params  # theta_0, shared by every run
        self.settings = dict(settings)
        self.runs = {name: RunHistory(name, s) for name, s in self.settings.items()}
        self.steps = 0  # lockstep items received

    def add(self, item: Mapping[str, Snapshot]) -> None:
        self.steps += 1
        for name, snap in item.items():
            self.runs[name].add(snap)

    def extend(self, items: Iterable[Mapping[str, Snapshot]]) -> None:
        for item in items:
            self.add(item)

    @property
    def threshold(self) -> float:
        return next(iter(self.settings.values())).clip_threshold

    def observed_norms(self) -> tuple[np.ndarray, list[str]]:
        """(pre-clip norms of every finished update, the runs they came from).

        Runs that diverged are left out while any run did not: their last norms
        measure the blow-up, not the gradients training normally sees.
        """
        runs = [r for r in self.runs.values() if len(r)]
        calm = [r for r in runs if r.stop is None] or runs
        norms = [r.array("grad_norm_before") for r in calm]
        return (np.concatenate(norms) if norms else np.zeros(0)), [r.name for r in calm]

    def suggestion(self) -> Suggestion:
        norms, names = self.observed_norms()
        source = f"from {norms.size} lab steps ({', '.join(names)})"
        return suggest_threshold(norms, source)


def log_view(
    history: LabHistory | None, field: str, extra: Sequence[float] = ()
) -> tuple[float, float, float]:
    """(bottom, top, cut) of a log10 axis showing ``field`` of every run, and ``extra``.

    The top fits the runs that did not diverge: a blow-up to 1e53 would
    flatten every other curve into a line, so a diverged run leaves through
    the top instead and values above ``cut`` are off the scale. With nothing
    to show yet: two decades either side of 1 (or of ``extra``).
    """
    runs = [r for r in history.runs.values() if len(r)] if history else []
    calm = [r for r in runs if r.stop is None] or runs
    every = _positive([r.array(field) for r in runs] + [np.asarray(extra, dtype=float)])
    fit = _positive([r.array(field) for r in calm] + [np.asarray(extra, dtype=float)])
    if not runs or not fit.size:
        mid = math.log10(every.max()) if every.size else 0.0
        return mid - 2.0, mid + 2.0, math.inf
    lo, hi = math.log10(every.min()), math.log10(fit.max())
    span = max(hi - lo, 1.0)
    return lo - 0.05 * span, hi + 0.25 * span, 10 ** (hi + 0.1 * span)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def log_ticks(lo: float, hi: float, most: int = 6) -> list[tuple[float, str]]:
    """Labelled ticks (log10 position, text) for a log axis spanning 10**lo .. 10**hi.

    Whole decades when the axis spans two or more (every 1st, 2nd, 5th, 10th ...
    so at most ``most``), else the densest of 1..9, 1-2-5 or 1 per decade that
    fits: never the overlapping minor labels pyqtgraph puts on a short log axis.
    Empty when nothing fits (the caller then lets pyqtgraph choose).
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return []
    first, last = math.floor(lo), math.ceil(hi)
    values: list[tuple[int, int]] = []  # (mantissa, exponent)
    if hi - lo >= 2:
        need = (hi - lo) / most  # decades between ticks, made a 1-2-5 number
        step = next(n * 10**e for e in range(6) for n in (1, 2, 5) if n * 10**e >= need)
        values = [(1, k) for k in range(first, last + 1) if k % step == 0]
    else:
        for mantissas in (tuple(range(1, 10)), (1, 2, 5), (1,)):  # the densest that fits
            found = [(m, k) for k in range(first, last + 1) for m in mantissas]
            found = [(m, k) for m, k in found if lo <= math.log10(m) + k <= hi]
            if 2 <= len(found) <= most:
                values = found
                break
    ticks = [(k + math.log10(m), _tick_label(m, k)) for m, k in values]
    return [(at, text) for at, text in ticks if lo <= at <= hi]


def _tick_label(m: int, k: int) -> str:
    if -3 <= k <= 3:
        return f"{m * 10.0**k:g}"
    power = f"10{str(k).translate(_SUPERSCRIPT)}"
    return power if m == 1 else f"{m}×{power}"


def _positive(arrays: list[np.ndarray]) -> np.ndarray:
    a = np.concatenate(arrays)
    return a[np.isfinite(a) & (a > 0)]
