"""Gradient views: how the gradient travels back in time, and where it goes.

A header holds the one thing every view depends on, W_hh's largest singular
value: a badge with the vanishing/exploding condition in plain words
(``trace.condition``, Pascanu, Mikolov & Bengio 2013) and a knob that
rescales W_hh (``session.scale_recurrent``), so one sentence moves from
vanishing to exploding live. Three tabs below it:

* "Through time": ||dL/dh_t|| per step (``trace.dh_norms``) as log-scale bars
  with the shared cursor, and ||dh_T/dh_t|| against the lag T - t
  (``trace.jacobian_log10_norms``) under its bound (gamma sigma_max)^(T-t);
  since ||diag(f') W_hh|| <= gamma sigma_max, each step back can shrink or
  grow the Jacobian by at most that factor.
* "Loss → each state": the T x T matrix ||dL_t/dh_s|| (``gradient_plots``).
* "Parameters": per-parameter norms, the clipping totals, their history.

Only the visible tab is rebuilt when the analysis changes (the others are
marked stale and rebuilt when shown), so ``trace.loss_to_state`` is computed
only if someone looks at it; a cursor move only moves lines.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..session import Session
from . import plot_util as pu
from .colors import sequential_rgb
from .gradient_plots import (
    LogAxis,
    LossStateView,
    ParamView,
    decades,
    log10,
    sci,
    set_finite,
    token_name,
)
from .readout import Readout
from .shown import is_shown

TABS = ("time", "loss", "params")
TAB_TITLES = ("Through time", "Loss → each state", "Parameters")
SIGMA_RANGE = (0.01, 3.0)  # 0 would zero W_hh for good: scaling 0 back up stays 0
SIGMA_SHOWN_MAX = 1000.0  # beyond this (a blown-up run) the badge still says the value
DEBOUNCE_MS = 80
BADGE_STYLE = {  # Okabe-Ito blue / orange: apart for colour-blind readers, not red/green
    "vanishing": "background: #0072B2; color: white;",
    "exploding-possible": "background: #E69F00; color: black;",
}
ACTUAL, BOUND = pu.ACCENT, (110, 110, 110)


class GradientsPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = session.state
        self._stale = set(TABS)
        self._syncing = False
        self._pending_sigma: float | None = None
        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._flush_sigma)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._build_header())
        self.tabs = QTabWidget()
        self.tabs.setFont(pu.font())
        self.views = {
            "time": self._build_time(),
            "loss": LossStateView(session),
            "params": ParamView(session),
        }
        for name, title in zip(TABS, TAB_TITLES, strict=True):
            self.tabs.addTab(self.views[name], title)
        self.tabs.currentChanged.connect(lambda _: self._refresh())
        layout.addWidget(self.tabs, 1)
        self.state.events.analysis.connect(self._on_analysis_changed)
        self.state.events.cursor.connect(self._on_cursor_changed)
        self.state.events.history.connect(self._on_history_changed)
        self.state.events.training.connect(self._on_training_changed)
        self._on_analysis_changed(self.state.analysis)
        self._on_training_changed(self.state.training)

    # -- building -------------------------------------------------------------
    def _build_header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.badge = QLabel()
        self.badge.setWordWrap(True)
        self.badge.setToolTip(
            "Pascanu, Mikolov & Bengio (2013): σ_max(W_hh) < 1/γ is enough for gradients to "
            "vanish; σ_max ≥ 1/γ is needed for them to explode, but does not make them explode. "
            "γ is the largest slope of the activation (1 for tanh, 1/4 for sigmoid)."
        )
        name = QLabel("σ_max(W_hh):")
        self.sigma_slider = QSlider(Qt.Orientation.Horizontal)
        self.sigma_slider.setRange(round(SIGMA_RANGE[0] * 100), round(SIGMA_RANGE[1] * 100))
        self.sigma_slider.setMinimumWidth(160)
        self.sigma_box = QDoubleSpinBox()
        self.sigma_box.setRange(*SIGMA_RANGE)
        self.sigma_box.setSingleStep(0.01)
        self.sigma_box.setDecimals(2)
        self.sigma_slider.valueChanged.connect(lambda v: self._on_sigma_edited(v / 100, "slider"))
        self.sigma_box.valueChanged.connect(lambda v: self._on_sigma_edited(v, "box"))
        self.sigma_slider.sliderReleased.connect(self._flush_sigma)
        self.sigma_box.editingFinished.connect(self._flush_sigma)
        for w in (self.badge, name, self.sigma_slider, self.sigma_box):
            w.setFont(pu.font(11))
        row.addWidget(self.badge, 1)
        for w in (name, self.sigma_slider, self.sigma_box):
            row.addWidget(w)
        return row

    def _build_time(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.time_view = pg.GraphicsLayoutWidget()
        self.time_view.setMinimumSize(320, 220)
        self.token_axis = pu.IndexAxis("bottom")
        dh = self.time_view.addPlot(
            row=0, col=0, axisItems={"bottom": self.token_axis, "left": LogAxis("left")}
        )
        pu.style_plot(dh, left="‖dL/dh_t‖", bottom="input token · t")
        pu.set_title(dh, "gradient reaching each step")
        dh.setMouseEnabled(x=True, y=False)
        self.dh_bars = pg.BarGraphItem(x=[1.0], y0=[0.0], y1=[0.0], width=0.8)
        dh.addItem(self.dh_bars)
        jac = self.time_view.addPlot(row=0, col=1, axisItems={"left": LogAxis("left")})
        pu.style_plot(jac, left="‖∂h_T/∂h_t‖", bottom="lag T − t (steps back from the end)")
        pu.set_title(jac, "how much step t still moves h_T")
        jac.setMouseEnabled(x=True, y=False)
        self.bound_curve = pg.PlotDataItem(pen=pu.pen(BOUND, 2.5, style=Qt.PenStyle.DashLine))
        self.jac_curve = pg.PlotDataItem(
            pen=pu.pen(ACTUAL, 2), symbol="o", symbolSize=6, symbolBrush=ACTUAL, symbolPen=None
        )
        jac.addItem(self.jac_curve)
        jac.addItem(self.bound_curve)  # dashes on top: where the bound is tight both show
        self.dh_cursor, self.jac_cursor = pu.CursorLine(), pu.CursorLine()
        for plot, line in ((dh, self.dh_cursor), (jac, self.jac_cursor)):
            plot.addItem(line, ignoreBounds=True)
            line.sigPositionChanged.connect(self._on_line_moved)
        self.time_plots = {"dh": dh, "jacobian": jac}
        self.time_view.scene().sigMouseClicked.connect(self._on_time_clicked)
        captions = QHBoxLayout()
        self.dh_caption, self.jac_caption, self.time_readout = QLabel(), QLabel(), Readout()
        for label in (self.dh_caption, self.jac_caption, self.time_readout):
            label.setFont(pu.font())
            label.setWordWrap(True)
        captions.addWidget(self.dh_caption, 1)
        captions.addWidget(self.jac_caption, 1)
        layout.addWidget(self.time_view, 1)
        layout.addLayout(captions)
        layout.addWidget(self.time_readout)
        return page

    # -- state -> widgets -----------------------------------------------------
    def _on_analysis_changed(self, analysis) -> None:
        condition = analysis.trace.condition
        self.badge.setText(condition["text"])
        self.badge.setStyleSheet(BADGE_STYLE[condition["verdict"]] + "padding: 4px 8px;")
        sigma = condition["sigma_max"]
        shown = min(sigma, SIGMA_SHOWN_MAX) if math.isfinite(sigma) else SIGMA_RANGE[1]
        lo, hi = SIGMA_RANGE  # widened to show a trained W_hh's true value, not clamp it
        lo, hi = min(lo, math.floor(shown * 100) / 100), max(hi, math.ceil(shown * 100) / 100)
        self._syncing = True  # showing the value must not ask for it
        try:
            self.sigma_box.setRange(lo, hi)
            self.sigma_slider.setRange(round(lo * 100), round(hi * 100))
            self.sigma_box.setValue(shown)
            self.sigma_slider.setValue(round(self.sigma_box.value() * 100))
        finally:
            self._syncing = False
        self.sigma_box.setToolTip(f"σ_max(W_hh) = {pu.full(condition['sigma_max'])}")
        self._stale = set(TABS)
        self._refresh()

    def _on_history_changed(self, history) -> None:
        # History comes with a new analysis (apply_snapshots, reset_weights), which rebuilds
        # the tab right away; the deferred refresh only matters if it ever came alone.
        self._stale.add("params")
        QTimer.singleShot(0, self, self._refresh)  # dropped if the panel is gone

    def _on_training_changed(self, status: str) -> None:
        running = status == "running"
        for w in (self.sigma_slider, self.sigma_box):
            w.setEnabled(not running)
            w.setStatusTip("Pause training to rescale W_hh" if running else "")

    def _current(self) -> str:
        return TABS[self.tabs.currentIndex()]

    def _refresh(self) -> None:
        """Rebuild the visible tab if the analysis changed since it was last drawn."""
        name = self._current()
        if name not in self._stale or not is_shown(self):
            return  # a tab behind another dock: the SVDs wait until it comes to the front
        self._stale.discard(name)
        if name == "time":
            self._rebuild_time()
        else:
            self.views[name].rebuild()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._refresh()

    def on_shown(self, _visible: bool = True) -> None:
        """The window: this panel's dock came to the front."""
        self._refresh()

    def _rebuild_time(self) -> None:
        analysis = self.state.analysis
        trace, spec = analysis.trace, self.state.spec
        T = trace.length
        self.dh_log = log10(trace.dh_norms)  # (T,)
        lo, hi = decades(self.dh_log)
        # colour by magnitude on the axis' decades, as the loss-to-state heatmap does
        rgb = sequential_rgb(np.nan_to_num(self.dh_log, nan=lo), lo, hi)
        self.dh_bars.setOpts(
            x=np.arange(1, T + 1, dtype=float),
            y0=np.full(T, lo),
            y1=np.where(np.isnan(self.dh_log), lo, self.dh_log),
            width=0.8,
            brushes=pu.brushes(rgb),
            pens=[pu.pen((40, 40, 40), 1)] * T,
        )
        tokens = [pu.display_token(tok) for tok in analysis.built.tokens]
        self.token_axis.set_labels([f"{tok}\n{t + 1}" for t, tok in enumerate(tokens)])
        dh = self.time_plots["dh"]
        dh.vb.setLimits(xMin=0.5, xMax=T + 0.5)
        dh.setRange(xRange=(0.5, T + 0.5), yRange=(lo, hi), padding=0.02)
        unit = token_name(spec.level, spec.encoding)
        words = dh_words(trace.dh_norms, tokens, unit, trace.config.truncation)
        self.dh_caption.setText(f"⚠ {trace.problem}." if trace.problem else words)
        self._build_jacobian(trace)
        for line in (self.dh_cursor, self.jac_cursor):
            line.setBounds((1, T) if line is self.dh_cursor else (0, T - 1))
        self._update_cursor()

    def _build_jacobian(self, trace) -> None:
        T = trace.length
        lag = np.arange(T, dtype=float)  # T - t for t = T, T - 1, ..., 1
        actual = trace.jacobian_log10_norms[::-1]  # row i is t = i + 1: reverse to lag order
        actual = np.where(np.isfinite(actual), actual, np.nan)
        factor = trace.gamma * trace.sigma_max  # the most one step back can multiply by
        with np.errstate(divide="ignore"):
            per_step = math.log10(factor) if factor > 0 else -math.inf
        bound = np.where(lag == 0, 0.0, lag * per_step)  # log10 (γ σ_max)^(T−t)
        bound = np.where(np.isfinite(bound), bound, np.nan)
        set_finite(self.jac_curve, lag, actual)
        set_finite(self.bound_curve, lag, bound)
        jac = self.time_plots["jacobian"]
        jac.vb.setLimits(xMin=-0.5, xMax=T - 0.5)
        jac.setRange(xRange=(-0.5, T - 0.5), yRange=decades(actual, bound), padding=0.02)
        a, b = (f"rgb{c}" for c in (ACTUAL, BOUND))
        self.jac_caption.setText(
            f"<span style='color:{a}'>●—</span> actual ‖∂h_T/∂h_t‖ &nbsp; "
            f"<span style='color:{b}'>– –</span> bound (γ·σ_max)<sup>T−t</sup> with "
            f"γ·σ_max = {pu.fmt(factor)}: each step back multiplies by at most "
            f"{pu.fmt(factor)}."
        )

    def _on_cursor_changed(self, cursor: int) -> None:
        if "time" not in self._stale:
            self._update_cursor()
        if "loss" not in self._stale:
            self.views["loss"].update_cursor()

    def _update_cursor(self) -> None:
        t, trace = self.state.cursor, self.state.analysis.trace
        self._syncing = True
        try:
            self.dh_cursor.setValue(t + 1)
            self.jac_cursor.setValue(trace.length - 1 - t)
        finally:
            self._syncing = False
        token = pu.display_token(self.state.analysis.built.tokens[t])
        self.time_readout.setText(
            f"t = {t + 1} (“{token}”): ‖dL/dh_t‖ = {pu.full(trace.dh_norms[t])}, "
            f"‖∂h_T/∂h_t‖ = {jacobian_text(trace, t)}"
        )

    # -- widgets -> state -----------------------------------------------------
    def _on_line_moved(self, line) -> None:
        if self._syncing:
            return
        T = self.state.analysis.length
        value = line.value() if line is self.dh_cursor else T - line.value()  # 1-based t
        self.session.set_cursor(pu.snap(value, T))
        self._update_cursor()  # snap the line onto the step even if the cursor stayed

    def _on_time_clicked(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        T = self.state.analysis.length
        for name, plot in self.time_plots.items():
            if plot.vb.sceneBoundingRect().contains(ev.scenePos()):
                x = plot.vb.mapSceneToView(ev.scenePos()).x()
                self.session.set_cursor(pu.snap(x if name == "dh" else T - x, T))

    def _on_sigma_edited(self, value: float, source: str) -> None:
        if self._syncing:
            return
        self._syncing = True  # keep the twin widget in step without echoing back
        try:
            if source == "slider":
                self.sigma_box.setValue(value)
            else:
                self.sigma_slider.setValue(round(value * 100))
        finally:
            self._syncing = False
        self._pending_sigma = float(value)
        self._debounce.start()  # while dragging: one new analysis per ~80 ms at most

    def _flush_sigma(self) -> None:
        self._debounce.stop()
        value, self._pending_sigma = self._pending_sigma, None
        if value is not None:
            self.session.scale_recurrent(value)


def jacobian_text(trace, t: int) -> str:
    """Full precision; as a power of ten when the norm is beyond float64 but its log is not."""
    norm, log = trace.jacobian_norms[t], trace.jacobian_log10_norms[t]
    if not np.isfinite(norm) and np.isfinite(log):
        return f"10^{float(log)!r}"
    return pu.full(norm)


def dh_words(norms: np.ndarray, tokens, unit: str, truncation: int | None) -> str:
    """The first-vs-last comparison in plain words."""
    if len(norms) < 2:
        return "One step only: nothing travels back in time."
    first, last = float(norms[0]), float(norms[-1])
    where = f"the first {unit} (“{tokens[0]}”)"
    if not (math.isfinite(first) and math.isfinite(last)):
        return "Some gradients overflowed: they are not finite numbers."
    if first == 0:
        cut = f": truncated BPTT (k = {truncation}) cuts it off" if truncation else ""
        return f"No gradient at all reaches {where}{cut}."
    if last == 0:
        return f"The gradient at the last {unit} is exactly 0; {sci(first)} reaches {where}."
    ratio = first / last
    size = f"{sci(ratio)} of" if ratio < 1 else f"{sci(ratio)} times"
    text = f"The gradient that reaches {where} is {size} the one at the last {unit}."
    if truncation:
        text += f" Truncated BPTT: each loss reaches at most {truncation} steps back."
    return text
