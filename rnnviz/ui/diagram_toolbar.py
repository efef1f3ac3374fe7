"""The unrolled diagram's toolbar: zoom, Forward/Backward, truncation, legends, caption.

Three rows above the scene:

    − + Fit | Forward Backward | truncate BPTT [off] | cells [h]
    [ ] show all steps   h: ■ −1 ■ 0 ■ +1   ‖grad‖ (log): ■ … ■ …   hover hint / matrix
    TBPTT(k) discards the gradient from earlier steps: ‖discarded‖ = …   (only with k)

Each row wraps like text when the panel is too narrow for it (presenter mode's
large fonts at 1280 pixels): a row that never wraps would widen the window
past the screen.

Phase and truncation are state: the buttons and the spin box write through the
session and ``sync`` follows the state without echoing it back. Zoom, "show
all steps" and what the cells show are this view's own choices, reported by
signals to the panel.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .colors import diverging_rgb, sequential_rgb
from .diagram_items import fmt
from .diagram_tips import short

# the pass in use must read at a glance, in both themes; set on those two buttons only:
# a style sheet on the toolbar would freeze every child's font and palette (presenter mode)
CHECKED_STYLE = (
    "QToolButton:checked { background: palette(highlight); "
    "color: palette(highlighted-text); font-weight: bold; }"
)
MAX_K = 999  # the truncation spin box's range; k >= T is full BPTT anyway


def _swatch(rgb, label: str) -> str:
    return (
        f'<span style="background-color: rgb{tuple(int(c) for c in rgb)}">'
        f"&nbsp;&nbsp;&nbsp;</span>&nbsp;{label}"
    )


class FlowRow(QLayout):
    """Items left to right, ``gap`` pixels apart, wrapping onto a new line when the next
    one does not fit; each line is as tall as its tallest item, the others centred in it.
    With ``stretch_last`` the last item (an eliding label) takes the rest of the line,
    however little: it never adds a line of its own.

    Its minimum width is the whole row's up to ``MAX_MINIMUM`` (the rows at 10 pt), so a
    row of normal text never wraps, as before, and large text wraps instead of asking the
    window for more than a 1280-pixel screen has."""

    LINE_GAP = 2  # between wrapped lines, as between the toolbar's rows
    MAX_MINIMUM = 540

    def __init__(self, gap: int, stretch_last: bool = False) -> None:
        super().__init__()
        self._items: list = []
        self._gap, self._stretch_last = gap, stretch_last
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:  # noqa: N802 (Qt API)
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, i: int):  # noqa: N802 (Qt API)
        return self._items[i] if 0 <= i < len(self._items) else None

    def takeAt(self, i: int):  # noqa: N802 (Qt API)
        return self._items.pop(i) if 0 <= i < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt API)
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt API)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt API)
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt API)
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        widths = [i.sizeHint().width() for i in self._shown()]
        width = sum(widths) + self._gap * max(len(widths) - 1, 0)  # all on one line
        return QSize(width, self.heightForWidth(width))

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt API)
        widest = max((i.minimumSize().width() for i in self._shown()), default=0)
        return QSize(max(widest, min(self.sizeHint().width(), self.MAX_MINIMUM)), 0)

    def _shown(self) -> list:
        return [i for i in self._items if not i.isEmpty()]

    def _is_last(self, item) -> bool:
        return self._stretch_last and item is self._shown()[-1]

    def _place(self, rect: QRect, move: bool) -> int:
        """Lay the items out in ``rect`` (or only measure); returns the height used."""
        right = rect.x() + max(rect.width(), 1)
        lines: list[list] = [[]]
        x = rect.x()
        for item in self._shown():
            w = item.sizeHint().width()  # 0 for the eliding label (size policy Ignored)
            if lines[-1] and x + w > right and not self._is_last(item):
                lines.append([])
                x = rect.x()
            lines[-1].append([item, x, w])
            x += w + self._gap
        y = rect.y()
        for line in lines:
            height = max((i.sizeHint().height() for i, _x, _w in line), default=0)
            for item, x, w in line:
                if self._is_last(item):
                    w = max(right - x, 0)  # the rest of the line
                h = min(height, item.maximumSize().height())
                if move:
                    item.setGeometry(QRect(x, y + (height - h) // 2, w, h))
            y += height + self.LINE_GAP if line is not lines[-1] else height
        return y - rect.y()


def _group(*widgets) -> QWidget:
    """Widgets that stay together on one line of a ``FlowRow``, 2 pixels apart."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(2)
    for w in widgets:
        row.addWidget(w)
    return box


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

    # -- building -------------------------------------------------------------
    def _build_buttons(self) -> FlowRow:
        self.zoom_out_button = self._button("−", "Zoom out (Ctrl+wheel)")
        self.zoom_in_button = self._button("+", "Zoom in (Ctrl+wheel)")
        self.fit_button = self._button("Fit", "Show the whole network")
        self.zoom_out_button.clicked.connect(lambda: self.sig_zoom.emit(1 / 1.25))
        self.zoom_in_button.clicked.connect(lambda: self.sig_zoom.emit(1.25))
        self.fit_button.clicked.connect(self.sig_fit.emit)
        self.forward_button = self._button(
            "Forward", "Forward pass: the cursor computes h_t from h_{t−1} and x_t"
        )
        self.backward_button = self._button(
            "Backward",
            "Backward pass: gradients flow from the last step back to the first;\n"
            "arrows are reversed and sized by the gradient they carry (log scale)",
        )
        group = QButtonGroup(self)
        for button, phase in ((self.forward_button, "forward"), (self.backward_button, "backward")):
            button.setCheckable(True)
            button.setStyleSheet(CHECKED_STYLE)
            group.addButton(button)
            button.clicked.connect(lambda _=False, p=phase: self.session.set_phase(p))
        row = FlowRow(gap=12)  # 2 pixels inside a group, 10 more between groups
        row.addWidget(_group(self.zoom_out_button, self.zoom_in_button, self.fit_button))
        row.addWidget(_group(self.forward_button, self.backward_button))
        row.addWidget(_group(*self._build_spin()))
        row.addWidget(_group(*self._build_cells()))
        return row

    def _button(self, text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        return button

    def _build_spin(self) -> tuple[QLabel, QSpinBox]:
        label = QLabel("truncate BPTT")
        self.truncation_spin = spin = QSpinBox()
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
        return label, spin

    def _build_cells(self) -> tuple[QLabel, QComboBox]:
        self._cells_label = label = QLabel("cells")
        self.cells_combo = combo = QComboBox()
        combo.addItem("h", "h")
        combo.addItem("∂L/∂h", "dh")
        tip = "In the backward phase, colour the hidden cells by h_t or by the gradient ∂L/∂h_t"
        label.setToolTip(tip)
        combo.setToolTip(tip)
        combo.currentIndexChanged.connect(lambda _: self.sig_cells_changed.emit(self.cells))
        return label, combo

    def _build_legends(self) -> FlowRow:
        row = FlowRow(gap=14, stretch_last=True)
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
        row.addWidget(self.info)
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

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # a theme, presenter mode
            for button in (self.forward_button, self.backward_button):
                button.setStyleSheet("")  # a style sheet keeps the palette it was set with:
                button.setStyleSheet(CHECKED_STYLE)  # set it again for the new one

    # -- widgets -> state -------------------------------------------------------
    def _on_spin_changed(self, k: int) -> None:
        if not self.session.set_model(truncation=None if k == 0 else int(k)):
            self.sync(self.session.state)  # refused: show the truncation still in use
