"""The unrolled diagram's toolbar: zoom, Forward/Backward, truncation, legends, caption.

Three rows above the scene:

    − + Fit | Forward Backward | truncate BPTT [off] | cells [h]
    [ ] show all steps   h: ■ −1 ■ 0 ■ +1   ‖grad‖ (log): ■ … ■ …   hover hint / matrix
    TBPTT(k) discards the gradient from earlier steps: ‖discarded‖ = …   (only with k)

Phase and truncation are state: the buttons and the spin box write through the
session and ``sync`` follows the state without echoing it back. Zoom, "show
all steps" and what the cells show are this view's own choices, reported by
signals to the panel.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .colors import diverging_rgb, sequential_rgb
from .diagram_items import fmt
from .diagram_tips import short

MAX_K = 999  # the truncation spin box's range; k >= T is full BPTT anyway


def _swatch(rgb, label: str) -> str:
    return (
        f'<span style="background-color: rgb{tuple(int(c) for c in rgb)}">'
        f"&nbsp;&nbsp;&nbsp;</span>&nbsp;{label}"
    )


class DiagramToolbar(QWidget):
    sig_zoom = Signal(float)  # zoom by this factor
    sig_fit = Signal()
    sig_show_all = Signal(bool)  # "show all steps": no veil over unreached steps
    sig_cells_changed = Signal(str)  # what the cells show in the backward phase: "h" | "dh"

    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 0)
        layout.setSpacing(2)
        layout.addLayout(self._build_buttons())
        layout.addLayout(self._build_legends())
        self.caption = QLabel()  # what truncation discards: only while it is set
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        # the pass in use must read at a glance, in both themes
        self.setStyleSheet(
            "QToolButton:checked { background: palette(highlight); "
            "color: palette(highlighted-text); font-weight: bold; }"
        )

    # -- building -------------------------------------------------------------
    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.zoom_out_button = self._button(row, "−", "Zoom out (Ctrl+wheel)")
        self.zoom_in_button = self._button(row, "+", "Zoom in (Ctrl+wheel)")
        self.fit_button = self._button(row, "Fit", "Show the whole network")
        self.zoom_out_button.clicked.connect(lambda: self.sig_zoom.emit(1 / 1.25))
        self.zoom_in_button.clicked.connect(lambda: self.sig_zoom.emit(1.25))
        self.fit_button.clicked.connect(self.sig_fit.emit)
        row.addSpacing(10)
        self.forward_button = self._button(
            row, "Forward", "Forward pass: the cursor computes h_t from h_{t−1} and x_t"
        )
        self.backward_button = self._button(
            row,
            "Backward",
            "Backward pass: gradients flow from the last step back to the first;\n"
            "arrows are reversed and sized by the gradient they carry (log scale)",
        )
        group = QButtonGroup(self)
        for button, phase in ((self.forward_button, "forward"), (self.backward_button, "backward")):
            button.setCheckable(True)
            group.addButton(button)
            button.clicked.connect(lambda _=False, p=phase: self.session.set_phase(p))
        row.addSpacing(10)
        self.truncation_spin = self._build_spin(row)
        row.addSpacing(10)
        self.cells_combo = self._build_cells(row)
        row.addStretch(1)
        return row

    def _button(self, row: QHBoxLayout, text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        row.addWidget(button)
        return button

    def _build_spin(self, row: QHBoxLayout) -> QSpinBox:
        label = QLabel("truncate BPTT")
        spin = QSpinBox()
        spin.setRange(0, MAX_K)
        spin.setSpecialValueText("off")  # 0 is shown as "off": full backpropagation
        spin.setKeyboardTracking(False)  # typing "12" is one change, not "1" then "12"
        tip = (
            "Truncated BPTT: each loss sends its gradient back at most k steps\n"
            "(off: all the way to the first step)"
        )
        label.setToolTip(tip)
        spin.setToolTip(tip)
        label.setBuddy(spin)
        spin.valueChanged.connect(self._on_spin_changed)
        row.addWidget(label)
        row.addWidget(spin)
        return spin

    def _build_cells(self, row: QHBoxLayout) -> QComboBox:
        self._cells_label = label = QLabel("cells")
        combo = QComboBox()
        combo.addItem("h", "h")
        combo.addItem("∂L/∂h", "dh")
        tip = "In the backward phase, colour the hidden cells by h_t or by the gradient ∂L/∂h_t"
        label.setToolTip(tip)
        combo.setToolTip(tip)
        combo.currentIndexChanged.connect(lambda _: self.sig_cells_changed.emit(self.cells))
        row.addWidget(label)
        row.addWidget(combo)
        return combo

    def _build_legends(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(14)
        self.show_all = QCheckBox("show all steps")
        self.show_all.setToolTip(
            "Do not dim the steps the playhead has not reached yet (forward: later steps, "
            "backward: earlier steps)"
        )
        self.show_all.toggled.connect(self.sig_show_all.emit)
        row.addWidget(self.show_all)
        self.scale_label = QLabel()
        self.scale_label.setToolTip("Colour of a hidden unit's value (the same map in every panel)")
        row.addWidget(self.scale_label)
        self.grad_legend = QLabel()
        self.grad_legend.setToolTip(
            "Backward arrows and rings: colour and width grow with the norm of the gradient "
            "they carry, on a log scale"
        )
        row.addWidget(self.grad_legend)
        self.info = QLabel()
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row.addWidget(self.info, 1)
        return row

    # -- state -> widgets -------------------------------------------------------
    @property
    def cells(self) -> str:
        return self.cells_combo.currentData()

    def sync(self, state) -> None:
        """Follow the state without echoing it back."""
        backward = state.phase == "backward"
        k = state.analysis.trace.config.truncation
        self.truncation_spin.blockSignals(True)
        self.truncation_spin.setValue(0 if k is None else min(k, MAX_K))
        self.truncation_spin.blockSignals(False)
        self.forward_button.setChecked(not backward)
        self.backward_button.setChecked(backward)
        self.cells_combo.setEnabled(backward)
        self._cells_label.setEnabled(backward)

    def set_legends(self, name: str, vmax: float, scale=None) -> None:
        """Three swatches for the cells (-vmax, 0, +vmax); with a gradient ``scale``
        (backward), its smallest, middle and largest norm on the sequential map."""
        cells = [
            _swatch(diverging_rgb(v, vmax), label)
            for v, label in ((-vmax, f"−{fmt(vmax)}"), (0.0, "0"), (vmax, f"+{fmt(vmax)}"))
        ]
        self.scale_label.setText(f"{name}:&nbsp;" + "&nbsp;&nbsp;".join(cells))
        self.grad_legend.setVisible(scale is not None)
        if scale is not None:
            stops = ((0.0, scale.lo), (0.5, (scale.lo * scale.hi) ** 0.5), (1.0, scale.hi))
            swatches = [_swatch(sequential_rgb(p), short(v)) for p, v in stops]
            self.grad_legend.setText("‖grad‖ (log):&nbsp;" + "&nbsp;&nbsp;".join(swatches))

    def set_info(self, text: str) -> None:
        """The hint or the highlighted matrix: in full as a tooltip, elided to fit."""
        self.info.setToolTip(text)
        self._elide_info()

    def set_caption(self, text: str | None, tip: str = "") -> None:
        self.caption.setVisible(text is not None)
        self.caption.setText(text or "")
        self.caption.setToolTip(tip)

    def _elide_info(self) -> None:
        full, width = self.info.toolTip(), max(self.info.width(), 40)
        self.info.setText(
            self.info.fontMetrics().elidedText(full, Qt.TextElideMode.ElideRight, width)
        )

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._elide_info()

    # -- widgets -> state -------------------------------------------------------
    def _on_spin_changed(self, k: int) -> None:
        if not self.session.set_model(truncation=None if k == 0 else int(k)):
            self.sync(self.session.state)  # refused: show the truncation still in use
