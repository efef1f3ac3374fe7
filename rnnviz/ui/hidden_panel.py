"""Hidden state: the heatmap of h (units x timesteps), h_t as bars, each unit over time.

Three linked plots read one trace:
* heatmap: row u, column t is h_t[u] (``trace.hs``), unit 1 on top, the
  input tokens under the columns, a colour bar, and the movable cursor line;
* bars: the cursor's column h_t drawn sideways, so bar u sits beside row u
  of the heatmap (the two plots share their unit axis);
* lines: every unit's value over time, sharing the heatmap's time axis.

Colour levels. One value has one colour everywhere, so the signed hidden
state always uses the shared diverging map centred on 0 with symmetric
levels (-vmax, vmax): vmax = 1 for tanh (its whole range), and max |h| over
the trace for relu, sigmoid and identity (whose ranges are one-sided or
unbounded; a fixed [0, 1] would hide the sign convention every other panel
uses). ``levels`` holds the pair in use.

Saturation view (tanh only): 1 - h^2 is tanh's derivative f'(z_t), which the
engine already keeps as ``trace.fprime``; near 0 the unit is saturated and
gradients through it die. It is drawn with the sequential map on [0, 1].

Cursor moves only move two lines and refresh the bars; everything else is
rebuilt when the analysis (or the view toggle) changes.

Presenter mode enlarges the tick fonts: the axes measure their labels again in
the font they draw (``FittedIndexAxis``/``FittedValueAxis``), or the labels
would overlap, run into the axis title, or be dropped by pyqtgraph for lack of
room (the h_t values, the timesteps under the lines).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetricsF, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsRectItem,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..session import Session
from . import plot_util as pu
from .colors import DIVERGING_LUT, SEQUENTIAL_LUT, diverging_rgb, sequential_rgb

MAX_VALUE_LABELS = 12  # bar value labels only while they fit
AXIS_WIDTH = 64  # fixed left-axis width so heatmap and lines share their x pixels
HINT = "hover a cell for its exact value · click a cell, bar or line to select its unit"
SATURATION_CAPTION = "where gradients will die: 1 − h² near 0 means tanh is saturated"


class _Fitted:
    """Refits an axis to its tick font whenever it changes (presenter mode)."""

    base_width: int | None = None  # a fixed width at 10 pt, scaled with the font
    followers: tuple = ()  # axes that keep this axis's height (rows that line up)

    def setTickFont(self, font) -> None:  # noqa: N802 (Qt API)
        super().setTickFont(font)
        if not hasattr(self, "_metrics"):
            return  # still in __init__, which measures right after
        font = font if font is not None else pu.font()
        self._metrics = QFontMetricsF(font)
        self._refit()
        if self.base_width is not None:
            self.setWidth(round(self.base_width * font.pointSizeF() / pu.FONT_PT))
        for axis in self.followers:
            axis.setHeight(self.fixedHeight)
        self.picture = None
        self.update()

    def _refit(self) -> None:
        pass


class FittedValueAxis(_Fitted, pu.ValueAxis):
    pass


class FittedIndexAxis(_Fitted, pu.IndexAxis):
    _samples: tuple = ()  # the texts its width was fitted to

    def set_labels(self, labels) -> None:
        super().set_labels(labels)
        if self.orientation in ("left", "right"):
            # unit numbers and values: a row needs a digit's height and a gap, not a whole
            # line (in a short presenter-mode heatmap, "1" and "2" were thinned to "2")
            self._sizes = np.full(max(len(self.labels), 1), self._metrics.capHeight() + 4)

    def fit_width(self, samples) -> None:
        self._samples = tuple(samples)
        super().fit_width(self._samples)

    def _refit(self) -> None:
        labels, self.labels = self.labels, None
        self.set_labels(labels)  # each label's room (and a bottom axis's height) in this font
        if self._samples:
            super().fit_width(self._samples)


class HiddenStatePanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = session.state
        self.levels: tuple[float, float] = (-1.0, 1.0)
        self._values = np.zeros((1, 1))  # (T, H) what is drawn: h or 1 - h^2
        self._syncing = False
        self._build_controls()
        self._build_plots()
        self.state.events.analysis.connect(self._on_analysis_changed)
        self.state.events.cursor.connect(self._on_cursor_changed)
        self.state.events.selected_unit.connect(self._on_selected_unit_changed)
        self._on_analysis_changed(self.state.analysis)

    # -- building -------------------------------------------------------------
    def _build_controls(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.saturation_toggle = QCheckBox("show saturation 1 − h²")
        self.saturation_toggle.setFont(pu.font())
        self.saturation_toggle.toggled.connect(self._on_saturation_toggled)
        self.caption = QLabel(SATURATION_CAPTION)
        self.caption.setFont(pu.font())
        self.caption.setWordWrap(True)
        self.caption.setVisible(False)
        self.readout = QLabel(HINT)
        self.readout.setFont(pu.font())
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # a long read-out is clipped rather than widening the dock
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout()
        row.addWidget(self.saturation_toggle)
        row.addSpacing(12)
        row.addWidget(self.readout, 1)
        layout.addLayout(row)
        layout.addWidget(self.caption)

    def _build_plots(self) -> None:
        self.view = pg.GraphicsLayoutWidget()
        self.view.setMinimumSize(320, 240)
        self.layout().addWidget(self.view, 1)
        self.token_axis = FittedIndexAxis("bottom")
        self.unit_axis = FittedIndexAxis("left")
        heat = self.view.addPlot(
            row=0, col=0, axisItems={"bottom": self.token_axis, "left": self.unit_axis}
        )
        pu.style_plot(heat, left="unit", bottom="input token x_t")
        heat.invertY(True)
        self.heatmap = pg.ImageItem(axisOrder="row-major")
        heat.addItem(self.heatmap)
        self.cursor_line = pu.CursorLine()
        heat.addItem(self.cursor_line, ignoreBounds=True)
        self.selection_box = QGraphicsRectItem()
        self.selection_box.setZValue(15)
        heat.addItem(self.selection_box, ignoreBounds=True)
        self.value_axis = FittedIndexAxis("right", elide=None)  # h_t[u] written beside bar u
        bars = self.view.addPlot(
            row=0,
            col=1,
            axisItems={
                "left": FittedIndexAxis("left"),
                "right": self.value_axis,
                "bottom": FittedValueAxis("bottom"),
            },
        )
        pu.style_plot(bars)
        bars.getAxis("left").setStyle(showValues=False)  # the heatmap's unit labels sit beside it
        self.value_axis.setStyle(showValues=True)
        bars.invertY(True)
        # the title spans the value column too: "t = 3 (“Bootcamps”)" in large presenter text
        # is elided to the plot's width, which a narrow bar plot would cut to "t = 3 (“B…"
        bars.layout.removeItem(bars.titleLabel)
        bars.layout.addItem(bars.titleLabel, 0, 1, 1, 2)
        self.bars_title = pu.live_title(bars)
        bars.setYLink(heat)
        bars.setMouseEnabled(x=False, y=False)
        bars.addItem(pg.InfiniteLine(pos=0, angle=90, pen=pu.pen((90, 90, 90), 1)))
        self.bars = pg.BarGraphItem(x0=[0.0], x1=[0.0], y=[1.0], height=0.8)
        bars.addItem(self.bars)
        # one colour bar for heatmap and bars: they share the colour map and levels
        self.color_bar = pu.color_bar(DIVERGING_LUT, self.levels, "h")
        self.view.addItem(self.color_bar, row=0, col=2)
        lines = self.view.addPlot(
            row=1,
            col=0,
            axisItems={"bottom": FittedIndexAxis("bottom"), "left": FittedValueAxis("left")},
        )
        pu.style_plot(lines, left="h")  # its time axis lines up under the heatmap's
        lines.setXLink(heat)
        lines.setMouseEnabled(y=False)
        self.lines = pu.UnitLines(lines)
        self.lines_cursor = pu.CursorLine()
        lines.addItem(self.lines_cursor, ignoreBounds=True)
        for line in (self.cursor_line, self.lines_cursor):
            line.sigPositionChanged.connect(self._on_line_moved)
            line.sigPositionChangeFinished.connect(self._on_line_moved)
        for plot in (heat, lines):
            plot.getAxis("left").base_width = AXIS_WIDTH
            plot.getAxis("left").setWidth(AXIS_WIDTH)
        self.token_axis.followers = (bars.getAxis("bottom"),)
        grid = self.view.ci.layout
        grid.setColumnStretchFactor(0, 5)
        grid.setColumnStretchFactor(1, 2)
        grid.setRowStretchFactor(0, 3)
        grid.setRowStretchFactor(1, 2)
        self.plot_widgets = {"heatmap": heat, "bars": bars, "lines": lines}
        self.view.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.view.scene().sigMouseMoved.connect(self._on_mouse_moved)

    # -- state -> widgets -----------------------------------------------------
    def _on_analysis_changed(self, analysis) -> None:
        tanh = analysis.trace.config.activation == "tanh"
        self.saturation_toggle.setEnabled(tanh)
        self.saturation_toggle.setToolTip(
            "Show tanh's derivative 1 − h² (the factor every gradient through h_t is multiplied by)"
            if tanh
            else f"Only for tanh: this network uses {analysis.trace.config.activation}"
        )
        if not tanh and self.saturation_toggle.isChecked():
            self.saturation_toggle.setChecked(False)  # rebuilds through the toggle
            return
        self._rebuild()

    def _on_saturation_toggled(self, checked: bool) -> None:
        self.caption.setVisible(checked)
        self._rebuild()

    @property
    def saturation(self) -> bool:
        return self.saturation_toggle.isChecked() and self.saturation_toggle.isEnabled()

    def _view(self, trace):
        """(values (T, H), LUT, levels, name) of what the three plots show."""
        if self.saturation:  # tanh's f'(z_t) = 1 - h_t^2, kept by the engine
            return trace.fprime, SEQUENTIAL_LUT, (0.0, 1.0), "1 − h²"
        vmax = 1.0 if trace.config.activation == "tanh" else pu.symmetric_vmax(trace.hs)
        return trace.hs, DIVERGING_LUT, (-vmax, vmax), "h"

    def _rebuild(self) -> None:
        trace = self.state.analysis.trace
        T, H = trace.hs.shape
        self._values, lut, self.levels, name = self._view(trace)
        self.heatmap.setImage(
            np.ascontiguousarray(self._values.T), levels=self.levels, lut=lut, autoLevels=False
        )  # (H, T): rows are units
        self.heatmap.setRect(QRectF(0.5, 0.5, T, H))
        pu.set_color_bar(self.color_bar, lut, self.levels, name)
        tokens = self.state.analysis.built.tokens
        # tokens only: the lines plot right below numbers the timesteps on the same x
        self.token_axis.set_labels([pu.display_token(tok) for tok in tokens])
        units = [str(u + 1) for u in range(H)]
        for plot in ("heatmap", "bars"):
            self.plot_widgets[plot].getAxis("left").set_labels(units)
        self.plot_widgets["lines"].getAxis("bottom").set_labels([str(t + 1) for t in range(T)])
        heat = self.plot_widgets["heatmap"]
        heat.vb.setLimits(xMin=0.5, xMax=T + 0.5, yMin=0.5, yMax=H + 0.5)
        heat.setRange(xRange=(0.5, T + 0.5), yRange=(0.5, H + 0.5), padding=0)
        for line in (self.cursor_line, self.lines_cursor):
            line.setBounds((1, T))
        bars = self.plot_widgets["bars"].getAxis("bottom")
        bars.setHeight(self.token_axis.fixedHeight)  # bars and heatmap rows line up
        self._build_curves(name)
        self._build_bars(H)
        self._update_cursor()
        self._update_selection()
        if trace.problem:  # overflowed values are drawn empty (NaN) or clipped (inf)
            self.readout.setText(f"⚠ {trace.problem}")

    def _build_curves(self, name: str) -> None:
        lines = self.plot_widgets["lines"]
        self.lines.set_values(self._values)
        lo, hi = self.levels
        lines.setYRange(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), padding=0)
        axis = lines.getAxis("left")
        axis.setLabel(name)
        axis.set_values((lo, (lo + hi) / 2, hi))  # few labels: legible in a short dock

    def _build_bars(self, H: int) -> None:
        bars = self.plot_widgets["bars"]
        bars.showAxis("right", H <= MAX_VALUE_LABELS)  # values only while they stay legible
        if H <= MAX_VALUE_LABELS:
            self.value_axis.fit_width([pu.fmt(v) for v in self._values.ravel()])
        bars.getAxis("bottom").setLabel("1 − h_t²" if self.saturation else "h_t")
        lo, hi = self.levels
        bars.setXRange(lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo), padding=0)
        # few labels, inside the range: they fit even a narrow bar plot
        bars.getAxis("bottom").set_values([lo + f * (hi - lo) for f in (0.25, 0.5, 0.75)])

    def _on_cursor_changed(self, cursor: int) -> None:
        self._update_cursor()

    def _update_cursor(self) -> None:
        t = self.state.cursor
        self._syncing = True
        try:
            self.cursor_line.setValue(t + 1)
            self.lines_cursor.setValue(t + 1)
        finally:
            self._syncing = False
        self._update_bars()

    def _update_bars(self) -> None:
        t = self.state.cursor
        v = np.asarray(self._values[t], dtype=float)  # (H,)
        shown = np.where(np.isfinite(v), v, 0.0)
        lo, hi = self.levels
        rgb = sequential_rgb(shown, lo, hi) if self.saturation else diverging_rgb(shown, hi)
        sel = self.state.selected_unit
        # thin outlines separate a few bars; with many they would paint the bars grey
        other = pu.pen((60, 60, 60), 1) if len(v) <= 24 else QPen(Qt.PenStyle.NoPen)
        pens = [pu.pen(pu.theme_rgb(), 3) if u == sel else other for u in range(len(v))]
        self.bars.setOpts(
            x0=np.minimum(shown, 0.0),
            x1=np.maximum(shown, 0.0),
            y=np.arange(1, len(v) + 1, dtype=float),
            height=0.8,
            brushes=pu.brushes(rgb),
            pens=pens,
        )
        if self.value_axis.isVisible():
            self.value_axis.set_labels([pu.fmt(x) for x in v])
        token = pu.display_token(self.state.analysis.built.tokens[t])
        pu.set_live_title(self.bars_title, f"t = {t + 1} (“{token}”)")

    def _on_selected_unit_changed(self, unit) -> None:
        self._update_selection()
        self._update_bars()

    def _update_selection(self) -> None:
        sel = self.state.selected_unit
        T, H = self._values.shape
        self.selection_box.setVisible(sel is not None)
        self.selection_box.setPen(pu.pen(pu.theme_rgb(), 2, style=Qt.PenStyle.DashLine))
        if sel is not None:
            self.selection_box.setRect(QRectF(0.5, sel + 0.5, T, 1.0))
        self.lines.set_selected(sel)
        name = "1 − h²" if self.saturation else "hidden state h"
        chosen = f" · unit {sel + 1} selected" if sel is not None else ""
        pu.set_title(self.plot_widgets["heatmap"], f"{name}: {H} units × {T} steps{chosen}")

    # -- widgets -> state -----------------------------------------------------
    def _on_line_moved(self, line) -> None:
        if self._syncing:
            return
        t = pu.snap(line.value(), self.state.analysis.length)
        if line.value() != t + 1:
            self._syncing = True
            try:
                line.setValue(t + 1)  # snap to the whole timestep while dragging
            finally:
                self._syncing = False
        self.session.set_cursor(t)

    def _cell_at(self, scene_pos, plot: str):
        """(timestep, unit) 0-based under a scene position in ``plot``, or None."""
        vb = self.plot_widgets[plot].vb
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        T, H = self._values.shape
        if not (0.5 <= p.x() <= T + 0.5 or plot == "bars") or not 0.5 <= p.y() <= H + 0.5:
            return None
        return pu.snap(p.x(), T), pu.snap(p.y(), H)

    def _on_scene_clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        for plot in ("heatmap", "bars"):
            cell = self._cell_at(ev.scenePos(), plot)
            if cell is not None:
                self.session.set_selected_unit(cell[1])
                if plot == "heatmap":
                    self.session.set_cursor(cell[0])
                return
        vb = self.plot_widgets["lines"].vb
        if vb.sceneBoundingRect().contains(ev.scenePos()):
            p = vb.mapSceneToView(ev.scenePos())
            unit = self.lines.unit_near(p.x(), p.y(), tolerance=8 * vb.viewPixelSize()[1])
            if unit is not None:  # a click on a line selects its unit
                self.session.set_selected_unit(unit)

    def _on_mouse_moved(self, scene_pos) -> None:
        cell = self._cell_at(scene_pos, "heatmap")
        if cell is None:
            return
        t, u = cell
        token = self.state.analysis.built.tokens[t]
        name = "1 − h²" if self.saturation else "h"
        self.readout.setText(
            f"unit {u + 1} · t = {t + 1} (“{pu.display_token(token)}”): "
            f"{name} = {pu.full(self._values[t, u])}"
        )
