"""Pieces of the gradient views: log axes, numbers in words, and two of the views.

Log scale. Gradient magnitudes span tens of decades (1e-13 to 1e3 in the
presets), so every magnitude is drawn as log10 of the engine's value on a
linear axis whose ticks read as powers of ten (``LogAxis``). Taking the log
here rather than with pyqtgraph's ``setLogMode`` allows bars (BarGraphItem
has no log mode) and makes the guard explicit: 0, inf and nan have no
logarithm, so they are left out (NaN, nothing drawn) and said in words.

* ``LossStateView``: RNNbow's itemised gradients, ||dL_t/dh_s|| for every
  loss step t (row) and state s (column), ``trace.loss_to_state``; one row
  picked out as a line below; the truncation band when TBPTT is on.
* ``ParamView``: each parameter's gradient norm for the displayed pass,
  the pre-/post-clip totals (``trace.clip``) and their history in training.
"""

from __future__ import annotations

import math
import types

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from . import plot_util as pu
from .colors import SEQUENTIAL_LUT

PARAM_ORDER = ("W_xh", "W_hh", "W_hy", "b_h", "b_y", "E", "h0")
EMPTY_HISTORY = "Train the network to see how these change"
TOTAL_BEFORE = "total, pre-clip"
TOTAL_AFTER = "total, after clip"
# Okabe-Ito hues (no black: the totals are black/grey), one per parameter in every plot
PARAM_COLORS = dict(
    zip(
        PARAM_ORDER,
        (
            (0, 114, 178),
            (213, 94, 0),
            (0, 158, 115),
            (204, 121, 167),
            (230, 159, 0),
            (86, 180, 233),
            (153, 68, 170),
        ),
        strict=True,
    )
)
_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


# -- numbers -----------------------------------------------------------------------
def log10(values) -> np.ndarray:
    """log10 of magnitudes; 0, inf and nan become NaN (nothing is drawn there)."""
    a = np.asarray(values, dtype=float)
    out = np.full(a.shape, np.nan)
    ok = np.isfinite(a) & (a > 0)
    out[ok] = np.log10(a[ok])
    return out


def decades(*arrays) -> tuple[float, float]:
    """Whole decades [floor(min), ceil(max)] around the finite values, at least one wide."""
    v = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays])
    v = v[np.isfinite(v)]
    if not v.size:
        return -1.0, 1.0
    lo, hi = math.floor(v.min()), math.ceil(v.max())
    return float(lo), float(max(hi, lo + 1))


def power_label(k: int) -> str:
    """10^k as a person writes it: 0.1, 1, 10, 10², 10⁻⁵."""
    return {-1: "0.1", 0: "1", 1: "10"}.get(k, "10" + str(k).translate(_SUP))


def sci(x: float) -> str:
    """A magnitude in plain form, 3 significant digits: 0.0234, 970, 3.99 × 10⁻⁵."""
    if not math.isfinite(x):
        return pu.fmt(x)
    if x == 0 or 1e-3 <= abs(x) < 1e4:
        return f"{x:.3g}"
    k = math.floor(math.log10(abs(x)))
    m = round(x / 10.0**k, 2)
    if abs(m) >= 10:  # 9.996e-5 rounds up to 10 × 10⁻⁵: say 1 × 10⁻⁴
        m, k = m / 10, k + 1
    return f"{m:.3g} × 10{str(k).translate(_SUP)}"


def log_ticks(lo: float, hi: float, size: float, room: float):
    """Decade ticks thinned to ``room`` pixels apart; unlabelled 2..9 minors when roomy."""
    lo, hi = sorted((lo, hi))
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo or size <= 0:
        return []
    per_decade = size / (hi - lo)
    step = next((s for s in (1, 2, 5, 10, 20, 50, 100) if s * per_decade >= room), 200)
    first = math.ceil(lo / step) * step
    ticks = [(float(step), [float(k) for k in range(first, math.floor(hi) + 1, step)])]
    if step == 1 and per_decade >= 3 * room:
        minor = (
            k + math.log10(m) for k in range(math.floor(lo), math.ceil(hi)) for m in range(2, 10)
        )
        ticks.append((None, [v for v in minor if lo <= v <= hi]))
    return ticks


class LogAxis(pg.AxisItem):
    """A linear axis over log10 values, labelled as powers of ten."""

    def __init__(self, orientation: str, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.setTickFont(pu.font())
        self.enableAutoSIPrefix(False)
        if orientation in ("top", "bottom"):
            self.setStyle(hideOverlappingLabels=False)  # keep the first and last decade

    def tickValues(self, minVal, maxVal, size):
        return log_ticks(minVal, maxVal, size, 22 if self.orientation in ("left", "right") else 44)

    def tickStrings(self, values, scale, spacing):
        return [power_label(round(v)) if abs(v - round(v)) < 1e-9 else "" for v in values]


def log_color_bar(label: str) -> pg.ColorBarItem:
    """The shared sequential colour bar over log10 levels, its ticks read as powers of ten."""
    bar = pu.color_bar(SEQUENTIAL_LUT, (0.0, 1.0), label)
    bar.axis.tickValues = types.MethodType(LogAxis.tickValues, bar.axis)
    bar.axis.tickStrings = types.MethodType(LogAxis.tickStrings, bar.axis)
    return bar


def set_finite(item: pg.PlotDataItem, x, y) -> None:
    """Line with gaps at NaN; nothing at all if nothing is finite (an overflowed pass)."""
    if np.isfinite(y).any():
        item.setData(x, y, connect="finite")
    else:
        item.setData([], [])


def hatch(rgb, style=Qt.BrushStyle.BDiagPattern) -> QBrush:
    return QBrush(QColor(*rgb), style)


def token_name(level: str, encoding: str) -> str:
    """What one step is called in captions: word, character or step."""
    return "step" if encoding == "numeric" else {"word": "word", "char": "character"}[level]


# -- the T x T loss-to-state heatmap -----------------------------------------------
class LossStateView(QWidget):
    """||dL_t/dh_s||: rows are loss steps t, columns hidden states s <= t (log colour)."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.state = session, session.state
        self.row: int | None = None  # selected loss step, 0-based
        self.image_data = np.zeros((1, 1))  # (T, T) log10 of what is drawn, NaN = blank
        self._syncing = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        pick = QLabel("loss step t:")
        self.row_box = QSpinBox()
        self.readout = QLabel()
        self.caption = QLabel()
        for w in (pick, self.row_box, self.readout, self.caption):
            w.setFont(pu.font())
        self.row_box.setToolTip("Pick the step whose loss you follow back (or click a row)")
        self.row_box.valueChanged.connect(lambda v: self.select_row(v - 1))
        self.caption.setWordWrap(True)
        top.addWidget(pick)
        top.addWidget(self.row_box)
        top.addWidget(self.readout, 1)
        layout.addLayout(top)
        self._build_plots()
        layout.addWidget(self.view, 1)
        layout.addWidget(self.caption)

    def _build_plots(self) -> None:
        self.view = pg.GraphicsLayoutWidget()
        self.view.setMinimumSize(320, 260)
        self.row_axis, self.col_axis = pu.IndexAxis("left"), pu.IndexAxis("bottom")
        heat = self.view.addPlot(
            row=0, col=0, axisItems={"left": self.row_axis, "bottom": self.col_axis}
        )
        pu.style_plot(heat, left="loss at step t", bottom="hidden state s")
        heat.invertY(True)
        heat.setMouseEnabled(x=False, y=False)
        self.blank = QGraphicsPathItem()  # rows without a loss: plain grey
        self.blank.setBrush(QBrush(QColor(*pu.faded(pu.FAINT, 0.35))))
        self.blank.setPen(pu.pen(pu.faded(pu.FAINT, 0.35), 0))
        self.image = pg.ImageItem(axisOrder="row-major")
        self.discarded = QGraphicsPathItem()  # what truncated BPTT throws away
        self.discarded.setBrush(hatch((20, 20, 20), Qt.BrushStyle.FDiagPattern))
        self.discarded.setPen(pu.pen(pu.HIGHLIGHT, 2.5, style=Qt.PenStyle.DashLine))
        self.row_frame = QGraphicsRectItem()
        self.row_frame.setPen(pu.pen(pu.HIGHLIGHT, 3))
        self.cursor_line = pu.CursorLine()
        heat.addItem(self.image)
        for z, item in enumerate((self.blank, self.discarded, self.row_frame, self.cursor_line)):
            item.setZValue(z + 5 if item is not self.cursor_line else 20)
            heat.addItem(item, ignoreBounds=True)
        self.color_bar = log_color_bar("‖∂L_t/∂h_s‖")
        self.view.addItem(self.color_bar, row=0, col=1)
        line = self.view.addPlot(
            row=1, col=0, axisItems={"left": LogAxis("left"), "bottom": pu.IndexAxis("bottom")}
        )
        pu.style_plot(line, left="‖∂L_t/∂h_s‖", bottom="hidden state s · token")
        line.setXLink(heat)
        line.setMouseEnabled(x=False, y=False)
        self.row_title = pu.live_title(line)
        self.row_region = pg.LinearRegionItem(
            movable=False,
            brush=hatch(pu.faded(pu.theme_rgb(), 0.6)),
            pen=pu.pen(pu.HIGHLIGHT, 2.5, style=Qt.PenStyle.DashLine),
        )
        self.row_curve = pg.PlotDataItem(
            pen=pu.pen(pu.HIGHLIGHT, 2), symbol="o", symbolSize=7, symbolBrush=pu.HIGHLIGHT
        )
        self.row_cursor = pu.CursorLine()
        for item in (self.row_region, self.row_curve, self.row_cursor):
            line.addItem(item, ignoreBounds=item is not self.row_curve)
        for item in (self.cursor_line, self.row_cursor):
            item.sigPositionChanged.connect(self._on_line_moved)
        for plot in (heat, line):
            plot.getAxis("left").setWidth(96)  # the two plots share their x pixels
        self.view.ci.layout.setRowStretchFactor(0, 3)
        self.view.ci.layout.setRowStretchFactor(1, 2)
        self.plots = {"heatmap": heat, "row": line}
        self.view.scene().sigMouseClicked.connect(self._on_clicked)

    # -- state -> widgets -------------------------------------------------------
    def rebuild(self) -> None:
        analysis = self.state.analysis
        trace, tokens = analysis.trace, analysis.built.tokens
        T, M, scored = trace.length, trace.loss_to_state, trace.sample.scored
        shown = np.tril(np.ones((T, T), dtype=bool)) & scored[:, None]  # s <= t, t scored
        self.image_data = np.where(shown, log10(M), np.nan)  # (T, T)
        self.levels = decades(self.image_data)
        self.image.setImage(self.image_data, levels=self.levels, lut=SEQUENTIAL_LUT)
        self.image.setRect(QRectF(0.5, 0.5, T, T))
        self.color_bar.setLevels(values=self.levels)
        names = [pu.display_token(tok) for tok in tokens]
        self.row_axis.set_labels([f"{t + 1} {n}" for t, n in enumerate(names)])
        self.col_axis.set_labels([str(t + 1) for t in range(T)])
        self.plots["row"].getAxis("bottom").set_labels(
            [f"{n}\n{t + 1}" for t, n in enumerate(names)]
        )
        heat = self.plots["heatmap"]
        heat.setRange(xRange=(0.5, T + 0.5), yRange=(0.5, T + 0.5), padding=0)
        self.blank.setPath(_rows_path([t for t in range(T) if not scored[t]], T))
        self._build_truncation(T, trace.config.truncation)
        for line in (self.cursor_line, self.row_cursor):
            line.setBounds((1, T))
        self.row_box.blockSignals(True)
        self.row_box.setRange(1, T)
        self.row_box.blockSignals(False)
        keep = self.row is not None and self.row < T and scored[self.row]
        last = np.flatnonzero(scored)
        self.select_row(self.row if keep else (int(last[-1]) if last.size else T - 1))
        self.update_cursor()

    def _build_truncation(self, T: int, k: int | None) -> None:
        """TBPTT with k keeps s > t - k: hatch the staircase of cells s <= t - k."""
        path = QPainterPath()
        if k is not None and k < T:
            path.moveTo(0.5, k + 0.5)
            for t in range(k + 1, T + 1):  # row t (1-based) loses columns 1..t - k
                path.lineTo(t - k + 0.5, t - 0.5)
                path.lineTo(t - k + 0.5, t + 0.5)
            path.lineTo(0.5, T + 0.5)
            path.closeSubpath()
        self.discarded.setPath(path)
        self.discarded.setVisible(k is not None and k < T)
        text = (
            "Row t: how much the loss at step t sends back to each earlier hidden state h_s "
            "(log colour). Grey rows carry no loss; above the diagonal a loss "
            "cannot reach a later state."
        )
        if k is not None:
            text += (
                f" Truncated BPTT (k = {k}) keeps only the band t − {k} < s ≤ t; the "
                "hatched cells left of the dashed edge are what it discards."
            )
        self.caption.setText(text)

    def select_row(self, row: int) -> None:
        """Highlight loss step ``row`` (0-based) and show it as the line below."""
        T = self.image_data.shape[0]
        self.row = row = min(max(int(row), 0), T - 1)
        if self.row_box.value() != row + 1:
            self.row_box.setValue(row + 1)  # comes back here once, with the same row
            return
        self.row_frame.setRect(QRectF(0.5, row + 0.5, T, 1.0))
        trace = self.state.analysis.trace
        token = pu.display_token(self.state.analysis.built.tokens[row])
        k = trace.config.truncation
        self.row_region.setVisible(k is not None and row + 1 - k >= 1)
        if k is not None:
            self.row_region.setRegion((0.5, row + 1 - k + 0.5))
        if trace.sample.scored[row]:
            x = np.arange(1, row + 2, dtype=float)
            values = self.image_data[row, : row + 1]
            set_finite(self.row_curve, x, values)
            self.plots["row"].setYRange(*decades(values), padding=0.05)  # this row's decades
            self.row_title.setText(
                f"how much the loss at “{token}” (t = {row + 1}) sends back to each earlier state"
            )
        else:
            self.row_curve.setData([], [])
            self.row_title.setText(f"no loss at “{token}” (t = {row + 1}): this step is not scored")
        self._update_readout()

    def update_cursor(self) -> None:
        self._syncing = True
        try:
            for line in (self.cursor_line, self.row_cursor):
                line.setValue(self.state.cursor + 1)
        finally:
            self._syncing = False
        self._update_readout()

    def _update_readout(self) -> None:
        t, s = self.row, self.state.cursor
        trace = self.state.analysis.trace
        if t is None or s >= trace.length:
            return
        if not trace.sample.scored[t]:
            text = f"step {t + 1} carries no loss"
        elif s > t:
            text = f"the loss at step {t + 1} cannot reach the later state h_{s + 1}"
        else:
            text = f"‖∂L_{t + 1}/∂h_{s + 1}‖ = {pu.full(trace.loss_to_state[t, s])}"
        self.readout.setText(text)

    # -- widgets -> state -------------------------------------------------------
    def _on_line_moved(self, line) -> None:
        if not self._syncing:
            self.session.set_cursor(pu.snap(line.value(), self.image_data.shape[0]))
            self.update_cursor()  # onto the whole step even if the cursor stayed

    def _on_clicked(self, ev) -> None:
        vb = self.plots["heatmap"].vb
        if ev.button() != Qt.MouseButton.LeftButton or not vb.sceneBoundingRect().contains(
            ev.scenePos()
        ):
            return
        p, T = vb.mapSceneToView(ev.scenePos()), self.image_data.shape[0]
        if 0.5 <= p.x() <= T + 0.5 and 0.5 <= p.y() <= T + 0.5:
            self.select_row(pu.snap(p.y(), T))  # the loss step ...
            self.session.set_cursor(pu.snap(p.x(), T))  # ... and the state it reaches


def _rows_path(rows, T: int) -> QPainterPath:
    path = QPainterPath()
    for t in rows:
        path.addRect(QRectF(0.5, t + 0.5, T, 1.0))
    return path


# -- per-parameter gradient norms and their history -----------------------------------
class ParamView(QWidget):
    """Bars: ||dL/dθ|| per parameter and the global totals; lines: the same over training."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = session.state
        self.session = session
        self.values: dict[str, float] = {}  # what the bars show, by label
        self._history: dict[str, np.ndarray] = {}  # step, clipped and log10 norms by name
        self._history_last = None  # the newest snapshot already in ``_history``
        self.curves: dict[str, pg.PlotDataItem] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        layout.addLayout(row, 1)
        # sideways bars: names on the left and values on the right never need thinning
        self.name_axis = pu.IndexAxis("left", elide=None)
        self.value_axis = pu.IndexAxis("right", elide=None)
        self.bars_view = pg.PlotWidget(
            axisItems={
                "left": self.name_axis,
                "bottom": LogAxis("bottom"),
                "right": self.value_axis,
            }
        )
        bars = self.bars_plot = self.bars_view.getPlotItem()
        pu.style_plot(bars, bottom="gradient norm ‖g‖ (log)")
        pu.set_title(bars, "this pass")
        bars.showAxis("right")
        bars.invertY(True)
        bars.setMouseEnabled(x=False, y=False)
        self.bars = pg.BarGraphItem(x0=[0.0], x1=[0.0], y=[1.0], height=0.7)
        bars.addItem(self.bars)
        self.threshold = pg.InfiniteLine(
            angle=90, pen=pu.pen(pu.HIGHLIGHT, 2, style=Qt.PenStyle.DashLine)
        )
        bars.addItem(self.threshold, ignoreBounds=True)
        self.empty = QLabel(EMPTY_HISTORY)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.history_view = pg.PlotWidget(axisItems={"left": LogAxis("left")})
        history = self.history_plot = self.history_view.getPlotItem()
        pu.style_plot(history, left="gradient norm ‖g‖", bottom="training step")
        pu.set_title(history, "during training")
        history.setMouseEnabled(y=False)
        self.legend = history.addLegend(offset=(-8, 8), labelTextSize=f"{pu.FONT_PT}pt")
        self.legend.setBrush(pg.mkBrush(*pu.theme_rgb("background"), 210))  # lines stay readable
        self.history_threshold = pg.InfiniteLine(
            angle=0, pen=pu.pen(pu.HIGHLIGHT, 1.5, style=Qt.PenStyle.DotLine)
        )
        history.addItem(self.history_threshold, ignoreBounds=True)
        self.history_stack = QStackedWidget()
        self.history_stack.addWidget(self.empty)
        self.history_stack.addWidget(self.history_view)
        row.addWidget(self.bars_view, 1)
        row.addWidget(self.history_stack, 1)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        for w in (self.empty, self.caption):
            w.setFont(pu.font())
        layout.addWidget(self.caption)

    def colors(self, name: str) -> tuple[int, int, int]:
        """One colour per parameter, the same in the bars and the history lines."""
        if name == TOTAL_BEFORE:
            return pu.theme_rgb()
        return pu.FAINT if name == TOTAL_AFTER else PARAM_COLORS[name]

    def rebuild(self) -> None:
        trace = self.state.analysis.trace
        clip = trace.clip
        names = [n for n in PARAM_ORDER if n in trace.grad_norms]
        self.values = {n: trace.grad_norms[n] for n in names}
        self.values[TOTAL_BEFORE] = clip.norm_before
        if clip.mode != "off":
            self.values[TOTAL_AFTER] = clip.norm_after
        labels = list(self.values)
        logs = log10(list(self.values.values()))
        lo, hi = decades(logs)
        self.bars.setOpts(
            y=np.arange(1, len(labels) + 1, dtype=float),
            x0=np.full(len(labels), lo),
            x1=np.where(np.isnan(logs), lo, logs),
            brushes=pu.brushes([self.colors(n) for n in labels]),
            pens=[pu.pen((40, 40, 40), 1)] * len(labels),
            height=0.7,
        )
        shown = [pu.fmt(v) for v in self.values.values()]
        for axis, text in ((self.name_axis, labels), (self.value_axis, shown)):
            axis.set_labels(text)
            axis.fit_width(text)
        self.bars_plot.setYRange(0.5, len(labels) + 0.5, padding=0)
        self.bars_plot.setXRange(lo, hi, padding=0.02)
        self.bars_view.setToolTip("\n".join(f"{n}: {pu.full(v)}" for n, v in self.values.items()))
        norm_clip = clip.mode == "norm"
        self.threshold.setVisible(norm_clip)
        if norm_clip:
            self.threshold.setValue(math.log10(clip.threshold))
        self.caption.setText(_clip_words(clip))
        self.update_history()

    def update_history(self) -> None:
        history = self.state.history
        if not history:
            self._reset_history()
            self.history_stack.setCurrentWidget(self.empty)
            return
        self._extend(history)
        self.history_stack.setCurrentWidget(self.history_view)
        settings = self.session.train_settings()
        clipping = settings.clip_mode != "off" or bool(self._history["clipped"].any())
        shown = [k for k in self._history if k not in ("step", "clipped")]
        shown = [k for k in shown if k != TOTAL_AFTER or clipping]
        for name in shown:
            if name not in self.curves:
                self._add_curve(name)
            self.curves[name].setData(*pu.peak_decimate(self._history["step"], self._history[name]))
        self.history_threshold.setVisible(settings.clip_mode == "norm")
        self.history_threshold.setValue(math.log10(settings.clip_threshold))
        self.history_plot.setYRange(*decades(*(self._history[k] for k in shown)), padding=0.02)

    def _reset_history(self) -> None:
        for curve in self.curves.values():
            self.history_plot.removeItem(curve)
        self.legend.clear()
        self._history, self._history_last, self.curves = {}, None, {}

    def _extend(self, history) -> None:
        """Append only the snapshots not seen yet (history only grows during training), so a
        live run at 30 Hz costs the new snapshots, not the whole history, on every frame."""
        n = len(self._history.get("step", ()))
        if n > len(history) or (n and history[n - 1] is not self._history_last):
            self._reset_history()  # weights were reset or another run replaced this one
            n = 0
        new = history[n:]
        names = [k for k in PARAM_ORDER if k in new[0].param_grad_norms]
        chunk = {
            "step": np.array([s.step for s in new], dtype=float),
            "clipped": np.array([s.clipped for s in new], dtype=bool),
            TOTAL_BEFORE: log10([s.grad_norm_before for s in new]),
            TOTAL_AFTER: log10([s.grad_norm_after for s in new]),
            **{k: log10([s.param_grad_norms.get(k, np.nan) for s in new]) for k in names},
        }  # magnitudes kept as log10: what is drawn
        for key, values in chunk.items():
            old = self._history.get(key)
            self._history[key] = values if old is None else np.concatenate([old, values])
        self._history_last = history[-1]

    def _add_curve(self, name: str) -> None:
        total = name in (TOTAL_BEFORE, TOTAL_AFTER)
        style = Qt.PenStyle.DashLine if name == TOTAL_AFTER else Qt.PenStyle.SolidLine
        curve = pg.PlotDataItem(
            pen=pu.pen(self.colors(name), 3 if total else 1.5, style=style),
            name=name,
            connect="finite",  # an overflowed norm leaves a gap
        )
        curve.setZValue(2 if total else 1)
        # 10,000 steps stay cheap to draw: pu.peak_decimate at setData (not pyqtgraph's own)
        self.history_plot.addItem(curve)
        self.curves[name] = curve


def _clip_words(clip) -> str:
    text = (
        f"Pre-clip total norm ‖g‖ = {pu.fmt(clip.norm_before)} "
        "(what PyTorch's clip_grad_norm_ returns)."
    )
    if clip.mode == "off":
        return text + " Clipping is off for this pass."
    how = (
        f"every component limited to [−{pu.fmt(clip.threshold)}, {pu.fmt(clip.threshold)}]"
        if clip.mode == "value"
        else f"rescaled to length {pu.fmt(clip.threshold)} if longer"
    )
    done = "clipped" if clip.clipped else "nothing to clip"
    return (
        text + f" After {clip.mode} clipping ({how}): ‖g‖ = {pu.fmt(clip.norm_after)}, {done}, "
        f"cos(raw, clipped) = {pu.fmt(clip.cosine)}."
    )
