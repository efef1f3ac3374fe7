"""Output: y_t at the cursor as bars, the prediction, the target and the losses.

Bars run sideways, one row per output unit (a token of the vocabulary, a
class, or a raw output), so long names stay readable on the left axis and
the values line up on the right axis. With more than ``MAX_ALL`` outputs the
``TOP_K`` most likely are shown, sorted, and the target is appended when it
is not among them (a note says so).

Every bar keeps its label: the axes are measured in their current tick font
(presenter mode makes it larger, and pyqtgraph silently drops a label that
does not fit its axis), and when the plot is too short for one label line per
output, fewer rows are shown (the most likely ones, plus the target) rather
than bars without names.

* softmax / sigmoid heads: values are probabilities, drawn on [0, 1] in the
  accent colour; the predicted output (the largest y) is vermillion; target
  rows are outlined and their value reads "· target". A sigmoid output is a
  yes/no answer of its own (dashed line at 0.5, target values as ticks); a
  single sigmoid output below 0.5 predicts "not <name>";
* identity head: signed values in the shared diverging map, the target as a
  tick mark at its value.

Every number comes from the trace: ``ys``, ``step_losses``, ``loss``, the
sample's ``targets``/``scored`` and ``built.target_tokens``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF, QPen
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..session import Session
from . import plot_util as pu
from .colors import diverging_rgb
from .readout import Readout

MAX_ALL = 12  # up to this many outputs, show all of them in their own order
TOP_K = 10
TARGET_SUFFIX = " · target"
PROBABILITY_HEADS = ("softmax", "sigmoid")
PROBABILITY_TICKS = [
    [(0.0, "0"), (0.5, "0.5"), (1.0, "1")],
    [(k / 10, "") for k in range(1, 10) if k != 5],
]
MIN_ROWS = 2  # however short the plot: the prediction and one more (or the target)


class FittedAxis(pu.IndexAxis):
    """An IndexAxis measured in its current tick font, refitted when the font changes."""

    def setTickFont(self, font) -> None:  # noqa: N802 (Qt API)
        super().setTickFont(font)
        if not hasattr(self, "labels"):
            return  # IndexAxis.__init__ measures once it has set its labels
        self._metrics = QFontMetricsF(font if font is not None else pu.font())
        labels, self.labels = self.labels, None
        self.set_labels(labels)  # the room each label needs, in the new font
        samples = getattr(self, "_samples", ())
        if samples:
            super().fit_width(samples)

    def fit_width(self, samples) -> None:
        self._samples = tuple(samples)  # kept to refit in another font
        super().fit_width(self._samples)

    def line_height(self) -> float:
        """Pixels one row's label needs along the axis (IndexAxis thins closer labels)."""
        return self._metrics.height()


class OutputPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = session.state
        self.order = np.zeros(0, dtype=int)  # output index drawn in each row
        self._limit = MAX_ALL + 1  # rows with room for their label when the rows were chosen
        self._rows_shown = 0  # the y range is set for this many rows
        self._top = 0  # showing only the top k outputs (0: all of them)
        self.levels = (0.0, 1.0)  # value range of the bars' axis
        self._head = "softmax"
        self._probabilities = True  # softmax/sigmoid: y is a probability
        self._build_text()
        self._build_plot()
        self.state.events.analysis.connect(self._on_analysis_changed)
        self.state.events.cursor.connect(self._on_cursor_changed)
        self._on_analysis_changed(self.state.analysis)

    # -- building -------------------------------------------------------------
    def _build_text(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.summary = Readout()  # changes with every cursor move
        self.summary.setFont(pu.font(11))
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.note = QLabel()
        self.note.setFont(pu.font())
        self.note.setWordWrap(True)

    def _build_plot(self) -> None:
        self.name_axis = FittedAxis("left")
        self.value_axis = FittedAxis("right", elide=None)
        self.view = pg.PlotWidget(axisItems={"left": self.name_axis, "right": self.value_axis})
        self.view.setMinimumSize(240, 110)
        self.plot = self.view.getPlotItem()
        pu.style_plot(self.plot)
        self.plot.showAxis("right")
        self.value_axis.setStyle(showValues=True)
        self.plot.invertY(True)  # first row on top
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.addItem(pg.InfiniteLine(pos=0, angle=90, pen=pu.pen((90, 90, 90), 1)))
        self.threshold = pg.InfiniteLine(
            pos=0.5, angle=90, pen=pu.pen((90, 90, 90), 1, style=Qt.PenStyle.DashLine)
        )
        self.threshold.setToolTip("0.5: a sigmoid output above it counts as 'yes'")
        self.plot.addItem(self.threshold)
        self.bars = pg.BarGraphItem(x0=[0.0], x1=[0.0], y=[1.0], height=0.7)
        self.plot.addItem(self.bars)
        self.target_marks = pg.ScatterPlotItem(symbol="|", size=34)  # coloured per theme
        self.plot.addItem(self.target_marks)
        self.layout().addWidget(self.view, 1)
        self.layout().addWidget(self.note)
        self.plot_widgets = {"output": self.plot}
        self.view.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot.vb.sigResized.connect(self._on_plot_resized)

    # -- state -> widgets -----------------------------------------------------
    def _on_analysis_changed(self, analysis) -> None:
        trace = analysis.trace
        head = trace.config.head
        self._head = head
        self._probabilities = head in PROBABILITY_HEADS
        self.threshold.setVisible(head == "sigmoid")
        if self._probabilities:
            self.levels = (0.0, 1.0)
        else:  # signed outputs: symmetric, large enough for every output and target
            scored = trace.sample.targets[trace.sample.scored]
            vmax = pu.symmetric_vmax(np.concatenate([trace.ys.ravel(), scored.ravel()]))
            self.levels = (-vmax, vmax)
        lo, hi = self.levels
        self.plot.setXRange(lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo), padding=0)
        name = "probability y_t" if self._probabilities else "output y_t"
        bottom = self.plot.getAxis("bottom")
        bottom.setLabel(name)
        # probabilities: 0, 0.5 and 1 labelled, tenths as plain ticks (pyqtgraph's own
        # spacing ignores the font, and large presenter labels ran into each other)
        bottom.setTicks(PROBABILITY_TICKS if self._probabilities else None)
        # the widest labels this trace can need, so scrubbing never shifts the layout
        self.value_axis.fit_width([pu.fmt(v) + TARGET_SUFFIX for v in trace.ys.ravel()[:20000]])
        names = analysis.built.output_names
        self.name_axis.fit_width([pu.display_token(n) for n in names])
        self._update_cursor()

    def _on_cursor_changed(self, cursor: int) -> None:
        self._update_cursor()

    def _on_plot_resized(self, *_) -> None:
        if self._row_limit() != self._limit:
            self._update_cursor()  # more or fewer labelled rows fit now

    def _row_limit(self) -> int:
        """Rows that get a whole label line each in the plot's height (all before layout)."""
        room = self.plot.vb.height()
        if room <= 0:
            return MAX_ALL + 1
        return min(max(MIN_ROWS, int(room // self.name_axis.line_height())), MAX_ALL + 1)

    def _update_cursor(self) -> None:
        self._update_bars()
        self._update_text()

    def _targets(self, t: int) -> np.ndarray:
        """Output indices the target asks for at step t (empty when unscored)."""
        sample = self.state.analysis.trace.sample
        if not sample.scored[t] or not self._probabilities:
            return np.zeros(0, dtype=int)
        target = sample.targets[t]  # (O,)
        if self.state.analysis.trace.config.head == "softmax":
            return np.array([int(np.argmax(target))])
        return np.flatnonzero(target >= 0.5)  # sigmoid: every output that should say yes

    def _update_bars(self) -> None:
        trace = self.state.analysis.trace
        t = self.state.cursor
        y = np.asarray(trace.ys[t], dtype=float)  # (O,)
        targets = self._targets(t)
        self.order, rows = self._rows(y, targets)
        if rows != self._rows_shown:  # only when it changes: a cursor move stays cheap
            self._rows_shown = rows
            self.plot.setYRange(0.5, rows + 0.5, padding=0)
        v = np.where(np.isfinite(y[self.order]), y[self.order], 0.0)
        predicted = int(np.nanargmax(y)) if np.isfinite(y).any() else -1
        if self._head == "sigmoid" and len(y) == 1 and not y[0] >= 0.5:
            predicted = -1  # a single yes/no output that says no
        if self._probabilities:
            rgb = [pu.HIGHLIGHT if i == predicted else pu.ACCENT for i in self.order]
        else:
            rgb = diverging_rgb(v, self.levels[1])
        outline = pu.pen(pu.theme_rgb(), 3)
        thin = QPen(Qt.PenStyle.NoPen)
        self.bars.setOpts(
            x0=np.minimum(v, 0.0),
            x1=np.maximum(v, 0.0),
            y=np.arange(1, len(v) + 1, dtype=float),
            height=0.7,
            brushes=pu.brushes(np.asarray(rgb)),
            pens=[outline if i in targets else thin for i in self.order],
        )
        names = self.state.analysis.built.output_names
        self.name_axis.set_labels([pu.display_token(names[i]) for i in self.order])
        self.value_axis.set_labels(
            [pu.fmt(y[i]) + (TARGET_SUFFIX if i in targets else "") for i in self.order]
        )
        self._update_target_marks(t)
        self._update_note(y, targets)

    def _rows(self, y: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, int]:
        """(the outputs drawn, the rows the y range holds): all outputs in their own order,
        or the top k sorted (plus a missing target), k as many as get a label line."""
        self._limit = limit = self._row_limit()
        if len(y) <= min(MAX_ALL, limit):
            self._top = 0
            return np.arange(len(y)), len(y)
        self._top = k = min(TOP_K, limit - 1)  # a row stays free for a target outside the top
        ranked = np.argsort(-np.nan_to_num(y, nan=-np.inf), kind="stable")
        top = list(ranked[:k])
        top += [int(i) for i in targets if i not in top][:1]
        return np.array(top, dtype=int), k + 1

    def _update_target_marks(self, t: int) -> None:
        """Black ticks at the target values (not for softmax: its one-hot target is the
        outlined row)."""
        sample = self.state.analysis.trace.sample
        if self._head == "softmax" or not sample.scored[t]:
            self.target_marks.setData([], [])
            return
        target = sample.targets[t][self.order]
        self.target_marks.setData(
            target,
            np.arange(1, len(target) + 1, dtype=float),
            brush=pu.theme_rgb(),  # foreground with a background rim: reads on any bar
            pen=pu.pen(pu.theme_rgb("background"), 1.5),
        )

    def _update_note(self, y: np.ndarray, targets: np.ndarray) -> None:
        parts = []
        k = self._top
        if k:
            parts.append(f"showing the {k} most likely of {len(y)} outputs")
            missing = [int(i) for i in targets if i not in self.order[:k]]
            if missing:
                rank = int(np.sum(y > y[missing[0]])) + 1
                parts.append(f"the target is ranked {rank} and added last")
        if self._head == "softmax":
            parts.append("vermillion = predicted · outlined = target")
        elif self._head == "sigmoid":
            parts.append("yes/no per output (yes right of the dashed 0.5)")
            parts.append("vermillion = predicted · ticks = targets")
        else:
            parts.append("identity head: raw outputs · ticks = targets")
        self.note.setText(" · ".join(parts))

    def _prediction(self, y: np.ndarray) -> tuple[str, str]:
        """(text, tooltip) for what the network predicts from y_t."""
        names = self.state.analysis.built.output_names
        if not self._probabilities or not np.isfinite(y).any():
            shown = ", ".join(pu.fmt(v) for v in y[:MAX_ALL]) + (" …" if len(y) > MAX_ALL else "")
            return f"output y = {shown}", "y = " + ", ".join(pu.full(v) for v in y[:MAX_ALL])
        i = int(np.nanargmax(y))
        name, p = pu.display_token(names[i]), pu.fmt(y[i])
        tip = f"p({names[i]!r}) = {pu.full(y[i])}"
        if self._head == "sigmoid" and len(y) == 1 and y[0] < 0.5:  # one yes/no output
            return f"predicted: not '{name}' (p = {p} < 0.5)", tip
        return f"predicted: '{name}' (p = {p})", tip

    def _update_text(self) -> None:
        analysis = self.state.analysis
        trace, built, t = analysis.trace, analysis.built, self.state.cursor
        text, tip = self._prediction(np.asarray(trace.ys[t], dtype=float))
        parts, tips = [text], [tip]
        if trace.sample.scored[t]:
            target = built.target_tokens[t]
            named = target in built.output_names  # a token or class, not raw numbers
            parts.append(f"target: '{pu.display_token(target)}'" if named else f"target: {target}")
            parts.append(f"step loss {pu.fmt(trace.step_losses[t])}")
            tips.append(f"step loss = {pu.full(trace.step_losses[t])}")
        else:
            parts.append(f"this step is not scored ({self._unscored_reason(t)})")
        mean = trace.config.reduction == "mean"
        parts.append(f"total loss{' (mean)' if mean else ''} {pu.fmt(trace.loss)}")
        tips.append(
            f"total loss = {pu.full(trace.loss)} ({trace.config.loss}, "
            f"{trace.config.reduction} over scored steps)"
        )
        self.summary.setText(" · ".join(parts))
        self.summary.setToolTip("\n".join(tips))

    def _unscored_reason(self, t: int) -> str:
        spec = self.state.analysis.built.spec
        if spec.task == "many-to-one":
            if spec.label is None:
                return "no label is set"
            return "many-to-one scores only the last step"
        return "this token has no tag"

    def _on_mouse_moved(self, scene_pos) -> None:
        vb = self.plot.vb
        if not vb.sceneBoundingRect().contains(scene_pos):
            return
        row = pu.snap(vb.mapSceneToView(scene_pos).y(), max(len(self.order), 1))
        if row >= len(self.order):
            return
        i = int(self.order[row])
        name = self.state.analysis.built.output_names[i]
        value = self.state.analysis.trace.ys[self.state.cursor, i]
        self.view.setToolTip(f"{name!r}: y = {pu.full(value)}")  # full precision on hover
