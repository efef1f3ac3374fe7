"""The exact numbers each view plots, as CSV text (no Qt).

Every exported figure has a table beside it, so a reader can check a plot or
redraw it in another tool. Each function here reads the same arrays the
panel draws (the trace, the training history, the clipping lab's runs): no
number is recomputed, only selected, reshaped or, where the plot itself
draws a derived value (a log10 bound, a smoothed loss), derived exactly as
the panel derives it.

Format (RFC 4180, ``\\n`` line ends, UTF-8):

* a header row, then one row per plotted point, bar or row of cells;
* floats written with ``repr``: the shortest text that reads back to the
  same float64, so ``float(cell)`` gives the engine's value bit for bit;
  ``nan``/``inf``/``-inf`` as Python writes them (``float`` reads them back);
* an empty cell where the plot draws nothing (an unscored target, a cell of
  the loss -> state matrix above the diagonal).

Timesteps and units are numbered from 1, as on the plots' axes.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["CSV_VIEWS", "EMA", "PARAM_ORDER", "fmt", "view_csv"]

# The training panel's smoothing (training_plots.EMA) and the gradient panel's
# bar order (gradient_plots.PARAM_ORDER); repeated here because this module may
# not import Qt modules. A test checks they agree.
EMA = 0.9
PARAM_ORDER = ("W_xh", "W_hh", "W_hy", "b_h", "b_y", "E", "h0")
TOTAL_BEFORE, TOTAL_AFTER = "total, pre-clip", "total, after clip"
LAB_FIELDS = ("step", "loss", "grad_norm_before", "grad_norm_after", "cosine", "clipped")


def fmt(x) -> str:
    """A cell: '' for None, repr of a float (round-trips exactly), ints and text as is."""
    if x is None:
        return ""
    if isinstance(x, bool | np.bool_):
        return "1" if x else "0"
    if isinstance(x, int | np.integer):
        return str(int(x))
    if isinstance(x, float | np.floating):
        return repr(float(x))
    return str(x)


def _table(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([fmt(x) for x in row])
    return out.getvalue()


def _token(tok) -> str:
    """A token as text ('' for a numeric input step, which has no token)."""
    return "" if tok is None else str(tok)


# -- hidden state -------------------------------------------------------------------------------


def hidden_values(trace, saturation: bool = False) -> tuple[np.ndarray, str]:
    """(T, H) what the hidden panel draws and its name: h, or tanh's 1 - h^2 (trace.fprime)."""
    return (trace.fprime, "one_minus_h2") if saturation else (trace.hs, "h")


def hidden_heatmap_csv(state, saturation: bool = False) -> str:
    """Row t: the heatmap's column t (h_t[u] for u = 1..H), with its input token."""
    trace, tokens = state.analysis.trace, state.analysis.built.tokens
    values, name = hidden_values(trace, saturation)  # (T, H)
    H = values.shape[1]
    header = ["t", "token", *(f"{name}_{u + 1}" for u in range(H))]
    return _table(header, ([t + 1, _token(tokens[t]), *values[t]] for t in range(values.shape[0])))


def unit_lines_csv(state, saturation: bool = False) -> str:
    """One column per unit's line, one row per timestep (the lines plot's x)."""
    values, name = hidden_values(state.analysis.trace, saturation)
    header = ["t", *(f"{name}_{u + 1}" for u in range(values.shape[1]))]
    return _table(header, ([t + 1, *values[t]] for t in range(values.shape[0])))


def hidden_bars_csv(state, saturation: bool = False) -> str:
    """The bars beside the heatmap: the cursor's column, one row per unit."""
    values, name = hidden_values(state.analysis.trace, saturation)
    t = state.cursor
    return _table(["t", "unit", name], ([t + 1, u + 1, v] for u, v in enumerate(values[t])))


# -- output -------------------------------------------------------------------------------------


def output_bars_csv(state, rows: Sequence[int] | None = None) -> str:
    """y_t at the cursor, one row per bar (``rows``: the outputs drawn, default all).

    ``target`` is the sample's target value, empty when step t has no target.
    """
    trace, built = state.analysis.trace, state.analysis.built
    t = state.cursor
    y = trace.ys[t]  # (O,)
    scored = bool(trace.sample.scored[t])
    order = range(len(y)) if rows is None else [int(i) for i in rows]
    return _table(
        ["t", "output", "name", "y", "target"],
        (
            [
                t + 1,
                i + 1,
                built.output_names[i],
                y[i],
                trace.sample.targets[t, i] if scored else None,
            ]
            for i in order
        ),
    )


# -- gradients ----------------------------------------------------------------------------------


def _log10(x: float) -> float:
    """log10 as the gradient plots take it: non-positive or non-finite values are NaN."""
    return math.log10(x) if math.isfinite(x) and x > 0 else math.nan


def dh_norms_csv(state) -> str:
    """||dL/dh_t|| per step (the log-scale bars) and the log10 the bar height is."""
    trace, tokens = state.analysis.trace, state.analysis.built.tokens
    norms = trace.dh_norms  # (T,)
    return _table(
        ["t", "token", "dh_norm", "log10_dh_norm"],
        ([t + 1, _token(tokens[t]), n, _log10(float(n))] for t, n in enumerate(norms)),
    )


def jacobian_csv(state) -> str:
    """||dh_T/dh_t|| against the lag T - t, and the bound (gamma sigma_max)^(T - t) in log10."""
    trace = state.analysis.trace
    T = trace.length
    factor = trace.gamma * trace.sigma_max  # the most one step back can multiply by
    per_step = math.log10(factor) if factor > 0 else -math.inf
    rows = []
    for lag in range(T):
        t = T - lag  # 1-based step whose Jacobian is drawn at this lag
        bound = 0.0 if lag == 0 else lag * per_step
        rows.append(
            [
                lag,
                t,
                trace.jacobian_norms[t - 1],
                trace.jacobian_log10_norms[t - 1],
                bound if math.isfinite(bound) else math.nan,
            ]
        )
    return _table(["lag", "t", "jacobian_norm", "log10_jacobian_norm", "log10_bound"], rows)


def loss_state_csv(state) -> str:
    """The T x T matrix ||dL_t/dh_s||: row t (loss step), column s; empty where not drawn.

    The plot draws cell (t, s) only for s <= t and a step t that has a loss.
    """
    trace = state.analysis.trace
    M, scored, T = trace.loss_to_state, trace.sample.scored, trace.length  # (T, T)
    rows = (
        [t + 1, *(M[t, s] if s <= t and scored[t] else None for s in range(T))] for t in range(T)
    )
    return _table(["t", *(f"s_{s + 1}" for s in range(T))], rows)


def param_norms_csv(state) -> str:
    """The parameter bars: each raw gradient's norm, then the global norm before/after clipping."""
    trace = state.analysis.trace
    rows = [[n, trace.grad_norms[n]] for n in PARAM_ORDER if n in trace.grad_norms]
    rows.append([TOTAL_BEFORE, trace.clip.norm_before])
    if trace.clip.mode != "off":
        rows.append([TOTAL_AFTER, trace.clip.norm_after])
    return _table(["name", "grad_norm"], rows)


# -- training and the clipping lab --------------------------------------------------------------


def smoothed(losses: Sequence[float]) -> list[float]:
    """The training plot's EMA: a blown-up loss is skipped (its own point is NaN)."""
    out, last = [], math.nan
    for loss in losses:
        loss = float(loss)
        if math.isfinite(loss):
            last = loss if math.isnan(last) else EMA * last + (1 - EMA) * loss
        out.append(last if math.isfinite(loss) else math.nan)
    return out


def training_csv(state) -> str:
    """One row per update: the loss (raw and smoothed), gradient norms, accuracy, per weight."""
    history = tuple(state.history)
    names = [n for n in PARAM_ORDER if any(n in s.param_grad_norms for s in history)]
    header = [
        "step",
        "loss",
        "loss_smoothed",
        "grad_norm_before",
        "grad_norm_after",
        "clipped",
        "cosine",
        "accuracy",
        *(f"grad_norm_{n}" for n in names),
    ]
    ema = smoothed([s.loss for s in history])
    rows = (
        [
            k + 1,  # the update's number in the whole history: the plots' x (a run's own
            # Snapshot.step starts at 1 again when training is continued)
            float(s.loss),
            ema[k],
            float(s.grad_norm_before),
            float(s.grad_norm_after),
            bool(s.clipped),
            float(s.cosine),
            None if s.accuracy is None else float(s.accuracy),
            *(s.param_grad_norms.get(n) for n in names),
        ]
        for k, s in enumerate(history)
    )
    return _table(header, rows)


def clipping_lab_csv(state, lab=None) -> str:
    """The lab's three runs in long form: one row per run and successful update.

    ``lab`` is the panel's ``LabHistory`` (None before the lab has run: header only).
    """
    rows = []
    for name, run in lab.runs.items() if lab is not None else ():
        columns = [run.array(f) for f in LAB_FIELDS]
        for k in range(len(run)):
            step, *rest, clipped = (c[k] for c in columns)
            rows.append([name, int(step), *(float(v) for v in rest), bool(clipped)])
    return _table(["run", *LAB_FIELDS], rows)


# -- registry -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvView:
    title: str
    function: Callable[..., str]


CSV_VIEWS: Mapping[str, CsvView] = {
    "hidden-heatmap": CsvView("Hidden state heatmap", hidden_heatmap_csv),
    "hidden-state": CsvView("Hidden state panel (the heatmap's numbers)", hidden_heatmap_csv),
    "hidden-bars": CsvView("Hidden state at the cursor", hidden_bars_csv),
    "unit-lines": CsvView("Hidden units over time", unit_lines_csv),
    "output-bars": CsvView("Output bars", output_bars_csv),
    "dh-norms": CsvView("Gradient norms ‖dL/dh_t‖", dh_norms_csv),
    "jacobian": CsvView("Jacobian norms ‖dh_T/dh_t‖", jacobian_csv),
    "loss-state": CsvView("Loss → each state (T × T)", loss_state_csv),
    "param-norms": CsvView("Parameter gradient norms", param_norms_csv),
    "training": CsvView("Training history", training_csv),
    "clipping-lab": CsvView("Clipping lab", clipping_lab_csv),
}


def view_csv(name: str, state, **options) -> str:
    """The CSV text of view ``name`` for ``state`` (options: see each view's function)."""
    view = CSV_VIEWS.get(name)
    if view is None:
        raise ValueError(f"no CSV for view {name!r}; views with a CSV: {', '.join(CSV_VIEWS)}")
    return view.function(state, **options)
