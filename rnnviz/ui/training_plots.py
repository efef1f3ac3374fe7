"""Live training plots, drawn from ``state.history`` (the engine's Snapshots) only.

Four plots share one x axis, the update number k = 1 .. len(history):

* loss L_k (thin) and its exponential moving average (thick),
      s_1 = L_1,   s_k = 0.9 s_{k-1} + 0.1 L_k
  (non-finite losses are skipped by the average and left as gaps); the y axis
  switches to a log scale on its own once the losses span three decades
  (an exploding run), unless the learner chose a scale;
* the global gradient norm ||g|| before and after clipping, log scale, with
  the clipping threshold as a dashed line and the share of clipped updates;
* the accuracy on the whole training set after each update;
* each parameter's raw gradient norm ||dL/dW||, log scale (what PyTorch's
  ``clip_grad_norm_`` reports is the global, pre-clip one above).

Axes are sized for their tick font (presenter mode enlarges it): the left
axis width grows with it, and the label of the last update may reach a
little past the end of the x axis instead of being dropped.

Log axes map zeros and non-finite values to gaps (pyqtgraph draws NaN as a
break), so a gradient of exactly 0 is hidden rather than drawn at -inf.
Redraws are incremental: when the history only grew, just the new snapshots
are read, so a 10,000-step run costs the same per frame as a short one.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from . import plot_util as pu

EMA = 0.9  # weight of the past in the smoothed loss (TensorBoard's default smoothing is 0.6-0.9)
COMPACT_WIDTH = 480  # narrower than this: loss and gradient norm only, one above the other
COMPACT_HEIGHT = 420  # lower than this: loss and gradient norm only, side by side
LOG_SPAN = 1e3  # losses spanning more than this factor are drawn on a log scale
EMPTY = (
    "<p style='font-size:14pt'><b>Press Train to start</b></p>"
    "<p>The loss, the gradient norm before and after clipping, the accuracy and each "
    "weight's gradient norm will appear here, one point per update.</p>"
)
RAW_RGB, SMOOTH_RGB = (125, 160, 205), pu.ACCENT
BEFORE_RGB, AFTER_RGB = pu.HIGHLIGHT, (0, 158, 115)  # Okabe-Ito vermillion / bluish green
ACCURACY_RGB = (0, 158, 115)  # its own plot, no key: green reads as "right"
STOP_RGB = (204, 0, 0)
AXIS_WIDTH = 58  # the left axes at 10 pt: aligned columns whatever the tick labels
LOG_LABELS = (1, 2, 5, 3, 4, 6, 7, 8, 9)  # within a decade, the labels kept first
LEGEND_OFFSET = (-6, 4)  # the weights' key, from the top right corner of its plot
LEGEND_PADS = (9, 2)  # its padding (pyqtgraph's), and when the plot is short of room


class FittedAxis(pg.AxisItem):
    """An axis sized for its tick font. A left axis is ``AXIS_WIDTH`` wide at 10 pt and
    grows with the font (or the axis title runs into the tick labels); a bottom axis's
    labels may reach past its ends by half a four-digit number, so the label of the
    last update is drawn rather than dropped (pyqtgraph hides any that overhang)."""

    def setTickFont(self, font) -> None:  # noqa: N802 (Qt API)
        super().setTickFont(font)
        font = font if font is not None else pu.font()
        if self.orientation == "left":
            self.setWidth(round(AXIS_WIDTH * font.pointSizeF() / pu.FONT_PT))
        elif self.orientation == "bottom":
            overhang = QFontMetricsF(font).horizontalAdvance("0000") / 2
            self.setStyle(hideOverlappingLabels=round(overhang))

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph API)
        levels = super().tickValues(minVal, maxVal, size)
        if self.orientation != "bottom":
            return levels
        # updates count from 1: a "0" reaching past the start of the axis means nothing
        return [(spacing, [v for v in values if v >= 1]) for spacing, values in levels]

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802, N803 (pyqtgraph API)
        """Less than about two decades: pyqtgraph labels every 2..9 x 10^k and, in a short
        plot or a large font, the labels pile up. Keep the labels that do not overlap (1, 2
        and 5 first); the others become a lower level, labelled only if there is room."""
        levels = super().logTickValues(minVal, maxVal, size, stdTicks)
        if self.orientation != "left" or len(levels) != 1 or levels[0][0] is not None:
            return levels  # whole decades labelled: pyqtgraph thins the rest itself
        values = levels[0][1]
        pixels = size / max(maxVal - minVal, 1e-12)  # per decade
        font = self.style["tickFont"] or pu.font()
        digit = QFontMetricsF(font).capHeight()
        need = max(0.8 * digit, digit - 2)  # digits may touch (as at 10 pt), not pile up
        kept: list[float] = []
        rank = {m: i for i, m in enumerate(LOG_LABELS)}
        for v in sorted(values, key=lambda v: rank.get(round(10 ** (v % 1)), len(rank))):
            if all(abs(v - k) * pixels >= need for k in kept):
                kept.append(v)
        return [(None, sorted(kept)), (None, [v for v in values if v not in kept])]


class HistoryColumns:
    """The history as columns (lists), extended in place when it only grew."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.source: tuple = ()
        self.loss: list[float] = []
        self.ema: list[float] = []
        self.before: list[float] = []
        self.after: list[float] = []
        self.accuracy: list[float] = []
        self.clipped = 0
        self.params: dict[str, list[float]] = {}

    def update(self, history: tuple) -> None:
        n = len(self.source)
        grew = len(history) >= n and (n == 0 or history[n - 1] is self.source[n - 1])
        if not grew:
            self.clear()
            n = 0
        for snap in history[n:]:
            self._append(snap)
        self.source = history

    def _append(self, snap) -> None:
        k = len(self.loss)
        loss = float(snap.loss)
        last = self.ema[-1] if self.ema else math.nan
        if math.isfinite(loss):  # the average skips a blown-up loss instead of becoming nan
            last = loss if math.isnan(last) else EMA * last + (1 - EMA) * loss
        self.loss.append(loss)
        self.ema.append(last if math.isfinite(loss) else math.nan)
        self.before.append(float(snap.grad_norm_before))
        self.after.append(float(snap.grad_norm_after))
        self.accuracy.append(math.nan if snap.accuracy is None else float(snap.accuracy))
        self.clipped += bool(snap.clipped)
        for name in snap.param_grad_norms:
            self.params.setdefault(name, [math.nan] * k)
        for name, values in self.params.items():
            values.append(float(snap.param_grad_norms.get(name, math.nan)))


def _finite(values: list[float]) -> np.ndarray:
    """Non-finite values become NaN: a gap in the line, never a point at infinity."""
    a = np.asarray(values, dtype=float)
    return np.where(np.isfinite(a), a, np.nan)


def _key(rgb, label: str, dashed: bool = False) -> str:
    mark = "╍╍" if dashed else "━━"
    color = "#" + "".join(f"{int(c):02x}" for c in rgb)
    label = label.replace(" ", "&nbsp;")  # lines break between entries, never inside one
    return f"<span style='color:{color}'><b>{mark}</b></span>&nbsp;{label}"


def _legend(after: bool, clip_mode: str) -> str:
    """The key of the loss and gradient-norm curves (only what is drawn)."""
    loss = [_key(RAW_RGB, "raw"), _key(SMOOTH_RGB, f"smoothed (EMA {EMA:g})")]
    norm = [_key(BEFORE_RGB, "before clipping")]
    if after:
        norm.append(_key(AFTER_RGB, "after"))
    if clip_mode != "off":
        norm.append(_key(pu.theme_rgb(), "threshold", dashed=True))
    # the spaces between entries may wrap, and the two groups say which plot they key
    return (
        "<b>loss</b> " + " &nbsp;".join(loss) + " &nbsp;&nbsp; <b>‖g‖</b> " + " &nbsp;".join(norm)
    )


class TrainingPlots(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.columns = HistoryColumns()
        self.threshold: tuple[str, float] = ("off", 1.0)
        self._log_chosen = False  # the learner ticked/unticked "log scale" themselves
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack)
        self.empty_label = QLabel(EMPTY)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setFont(pu.font())
        self.empty_label.setMargin(24)
        self.stack.addWidget(self.empty_label)
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        self.log_check = QCheckBox("log scale for the loss")
        self.log_check.setFont(pu.font())
        self.log_check.toggled.connect(self._on_log_toggled)
        # the curves' key sits above the plots, where it can never hide a curve
        self.legend = QLabel()
        self.legend.setFont(pu.font())
        self.legend.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.log_check)
        row.addSpacing(12)
        row.addWidget(self.legend, 1)
        box.addLayout(row)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setMinimumSize(320, 260)
        box.addWidget(self.view, 1)
        self.stack.addWidget(page)
        self.mode = "grid"  # how the plots are laid out (see _arrange)
        self._few: bool | None = None  # the x axes tick every update (short runs)
        self._threshold_shown: tuple | None = None
        self._legend_fit: tuple = ()  # (entry height, entries, columns, padding) of the key
        self._build_plots()

    # -- building -------------------------------------------------------------
    def _plot(
        self, row: int, col: int, left: str, log: bool = False, legend: bool = False
    ) -> pg.PlotItem:
        axes = {side: FittedAxis(side) for side in ("left", "bottom")}
        plot = self.view.addPlot(row=row, col=col, axisItems=axes)
        pu.style_plot(plot, left=left, bottom="update")  # 10 pt ticks: the fitted sizes
        plot.setLogMode(y=log)
        # no grid: redrawing its (log-minor) lines every frame would double the paint cost
        if legend:
            brush = (*pu.theme_rgb("background"), 170)  # curves stay visible behind it
            plot.addLegend(offset=LEGEND_OFFSET, labelTextSize=f"{pu.FONT_PT}pt", brush=brush)
            plot.vb.sigResized.connect(self._fit_legend)
        return plot

    @staticmethod
    def _curve(plot: pg.PlotItem, rgb, width: float, name: str | None = None, style=None):
        pen = pu.pen(rgb, width, style=style or Qt.PenStyle.SolidLine)
        item = pg.PlotDataItem([], [], pen=pen, name=name, connect="finite")
        plot.addItem(item)
        return item

    def _build_plots(self) -> None:
        self.loss_plot = self._plot(0, 0, "loss")
        self.loss_raw = self._curve(self.loss_plot, RAW_RGB, 1, "loss")
        self.loss_smooth = self._curve(self.loss_plot, SMOOTH_RGB, 2.5, "smoothed (EMA 0.9)")
        self.loss_title = pu.live_title(self.loss_plot)
        self.norm_plot = self._plot(0, 1, "‖g‖ (log)", log=True)
        self.norm_before = self._curve(self.norm_plot, BEFORE_RGB, 1.5, "before clipping")
        self.norm_after = self._curve(self.norm_plot, AFTER_RGB, 2, "after clipping")
        self.norm_title = pu.live_title(self.norm_plot)
        self.threshold_line = pg.InfiniteLine(
            angle=0,
            pen=pu.pen(pu.theme_rgb(), 1.5, style=Qt.PenStyle.DashLine),
            label="threshold",
            labelOpts={
                "position": 0.12,
                "color": pu.theme_rgb(),
                "fill": (*pu.theme_rgb("background"), 200),  # the dash never crosses the text
                "anchors": [(0, 1), (0, 1)],
            },
        )
        self.norm_plot.addItem(self.threshold_line, ignoreBounds=True)
        self.accuracy_plot = self._plot(1, 0, "accuracy")
        self.accuracy_plot.setYRange(-0.02, 1.04, padding=0)
        self.accuracy_plot.getAxis("left").setTicks(
            [[(v, f"{v:g}") for v in (0, 0.25, 0.5, 0.75, 1)]]
        )
        self.accuracy_plot.setMouseEnabled(y=False)
        self.accuracy_curve = self._curve(self.accuracy_plot, ACCURACY_RGB, 2)
        self.accuracy_title = pu.live_title(self.accuracy_plot)
        self.params_plot = self._plot(1, 1, "‖dL/dW‖ (log)", log=True, legend=True)
        self.params_title = pu.live_title(self.params_plot)  # a fixed title would set a width
        self.param_curves: dict[str, pg.PlotDataItem] = {}
        for plot in (self.norm_plot, self.accuracy_plot, self.params_plot):
            plot.setXLink(self.loss_plot)
        self.stop_lines = []
        for plot in (self.loss_plot, self.norm_plot, self.accuracy_plot, self.params_plot):
            line = pg.InfiniteLine(
                angle=90,
                pen=pu.pen(STOP_RGB, 2, style=Qt.PenStyle.DashLine),
                label="stopped" if plot is self.loss_plot else None,
                labelOpts={
                    "position": 0.9,
                    "color": STOP_RGB,
                    "fill": (*pu.theme_rgb("background"), 200),
                    "anchors": [(1, 0), (1, 0)],
                },
            )
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self.stop_lines.append(line)
        grid = self.view.ci.layout
        for col in (0, 1):  # two equal columns whatever the titles and legends hold
            grid.setColumnStretchFactor(col, 1)
            grid.setColumnPreferredWidth(col, 10)

    def _arrange(self, mode: str) -> None:
        """ "grid": 2 x 2; a narrow dock ("column") or a short one ("row") shows the loss
        and the gradient norm only (the status line still gives the accuracy)."""
        self.mode = mode
        # the Qt grid itself: pyqtgraph's removeItem also takes a plot out of the scene,
        # and presenter mode (which restyles what is in the scene) would miss it
        grid = self.view.ci.layout
        places = {
            self.loss_plot: (0, 0),
            self.norm_plot: {"grid": (0, 1), "row": (0, 1), "column": (1, 0)}[mode],
            self.accuracy_plot: (1, 0) if mode == "grid" else None,
            self.params_plot: (1, 1) if mode == "grid" else None,
        }
        in_grid = {id(grid.itemAt(i)) for i in range(grid.count())}
        for plot in places:
            if id(plot) in in_grid:
                grid.removeItem(plot)
        for plot, place in places.items():
            plot.setVisible(place is not None)
            if place is not None:
                grid.addItem(plot, *place)
        grid.activate()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        size = event.size()
        mode = (
            "column"
            if size.width() < COMPACT_WIDTH
            else "row"
            if size.height() < COMPACT_HEIGHT
            else "grid"
        )
        if mode != self.mode:
            self._arrange(mode)
        QTimer.singleShot(0, self._refit_titles)  # after the plots have their new widths

    def _refit_titles(self) -> None:
        for item in (self.loss_title, self.norm_title, self.accuracy_title, self.params_title):
            if item.toolTip():
                pu.set_live_title(item, item.toolTip())

    # -- updates ---------------------------------------------------------------
    def set_history(
        self, history: tuple, clip_mode: str, clip_threshold: float, x_end: int | None = None
    ) -> None:
        """Redraw from the history and the clipping settings that draw the threshold.

        ``x_end``: where the running training will end (the x axis is laid out for the
        whole run, so it does not change every frame); None fits the axis to the history.
        """
        self.threshold = (clip_mode, float(clip_threshold))
        self.stack.setCurrentIndex(1 if history else 0)
        if not history:
            self.columns.clear()
            self._log_chosen = False
            return
        self.columns.update(history)
        x = np.arange(1, len(history) + 1, dtype=float)
        few = len(x) < 8  # whole update numbers only, even for 3 updates
        if few != self._few:  # (changing an axis throws its cached drawing away: rarely)
            self._few = few
            for plot in (self.loss_plot, self.norm_plot, self.accuracy_plot, self.params_plot):
                plot.getAxis("bottom").setTickSpacing(*((1, 1) if few else ()))
        self._update_loss(x)
        self._update_norms(x)
        self._update_accuracy(x)
        self._update_params(x)
        stopped = history[-1].stopped is not None
        for line in self.stop_lines:
            line.setVisible(stopped)
            line.setValue(len(history))
        # during a run the x axis spans the whole run: an axis that does not change is not
        # redrawn (set last: switching the loss to a log scale turns auto-range back on)
        end = max(len(x), x_end or 0)
        self.loss_plot.setXRange(0.5 if end > 1 else 0, end + 0.5, padding=0.02)

    def _update_loss(self, x: np.ndarray) -> None:
        c = self.columns
        loss = _finite(c.loss)
        # long runs: each bin keeps its extremes, so a single exploding step stays visible
        self.loss_raw.setData(*pu.peak_decimate(x, loss))
        self.loss_smooth.setData(*pu.peak_decimate(x, _finite(c.ema)))
        if not self._log_chosen:
            good = loss[np.isfinite(loss) & (loss > 0)]
            wide = bool(good.size > 1 and good.max() > LOG_SPAN * good.min())
            if wide != self.log_check.isChecked():
                self.log_check.blockSignals(True)
                self.log_check.setChecked(wide)
                self.log_check.blockSignals(False)
                self._set_loss_log(wide)
        last = c.loss[-1]
        text = (
            f"loss {pu.fmt(last)} · smoothed {pu.fmt(c.ema[-1])}"
            if math.isfinite(last)
            else f"loss: {pu.fmt(last)} at update {len(x)}"
        )
        pu.set_live_title(self.loss_title, text)

    def _update_norms(self, x: np.ndarray) -> None:
        c = self.columns
        mode, threshold = self.threshold
        self.norm_before.setData(*pu.peak_decimate(x, _finite(c.before)))
        # with clipping off the two curves coincide: draw "after" only when it can differ
        show_after = mode != "off" or c.clipped > 0
        after = _finite(c.after) if show_after else np.full(len(x), np.nan)
        self.norm_after.setData(*pu.peak_decimate(x, after))
        self.legend.setText(_legend(show_after, mode))
        self.threshold_line.setVisible(mode != "off")
        if mode != "off" and self._threshold_shown != self.threshold:
            self._threshold_shown = self.threshold
            self.threshold_line.setValue(math.log10(threshold))
            self.threshold_line.label.setFormat(
                f"threshold {pu.fmt(threshold)}"
                if mode == "norm"
                else f"±{pu.fmt(threshold)} per component (value clipping)"
            )
        n = len(x)
        pu.set_live_title(
            self.norm_title,
            f"clipped: {c.clipped} of {n} updates ({100 * c.clipped / n:.0f}%)",
        )

    def _update_accuracy(self, x: np.ndarray) -> None:
        acc = _finite(self.columns.accuracy)
        self.accuracy_curve.setData(*pu.peak_decimate(x, acc))
        if np.isnan(acc).all():
            text = "accuracy: none for a regression"
        else:
            text = f"accuracy (training set) {100 * acc[np.isfinite(acc)][-1]:.1f}%"
        pu.set_live_title(self.accuracy_title, text)

    def _update_params(self, x: np.ndarray) -> None:
        for name in set(self.param_curves) - set(self.columns.params):
            self.params_plot.removeItem(self.param_curves.pop(name))  # a network without it now
        for i, (name, values) in enumerate(self.columns.params.items()):
            curve = self.param_curves.get(name)
            if curve is None:
                rgb = pu.UNIT_COLORS[i % len(pu.UNIT_COLORS)]
                curve = self.param_curves[name] = self._curve(self.params_plot, rgb, 1.5, name)
                label = self.params_plot.legend.items[-1][1]
                label.geometryChanged.connect(self._fit_legend)  # a new size (presenter mode)
                self._fit_legend()
            curve.setData(*pu.peak_decimate(x, _finite(values)))
        pu.set_live_title(self.params_title, "each weight's gradient norm (before clipping)")

    def _fit_legend(self, *_) -> None:
        """More columns for the weights' key when its rows would run off the bottom of the
        plot (large presenter-mode entries in a short plot), as many as fit its width;
        still too big, its padding shrinks (the plot clips what sticks out)."""
        legend = self.params_plot.legend
        if legend is None or not legend.items:
            return
        n = len(legend.items)
        texts = [label.item.boundingRect() for _sample, label in legend.items]
        row = max(max(r.height() for r in texts), 1.0)
        column = max(r.width() for r in texts) + 30  # the line sample and gaps
        width, height = self.params_plot.vb.width(), self.params_plot.vb.height()
        for pad in LEGEND_PADS:  # (the box's far padding may be cut: it has no text)
            rows = max(1, int((height - LEGEND_OFFSET[1] - pad) // row))
            most = max(1, int((width + LEGEND_OFFSET[0] - pad) // column))
            columns = min(-(-n // rows), most)  # never wider than the plot
            if -(-n // columns) <= rows:
                break
        fit = (row, n, columns, pad)
        if fit == self._legend_fit:
            return  # (resizing the box moves its entries, which calls this again)
        self._legend_fit = fit
        legend.layout.setContentsMargins(pad, pad, pad, pad)
        legend.setColumnCount(columns)
        legend.updateSize()  # the box around entries that changed size

    def _on_log_toggled(self, on: bool) -> None:
        self._log_chosen = True
        self._set_loss_log(on)

    def _set_loss_log(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        self.loss_plot.getAxis("left").setLabel("loss (log)" if on else "loss")
