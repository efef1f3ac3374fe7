"""The "Show the math" panel: the timestep under the cursor, worked out by hand.

CNN Explainer's idea for RNNs: W_hh·h_{t-1}, W_xh·x_t, + b_h, z_t, h_t, o_t,
y_t and the loss, with the trace's numbers substituted. In the backward phase
the same place shows that step of backpropagation through time instead:
dL/do_t, dL/dh_t (local + carried), f'(z_t), dL/dz_t and the step's share of
each weight gradient. All the text comes from ``rnnviz.mathtext`` and
``rnnviz.mathtext_backward`` (Qt-free); this panel only renders it, follows
the cursor, the phase, the selected unit and the notation, and copies the
plain text. Every cursor move rebuilds one small HTML document (about
2.5 ms at H = 64, where sums are elided beyond 16 terms); a hidden panel
(a tabbed-away dock) only recomputes the text and renders when shown. The
blocks are laid out for the width the browser shows, so nothing needs a
horizontal scroll bar. Hover a number to see it at full precision.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTextBrowser,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from .. import mathtext, mathtext_backward
from ..session import Session
from .colors import diverging_rgb, text_color_for
from .shown import is_shown

FONT_PT = 11
UNIT_HINT = "Choose another unit in the “Unit” box above, or click a unit in another panel."
PRE_INDENT_PX = 12  # the left margin mathtext gives its blocks


def chip_color(value: float) -> tuple[str, str]:
    """(background, text) colours for a hidden value: the app's one diverging map."""
    rgb = diverging_rgb(value, 1.0)
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in rgb)), text_color_for(rgb).name()


class _Browser(QTextBrowser):
    """A text browser that shows full-precision tool tips and copies everything on Ctrl+C."""

    sig_copy_all = Signal()
    sig_resized = Signal()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.sig_resized.emit()

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if event.matches(QKeySequence.StandardKey.Copy) and not self.textCursor().hasSelection():
            self.sig_copy_all.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def viewportEvent(self, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.ToolTip:
            tip = self.tip_at(event.pos())
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def tip_at(self, pos) -> str:
        """The full-precision value of the number at viewport position ``pos``, if any."""
        cursor = self.cursorForPosition(pos)
        after = QTextCursor(cursor)
        after.movePosition(QTextCursor.MoveOperation.Right)
        return after.charFormat().toolTip() or cursor.charFormat().toolTip()


class _ShrinkingCombo(QComboBox):
    """Its whole text when there is room, shortened ("W_xh, W_hh, W…") when there is not:
    with a lesson running, the full row pushed a 1280 px window to 1296 px."""

    def __init__(self) -> None:
        super().__init__()
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(6)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        hint = super().sizeHint()
        widest = max((self.itemText(i) for i in range(self.count())), key=len, default="")
        extra = self.fontMetrics().horizontalAdvance(widest) - self.fontMetrics().horizontalAdvance(
            "x" * self.minimumContentsLength()
        )
        return QSize(hint.width() + max(extra, 0), hint.height())


class MathPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = session.state
        self.worked: mathtext.Worked | None = None
        self._doc: QTextDocument | None = None  # the document this panel made last
        self._retired: QTextDocument | None = None  # the one before: deleted one render later
        self._stale = True  # the browser does not show self.worked yet
        self._max_chars = mathtext.DEFAULT_MAX_CHARS
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self._build_controls())
        layout.addWidget(self._build_browser(), 1)
        for name in ("analysis", "cursor", "phase", "selected_unit", "notation"):
            getattr(self.state.events, name).connect(getattr(self, f"_on_{name}_changed"))
        self._update_controls()
        self._update_text()

    # -- building -------------------------------------------------------------
    def _build_controls(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.phase_combo = QComboBox()  # "forward"/"backward": no label, a narrower row
        self.phase_combo.addItem("forward", "forward")
        self.phase_combo.addItem("backward", "backward")
        self.phase_combo.setToolTip(
            "Forward: how h_t and y_t are computed at the cursor.\n"
            "Backward: how the gradient reaches h_t and what this step adds to each weight's "
            "gradient (the same switch as the diagram's Forward/Backward)"
        )
        self.phase_combo.currentIndexChanged.connect(self._on_phase_combo_changed)
        row.addWidget(self.phase_combo)
        row.addSpacing(8)
        row.addWidget(QLabel("Notation"))
        self.notation_combo = _ShrinkingCombo()
        for key, notation in mathtext.NOTATIONS.items():
            self.notation_combo.addItem(notation.label, key)
        self.notation_combo.setToolTip(
            "The same equations in the names different tutorials use:\n"
            "W_xh, W_hh, W_hy (“hello”, “AI Planet”); U, W, V (Madhu, “Week 4”);\n"
            "W_ax, W_aa, W_ya with a^<t> (Andrew Ng, “Harry Potter”)"
        )
        self.notation_combo.currentIndexChanged.connect(self._on_combo_changed)
        row.addWidget(self.notation_combo)
        row.addSpacing(8)
        self.unit_label = QLabel("Unit")
        self.unit_spin = QSpinBox()
        self.unit_spin.setToolTip("The hidden unit whose row of the matrices is written out")
        self.unit_spin.valueChanged.connect(self._on_spin_changed)
        row.addWidget(self.unit_label)
        row.addWidget(self.unit_spin)
        row.addStretch(1)
        self.copy_button = QToolButton()
        self.copy_button.setText("Copy")
        self.copy_button.setToolTip(
            "Copy the whole worked step as plain text, with full-precision values (Ctrl+C)"
        )
        self.copy_button.clicked.connect(self.copy)
        row.addWidget(self.copy_button)
        # Ctrl+C anywhere in the panel; the browser itself copies a selection if there is one
        shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Copy), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.copy)
        return row

    def _build_browser(self) -> QTextBrowser:
        self.browser = _Browser()
        self.browser.setOpenLinks(False)
        font = QFont(self.browser.font())
        font.setPointSize(FONT_PT)
        self.browser.setFont(font)
        self._font = font
        self.browser.sig_copy_all.connect(self.copy)
        self.browser.sig_resized.connect(self._on_browser_resized)
        self._advance: float | None = None  # measured on first use
        return self.browser

    # -- state -> widget --------------------------------------------------------
    def _on_analysis_changed(self, _analysis) -> None:
        self._update_controls()
        self._update_text()

    def _on_cursor_changed(self, _cursor) -> None:
        self._update_text()

    def _on_selected_unit_changed(self, _unit) -> None:
        self._update_controls()
        self._update_text()

    def _on_notation_changed(self, notation) -> None:
        self._update_controls()
        self._update_text()

    def _on_phase_changed(self, phase) -> None:
        self._update_controls()
        self._update_text()

    def _update_controls(self) -> None:
        """Combo and spin box follow the state without echoing back to the session."""
        H = self.state.analysis.built.params.hidden_size
        unit = self.state.selected_unit
        widgets = (self.phase_combo, self.notation_combo, self.unit_spin)
        for widget in widgets:
            widget.blockSignals(True)
        self.phase_combo.setCurrentIndex(self.phase_combo.findData(self.state.phase))
        self.notation_combo.setCurrentIndex(self.notation_combo.findData(self.state.notation))
        self.unit_spin.setRange(1, H)
        self.unit_spin.setValue(1 if unit is None else unit + 1)
        for widget in widgets:
            widget.blockSignals(False)

    def _update_text(self) -> None:
        s = self.state
        module = mathtext_backward if s.phase == "backward" else mathtext
        self.worked = module.from_analysis(
            s.analysis, s.cursor, s.selected_unit, s.notation,
            max_chars=self._max_chars, unit_hint=UNIT_HINT,
        )  # fmt: skip
        row_mode = not self.worked.full
        self.unit_label.setVisible(row_mode)
        self.unit_spin.setVisible(row_mode)
        self._stale = True
        if is_shown(self):  # a panel tabbed away renders when it is shown again
            self._render()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.on_shown()

    def on_shown(self, _visible: bool = True) -> None:
        """Shown, or (from the window) its dock came to the front of a tab group."""
        if self._stale:
            self._render()

    def _render(self) -> None:
        self._stale = False
        bar = self.browser.verticalScrollBar()
        keep = bar.value()  # stepping through time should not jump back to the top
        # A fresh document lays out once; refilling the shown one relayouts incrementally
        # and costs 3x as much (7 ms vs 2.5 ms at H = 64), which matters while scrubbing.
        doc = QTextDocument(self.browser)
        doc.setDefaultFont(self._font)
        doc.setHtml(self.worked.html(chip_color))
        self.browser.setDocument(doc)  # Qt deletes only the browser's own first document
        # A re-render can happen inside the viewport's resize event (the width decides how
        # many characters fit), and the paint after that event may still touch the
        # document it replaced: deleting that one at once crashed. It goes one render later.
        if self._retired is not None:
            self._retired.deleteLater()
        self._retired, self._doc = self._doc, doc
        bar.setValue(keep)

    # -- widget -> state ------------------------------------------------------
    def _on_combo_changed(self, index: int) -> None:
        key = self.notation_combo.itemData(index)
        if key:
            self.session.set_notation(key)

    def _on_phase_combo_changed(self, index: int) -> None:
        phase = self.phase_combo.itemData(index)
        if phase:
            self.session.set_phase(phase)

    def _on_spin_changed(self, value: int) -> None:
        self.session.set_selected_unit(value - 1)

    # -- copying and sizing -----------------------------------------------------
    def text(self) -> str:
        """The plain text the Copy button puts on the clipboard."""
        return self.worked.text() if self.worked is not None else ""

    def copy(self) -> None:
        QApplication.clipboard().setText(self.text())
        self.copy_button.setText("Copied ✓")
        QTimer.singleShot(1500, self, lambda: self.copy_button.setText("Copy"))

    def _on_browser_resized(self) -> None:
        chars = self._chars_that_fit()
        if chars != self._max_chars:
            self._max_chars = chars
            self._update_text()

    def _chars_that_fit(self) -> int:
        """Monospaced characters per line the browser shows without a horizontal scroll bar."""
        width = self.browser.viewport().width()
        if self.browser.verticalScrollBar().isHidden():  # it may appear once the text is set
            width -= self.browser.verticalScrollBar().sizeHint().width()
        usable = width - 2 * self.browser.document().documentMargin() - PRE_INDENT_PX - 6
        return max(20, math.floor(usable / self._char_width()))

    def _char_width(self) -> float:
        """Width of one character of mathtext's blocks, measured by laying one out."""
        if self._advance is None:
            doc = QTextDocument()
            doc.setDefaultFont(self._font)
            doc.setDocumentMargin(0)
            doc.setHtml(f'<pre style="font-family:{mathtext.MONO}">{"0" * 100}</pre>')
            self._advance = doc.idealWidth() / 100
        return self._advance
