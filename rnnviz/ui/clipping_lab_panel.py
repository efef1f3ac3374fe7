"""Clipping lab: the same network trained with no, value and norm clipping, side by side.

Run trains three copies of the session's current weights in lockstep
(``rnnviz.clipping_lab``) in a worker thread; the plots follow at ~30 Hz:
the loss (log), the gradient norm before clipping (log) with the threshold
dashed, the cosine between the raw and the clipped gradient, and each run's
clip rate. Runs differ by colour (Okabe-Ito black / vermillion / blue) and
by line style (solid / dotted / dash-dot), so they stay apart in grey too.
A run that blows up says where, and its curve stops at its last finite step.

The lab is a side experiment: it reads the session (weights, data, training
settings) and never writes to it, except that the demo button loads the
"exploding" preset. ``LabPlots`` draws a ``LabHistory``; the panel owns the
controls and the worker.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .. import clipping_lab as lab
from ..session import Session
from . import plot_util as pu
from .worker import GeneratorRunner

# run -> (colour, line style); black becomes the theme's foreground so it reads on dark too
STYLES = {
    "no clipping": ((0, 0, 0), Qt.PenStyle.SolidLine),
    "value clipping": ((213, 94, 0), Qt.PenStyle.DotLine),
    "norm clipping": ((0, 114, 178), Qt.PenStyle.DashDotLine),
}
THRESHOLD_RGB = (110, 110, 110)
MAX_LAB_STEPS = 100_000
READY = "Ready: the three runs start from the session's current weights."
HELP = "Threshold helper: press Suggest (a short probe run without clipping, or the lab's steps)."
DEMO_READY = (
    "Exploding demo ready: press Run. Without clipping the loss overflows within a few steps; "
    "with value or norm clipping (τ = 1) the same network learns."
)
# plot -> (Snapshot field, title, y label); loss and norm on log scales
PLOTS = {
    "loss": ("loss", "loss before each update (log)", "loss"),
    "norm": ("grad_norm_before", "gradient norm before clipping (log)", "‖g‖"),
    "cosine": ("cosine", "cos(raw, clipped gradient)", "cos"),
}


def run_color(name: str) -> tuple[int, int, int]:
    rgb = STYLES[name][0]
    return pu.theme_rgb() if rgb == (0, 0, 0) else rgb


def run_pen(name: str, width: float = 2.5):
    return pu.pen(run_color(name), width, style=STYLES[name][1])


def swatch(name: str) -> QPixmap:
    """A short sample of the run's line: the legend, beside the run's status."""
    pix = QPixmap(40, 16)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(run_pen(name, 3))
    painter.drawLine(QPointF(2, 8), QPointF(38, 8))
    painter.end()
    return pix


def wrapping_label(text: str) -> QLabel:
    """Wraps to the width it gets, but never widens the dock or asks for more than a line
    when the layout is squeezed (a wrapped QLabel's own minimum assumes a narrow column)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
    label.setMinimumHeight(label.fontMetrics().height())
    return label


class LabPlots(pg.GraphicsLayoutWidget):
    """Loss, gradient norm and cosine per run over the update steps, and the clip rates."""

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(360, 220)
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, dict[str, pg.PlotDataItem]] = {}
        self.markers: dict[str, dict[str, pg.PlotDataItem]] = {}  # where a diverged run ends
        for i, (key, (_, title, label)) in enumerate(PLOTS.items()):
            plot = self.addPlot(row=i // 2, col=i % 2)
            pu.style_plot(plot, left=label, bottom="update step")
            pu.set_title(plot, title)
            plot.setLogMode(y=key != "cosine")
            # long runs are decimated by pu.peak_decimate (pyqtgraph's own crashed PySide6 6.10)
            plot.getAxis("left").setWidth(64)
            if i:
                plot.setXLink(self.plots["loss"])
            self.plots[key] = plot
            self.curves[key] = {n: plot.plot(pen=run_pen(n)) for n in lab.RUNS}
            self.markers[key] = {n: plot.plot(pen=None, symbolSize=16) for n in lab.RUNS}
            for n, marker in self.markers[key].items():
                marker.setSymbolPen(pu.pen(run_color(n), 3))
                marker.setSymbolBrush(pg.mkBrush(run_color(n)))
        fill = (*pu.theme_rgb("background"), 210)
        self.threshold_line = pg.InfiniteLine(
            angle=0,
            pen=pu.pen(THRESHOLD_RGB, 2, style=Qt.PenStyle.DashLine),
            label="τ",
            labelOpts={"position": 0.97, "color": THRESHOLD_RGB, "fill": fill,
                       "anchors": [(1, 1), (1, 1)]},
        )  # fmt: skip
        self.threshold_line.label.setFont(pu.font())
        self.plots["norm"].addItem(self.threshold_line, ignoreBounds=True)
        self.diverged_text = pg.TextItem(anchor=(0, 0))
        self.diverged_text.setFont(pu.font())
        self.plots["loss"].addItem(self.diverged_text, ignoreBounds=True)
        self._build_bars()

    def _build_bars(self) -> None:
        axis = pu.IndexAxis("bottom", [lab.SHORT[n] for n in lab.RUNS])
        plot = self.addPlot(row=1, col=1, axisItems={"bottom": axis})
        pu.style_plot(plot, left="steps clipped")
        pu.set_title(plot, "clip rate: share of updates clipped")
        plot.setMouseEnabled(x=False, y=False)
        plot.setRange(xRange=(0.4, 3.6), yRange=(0, 1.15), padding=0)
        plot.getAxis("left").setTicks([[(v, f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1)]])
        plot.getAxis("left").setWidth(64)
        self.plots["rate"] = plot
        brushes = pu.brushes([run_color(n) for n in lab.RUNS])
        self.bars = pg.BarGraphItem(x=[1, 2, 3], height=[0, 0, 0], width=0.6, brushes=brushes)
        plot.addItem(self.bars)
        self.rate_texts = [pg.TextItem(anchor=(0.5, 1), color=pu.theme_rgb()) for _ in lab.RUNS]
        for i, text in enumerate(self.rate_texts):
            text.setFont(pu.font())
            text.setPos(i + 1, 0)
            plot.addItem(text)

    def show_history(self, history: lab.LabHistory | None, tau: float, steps: int) -> None:
        """Redraw everything from ``history`` (None: empty axes for ``tau`` and ``steps``)."""
        runs = history.runs if history else {}
        cuts = {key: self._fit_log_axis(key, history, tau) for key in ("loss", "norm")}
        for key, (field, _, _) in PLOTS.items():
            for name in lab.RUNS:
                run = runs.get(name)
                x = run.array("step") if run else np.zeros(0)
                y = run.array(field) if run else np.zeros(0)
                self.curves[key][name].setData(*pu.peak_decimate(x, y))
                # a diverged run ends in a cross at its last finite step, or in an
                # arrow on the top edge when that step is off the scale
                end = bool(run and run.stop and len(x))
                cut = cuts.get(key, math.inf)
                marker = self.markers[key][name]
                marker.setData(x[-1:] if end else [], [min(y[-1], cut)] if end else [])
                marker.setSymbol("t1" if end and y[-1] > cut else "x")
        margin = 0.03 * steps + 0.5  # step 1 stays off the axis line
        self.plots["loss"].setXRange(1 - margin, steps + margin, padding=0)  # curves grow
        lows = [float(np.min(r.array("cosine"))) for r in runs.values() if len(r)]
        low = min([v for v in lows if math.isfinite(v)] + [0.9])
        self.plots["cosine"].setYRange(low - 0.02, 1.04, padding=0)
        self.threshold_line.setValue(math.log10(tau))  # y is log10 on a log plot
        self.threshold_line.label.setFormat(f"threshold τ = {pu.fmt(tau)}")
        self._update_diverged_text(runs)
        self._update_bars(runs)

    def _fit_log_axis(self, key: str, history, tau: float) -> float:
        extra = [tau] if key == "norm" else []
        lo, hi, cut = lab.log_view(history, PLOTS[key][0], extra)
        self.plots[key].setYRange(lo, hi, padding=0)
        ticks = lab.log_ticks(lo, hi)
        self.plots[key].getAxis("left").setTicks([ticks, []] if ticks else None)
        return cut

    def _update_diverged_text(self, runs: dict) -> None:
        gone = [r for r in runs.values() if r.stop is not None and len(r)]
        self.diverged_text.setVisible(bool(gone))
        if gone:
            run = gone[0]
            top = self.plots["loss"].vb.viewRange()[1][1]
            self.diverged_text.setColor(run_color(run.name))
            self.diverged_text.setText(f"   {run.name}: diverged at step {run.stop.step + 1}")
            self.diverged_text.setPos(run.last.step, top)  # under the top edge

    def _update_bars(self, runs: dict) -> None:
        rates = [runs[n].clip_rate if n in runs else 0.0 for n in lab.RUNS]
        self.bars.setOpts(height=rates)
        for i, (text, name) in enumerate(zip(self.rate_texts, lab.RUNS, strict=True)):
            text.setText(f"{100 * rates[i]:.4g} %" if name in runs and len(runs[name]) else "")
            text.setPos(i + 1, rates[i])


class ClippingLabPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = session.state
        self.history: lab.LabHistory | None = None
        self.runner: GeneratorRunner | None = None
        self.suggestion: lab.Suggestion | None = None
        self._origin = None  # (spec, current_params) the lab run started from
        self._message = READY
        self.setFont(pu.font())
        QVBoxLayout(self).setContentsMargins(4, 4, 4, 4)
        self._build_controls()
        self._build_helper()
        self._build_status()
        self.plots = LabPlots()
        self.layout().addWidget(self.plots, 1)
        self.state.events.spec.connect(self._on_spec_changed)
        self.state.events.current_params.connect(self._on_current_params_changed)
        QApplication.instance().aboutToQuit.connect(self.shutdown)  # no thread outlives the app
        self._update_all()

    # -- building -------------------------------------------------------------
    def _button(self, text: str, slot, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def _row(self, *widgets, stretch_last: bool = False) -> None:
        row = QHBoxLayout()
        for w in widgets:
            row.addWidget(w, 1 if stretch_last and w is widgets[-1] else 0)
        if not stretch_last:
            row.addStretch(1)
        self.layout().addLayout(row)

    def _build_controls(self) -> None:
        base = self.session.train_settings()
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setDecimals(4)
        self.threshold_spin.setRange(1e-4, 1e6)
        self.threshold_spin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.threshold_spin.setValue(base.clip_threshold)
        self.threshold_spin.setToolTip(
            "τ, shared by value clipping (each component to [−τ, τ]) and norm clipping "
            "(the whole gradient to length ≤ τ)"
        )
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, MAX_LAB_STEPS)
        self.steps_spin.setValue(min(base.steps, MAX_LAB_STEPS))
        self._base_steps = self.steps_spin.value()  # the session's count the box last took
        self.steps_spin.setToolTip("updates per run")
        for spin in (self.threshold_spin, self.steps_spin):
            spin.valueChanged.connect(self._on_setting_changed)
        self.demo_button = self._button(
            "Set up the exploding demo",
            self._on_demo_clicked,
            "Load the 'exploding' preset (linear cell, σ_max(W_hh) = 1.2) with threshold 1: "
            "without clipping training overflows, with either clipping it learns",
        )
        self.run_button = self._button("Run", self._on_run_clicked, "train the three runs")
        self.pause_button = self._button("Pause", self._on_pause_clicked, "pause all three")
        self.stop_button = self._button("Stop", self._on_stop_clicked, "stop, keep the curves")
        self.reset_button = self._button("Reset", self._on_reset_clicked, "clear the lab")
        self.message = wrapping_label(READY)
        tau_label, steps_label = QLabel("   threshold τ"), QLabel("steps")
        self._row(self.demo_button, tau_label, self.threshold_spin, steps_label, self.steps_spin)
        buttons = (self.run_button, self.pause_button, self.stop_button, self.reset_button)
        self._row(*buttons, self.message, stretch_last=True)

    def _build_helper(self) -> None:
        self.suggestion_label = wrapping_label(HELP)
        self.suggest_button = self._button(
            "Suggest",
            self._on_suggest_clicked,
            "½× to 10× the average gradient norm: a rule of thumb from Pascanu, Mikolov & "
            "Bengio (2013), 'On the difficulty of training recurrent neural networks'",
        )
        self.use_low_button = self._button("Use ½×", self._on_use_low_clicked, "the low end")
        self.use_middle_button = self._button(
            "Use middle", self._on_use_middle_clicked, "the middle of the range on a log scale"
        )
        helper = (self.suggest_button, self.use_low_button, self.use_middle_button)
        self._row(*helper, self.suggestion_label, stretch_last=True)

    def _build_status(self) -> None:
        grid = QGridLayout()
        grid.setVerticalSpacing(0)
        grid.setColumnStretch(1, 1)
        self.run_labels: dict[str, QLabel] = {}
        for i, name in enumerate(lab.RUNS):
            legend, label = QLabel(), wrapping_label(name)
            legend.setPixmap(swatch(name))
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(legend, i, 0)
            grid.addWidget(label, i, 1)
            self.run_labels[name] = label
        self.layout().addLayout(grid)

    # -- state -> widgets -----------------------------------------------------
    def _on_setting_changed(self, value) -> None:
        if self.history is None:  # a lab run keeps showing the threshold it used
            self._update_plots()

    def _on_spec_changed(self, spec) -> None:
        steps = min(self.session.train_settings().steps, MAX_LAB_STEPS)
        if steps != self._base_steps:  # another experiment (a preset, a file): its step count
            self._base_steps = steps
            if self.steps_spin.isEnabled():  # never under a run
                self.steps_spin.setValue(steps)
        self._update_message()

    def _on_current_params_changed(self, params) -> None:
        self._update_message()

    def _update_all(self) -> None:
        self._update_plots()
        self._update_runs()
        self._update_buttons()
        self._update_message()

    def _update_plots(self) -> None:
        h = self.history
        tau = h.threshold if h else self.threshold_spin.value()
        steps = max(s.steps for s in h.settings.values()) if h else self.steps_spin.value()
        self.plots.show_history(h, tau, steps)

    def _update_runs(self) -> None:
        runs = self.history.runs if self.history else {}
        for name, label in self.run_labels.items():
            run = runs.get(name)
            started = run is not None and (len(run) or run.stop)
            label.setText(
                ("⚠ " if started and run.stop else "") + (run.summary() if started else name)
            )
            label.setToolTip(run.explanation() if run is not None else "")

    def _update_buttons(self) -> None:
        active = self.runner is not None and (self.runner.running or self.runner.paused)
        paused = self.runner is not None and self.runner.paused
        self.run_button.setText("Resume" if paused else "Run")
        self.run_button.setEnabled(not active or paused)
        self.pause_button.setEnabled(active and not paused)
        self.stop_button.setEnabled(active)
        self.reset_button.setEnabled(active or self.history is not None)
        self.threshold_spin.setEnabled(not active)
        self.steps_spin.setEnabled(not active)
        s = self.suggestion
        self.use_low_button.setEnabled(s is not None)
        self.use_middle_button.setEnabled(s is not None)
        if s is not None:
            self.use_low_button.setText(f"Use {pu.fmt(s.low)}")
            self.use_middle_button.setText(f"Use {pu.fmt(s.middle)}")

    def _update_message(self) -> None:
        text, origin = self._message, self._origin
        if origin and (
            origin[0] is not self.state.spec or origin[1] is not self.state.current_params
        ):
            text += (
                "\nThe session's network has changed since this lab run: Reset and Run to try it."
            )
        self.message.setText(text)

    def _say(self, text: str) -> None:
        self._message = text
        self._update_message()

    # -- widgets -> lab -------------------------------------------------------
    def _weights(self):
        """The session's current weights: trained ones if any, else the spec's."""
        params = self.state.current_params
        return self.state.analysis.built.params if params is None else params

    def _on_run_clicked(self) -> None:
        if self.runner is not None and self.runner.paused:
            self.runner.resume()
            self._say("Running …")
            self._update_buttons()
            return
        self._discard_runner()
        built = self.state.analysis.built
        try:
            base = self.session.train_settings()
            tau, steps = self.threshold_spin.value(), self.steps_spin.value()
            settings = lab.run_settings(base, tau, steps)
            self.history, generator = lab.start(
                self._weights(), built.samples, built.config, settings
            )
        except ValueError as e:
            self._say(f"⚠ {e}")
            return
        self._origin = (self.state.spec, self.state.current_params)
        self.runner = GeneratorRunner(generator, rate_hz=30, parent=self)
        self.runner.sig_items.connect(self._on_items)
        self.runner.sig_finished.connect(self._on_finished)
        self.runner.start()
        self._say("Running …")
        self._update_all()

    def _on_items(self, items: list) -> None:
        self.history.extend(items)
        self._update_plots()
        self._update_runs()
        self._update_buttons()

    def _on_finished(self, outcome: str) -> None:
        steps = self.history.steps
        if outcome.startswith("error"):
            self._say(f"⚠ The lab stopped with an {outcome}")
        else:
            self._say(
                f"Stopped after {steps} steps." if outcome == "stopped" else f"Done: {steps} steps."
            )
        if any(len(r) for r in self.history.runs.values()):
            self._set_suggestion(self.history.suggestion)
        self._update_buttons()

    def _on_pause_clicked(self) -> None:
        if self.runner is None:
            return
        self.runner.pause()
        self._say("Paused: Resume goes on, Stop ends the runs.")
        self._update_buttons()

    def _on_stop_clicked(self) -> None:
        if self.runner is not None:
            self.runner.stop()  # the curves so far stay; sig_finished reports
        self._update_buttons()

    def _on_reset_clicked(self) -> None:
        self._discard_runner()
        self.history, self._origin, self._message = None, None, READY
        self._update_all()

    def _on_demo_clicked(self) -> None:
        self._on_reset_clicked()
        if not self.session.load_preset(lab.DEMO_PRESET):
            self._say(f"⚠ {self.state.error}")
            return
        self.threshold_spin.setValue(lab.DEMO_THRESHOLD)
        self.steps_spin.setValue(min(self.session.train_settings().steps, MAX_LAB_STEPS))
        self._say(DEMO_READY)

    def _on_suggest_clicked(self) -> None:
        if self.history is not None and any(len(r) for r in self.history.runs.values()):
            self._set_suggestion(self.history.suggestion)  # "after a few steps"
            return
        built, base = self.state.analysis.built, self.session.train_settings()
        weights = self._weights()
        self._set_suggestion(lambda: lab.probe(weights, built.samples, built.config, base))

    def _set_suggestion(self, make) -> None:
        try:
            self.suggestion = make()
        except ValueError as e:
            self.suggestion = None
            self.suggestion_label.setText(f"⚠ {e}")
        else:
            s = self.suggestion
            self.suggestion_label.setText(s.text + (f" ⚠ {s.warning}" if s.warning else ""))
            self.suggestion_label.setToolTip(
                f"{s.full_text}\naverage norm {pu.full(s.mean)} over {s.count} steps"
            )
        self._update_buttons()

    def _on_use_low_clicked(self) -> None:
        self.threshold_spin.setValue(self.suggestion.low)

    def _on_use_middle_clicked(self) -> None:
        self.threshold_spin.setValue(self.suggestion.middle)

    # -- the worker -----------------------------------------------------------
    def _discard_runner(self) -> None:
        runner, self.runner = self.runner, None
        if runner is None:
            return
        runner.sig_items.disconnect(self._on_items)  # no late items into a new history
        runner.sig_finished.disconnect(self._on_finished)
        runner.stop()
        runner.wait()
        runner.deleteLater()

    def shutdown(self) -> None:
        """Stop the worker thread (closing the window, tests)."""
        self._discard_runner()
        self._update_buttons()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
