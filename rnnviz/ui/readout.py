"""A text line that changes on every cursor move without relayouting its dock.

``QLabel.setText`` always asks the enclosing layouts to recompute (a
LayoutRequest that walks the whole dock, about 1 ms each) unless the label has
a fixed size, and a fixed size would stop the dock from shrinking. With four
such labels a cursor move spent 3.5 ms on layouts whose result never changed,
a fifth of the 16 ms frame budget.

``Readout`` draws its own text and asks for a new layout only when the room
it needs grows: its size hint is the widest text it has shown and, when it
wraps, the most lines it has needed at that width. Scrubbing back and forth
therefore repaints the line and nothing else, and the panel never jumps. It
offers the small part of QLabel's API the panels use (text, setText,
setWordWrap, wordWrap, font, tool tip; "selectable" text is copied whole
from its context menu).
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QAction, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget

_TALL = 1 << 20  # "no height limit" for measuring wrapped text
WRAP_HINT_CHARS = 60  # a wrapped readout asks for about this many characters per line


class Readout(QWidget):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = text
        self._wrap = False
        self._widest = 0  # px: the widest text shown so far
        self._heights: dict[int, int] = {}  # width -> the most height needed at that width
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setAccessibleName(text)

    # -- the QLabel subset ------------------------------------------------------
    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        if text == self._text:
            return
        before = self._room()
        self._text = text
        self.setAccessibleName(text)
        if self._room() != before:
            self.updateGeometry()  # it needs more room: one relayout, as a QLabel would do
        self.update()

    def wordWrap(self) -> bool:  # noqa: N802 (Qt API)
        return self._wrap

    def setWordWrap(self, on: bool) -> None:  # noqa: N802 (Qt API)
        self._wrap = bool(on)
        policy = self.sizePolicy()
        policy.setHeightForWidth(self._wrap)
        self.setSizePolicy(policy)
        self._forget()

    def setTextInteractionFlags(self, flags) -> None:  # noqa: N802 (Qt API)
        """Selectable text: here a right-click "Copy" that copies the whole line."""
        if flags & Qt.TextInteractionFlag.TextSelectableByMouse and not self.actions():
            copy = QAction("Copy", self)
            copy.triggered.connect(self._copy)
            self.addAction(copy)
            self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def _copy(self) -> None:
        QApplication.clipboard().setText(self._text)

    # -- measuring --------------------------------------------------------------
    def _flags(self) -> int:
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        return int(flags) | (int(Qt.TextFlag.TextWordWrap) if self._wrap else 0)

    def _needed_height(self, width: int) -> int:
        if not self._wrap:
            return self.fontMetrics().height()
        box = self.fontMetrics().boundingRect(
            QRect(0, 0, max(width, 1), _TALL), self._flags(), self._text
        )
        return max(box.height(), self.fontMetrics().height())

    def _room(self) -> tuple:
        """What the layout sees: it only changes when a text needs more than before."""
        self._widest = max(self._widest, self.fontMetrics().horizontalAdvance(self._text) + 1)
        if self._wrap:
            w = self.width()
            self._heights[w] = max(self._heights.get(w, 0), self._needed_height(w))
            return (self._hint_width(), self._heights[w])
        return (self._widest,)

    def _hint_width(self) -> int:
        if not self._wrap:
            return self._widest
        return min(self._widest, WRAP_HINT_CHARS * self.fontMetrics().averageCharWidth())

    def _forget(self) -> None:
        self._widest, self._heights = 0, {}
        self._room()
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        self._room()
        width = self._hint_width()
        return QSize(width, self.heightForWidth(width) if self._wrap else self._needed_height(0))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        if self._wrap:  # like a wrapping QLabel: it can be narrow, and grows taller
            return QSize(8 * self.fontMetrics().averageCharWidth(), self.fontMetrics().height())
        return self.sizeHint()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt API)
        return self._wrap

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt API)
        if not self._wrap:
            return -1
        if len(self._heights) > 512:  # a long drag of the dock's edge
            self._heights = {}
        self._heights[width] = max(self._heights.get(width, 0), self._needed_height(width))
        return self._heights[width]

    # -- drawing ----------------------------------------------------------------
    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        painter.drawText(self.contentsRect(), self._flags(), self._text)
        painter.end()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._forget()  # presenter mode: measure again in the new font
