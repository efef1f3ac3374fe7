"""The input tokens as chips with their ids: how the text became tokens and numbers.

minGPT's ``encode_and_show_work`` in widget form: one chip per timestep, the
token in bold and its vocabulary id in grey; a word outside the vocabulary is
drawn dashed as ``word → <unk> 0``. Clicking a chip moves the cursor there.

Cost model: a chip paints itself (a rounded box and two or three runs of
text) and measures itself with font metrics, once per new text. QLabel chips
with rich text laid out a text document for every size query and paint, and a
text edit at T = 100 spent 12 ms on them; these take about 3 ms. Chips are
pooled: a text edit relabels existing chips, a cursor move restyles two.
"""

from __future__ import annotations

import functools
from html import escape

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPalette, QPen
from PySide6.QtWidgets import QLabel, QLayout, QSizePolicy, QWidget, QWidgetItem

from .timeline_panel import token_text

MAX_CHIPS = 300  # beyond this the chips say "+N more" (the slider still reaches every step)
PAD_X, PAD_Y, RADIUS = 6, 3, 5  # px inside the border
BORDER = 2  # px room for the border: 2 px on the current chip, 1 px on the others


class FlowLayout(QLayout):
    """Lays out items left to right, wrapping to new lines (the Qt flow layout example)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list = []
        self._spacing = spacing
        # the layout asks for every chip's size several times per change: ask once
        self._hints: list | None = None
        self._heights: dict[int, int] = {}
        self.setContentsMargins(0, 0, 0, 0)

    def invalidate(self) -> None:
        self._hints, self._heights = None, {}
        super().invalidate()

    def addItem(self, item) -> None:  # noqa: N802 (Qt API)
        self._items.append(item)

    def addWidget(self, widget: QWidget) -> None:  # noqa: N802
        self.addChildWidget(widget)
        self.addItem(QWidgetItem(widget))

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, i: int):  # noqa: N802
        return self._items[i] if 0 <= i < len(self._items) else None

    def takeAt(self, i: int):  # noqa: N802
        return self._items.pop(i) if 0 <= i < len(self._items) else None

    def expandingDirections(self):  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        if width not in self._heights:
            self._heights[width] = self._arrange(QRect(0, 0, width, 0), apply=False)
        return self._heights[width]

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, apply: bool) -> int:
        x, y, line_height = rect.x(), rect.y(), 0
        if self._hints is None or len(self._hints) != len(self._items):
            # hidden pooled chips take no room
            self._hints = [None if it.isEmpty() else it.sizeHint() for it in self._items]
        for item, hint in zip(self._items, self._hints, strict=True):
            if hint is None:
                continue
            if x + hint.width() > rect.right() + 1 and line_height > 0:
                x, y, line_height = rect.x(), y + line_height + self._spacing, 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y()


@functools.lru_cache(maxsize=8)
def _typeset_key(key: str) -> tuple[dict, dict, float]:
    base = QFont()
    base.fromString(key)
    bold, italic = QFont(base), QFont(base)
    bold.setBold(True)
    italic.setItalic(True)
    fonts = {"bold": bold, "grey": base, "italic": italic}
    metrics = {k: QFontMetricsF(f) for k, f in fonts.items()}
    return fonts, metrics, metrics["grey"].horizontalAdvance(" ")


def _typeset(font: QFont) -> tuple[dict, dict, float]:
    """The three fonts of a chip and their metrics, made once per font (not per paint)."""
    return _typeset_key(font.toString())


class Chip(QWidget):
    """One token: ``token id`` (bold, grey), or ``word → <unk> id`` dashed."""

    sig_clicked = Signal(int)

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self._runs: list[tuple[str, str]] = []  # (text, "bold" | "grey" | "italic")
        self._html = ""
        self._hint: QSize | None = None  # with _xs and _baseline: see _layout
        self._xs: list[float] = []
        self._baseline = 0.0
        self.setProperty("unk", False)
        self.setProperty("current", False)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_token(self, token: str, token_id: int | None, is_unk: bool) -> None:
        shown = token_text(token)
        runs = [(f"{shown} →", "grey"), ("<unk>", "italic")] if is_unk else [(shown, "bold")]
        if token_id is not None:
            runs.append((str(token_id), "grey"))
        if runs != self._runs:
            self._runs, self._html = runs, chip_html(token, token_id, is_unk)
            self._changed()

    def text(self) -> str:
        """What the chip says, as rich text (its accessible name has the plain words)."""
        return self._html

    def set_flag(self, name: str, value: bool) -> None:
        if self.property(name) != value:
            self.setProperty(name, value)
            self.update()  # same size either way: moving the cursor never relayouts the chips

    def _changed(self) -> None:
        self._hint = None
        self.setAccessibleName(" ".join(text for text, _ in self._runs))
        if self.sizeHint() != self.size():
            self.updateGeometry()  # the layout resizes the chip, and a resize repaints it
        else:
            self.update()  # painting now and again after the resize cost twice as much

    # -- measuring and painting ---------------------------------------------
    def _layout(self) -> tuple[QSize, list[float], float]:
        """(size, x of each run, text baseline), measured once per text or font."""
        if self._hint is None:
            fonts, metrics, space = _typeset(self.font())
            xs, x = [], float(PAD_X + BORDER)
            for text, kind in self._runs:
                xs.append(x)
                x += metrics[kind].horizontalAdvance(text) + space
            width = round(x - (space if self._runs else 0.0)) + PAD_X + BORDER
            line = max(m.height() for m in metrics.values())
            height = round(line) + 2 * (PAD_Y + BORDER)
            baseline = (height - line) / 2 + max(m.ascent() for m in metrics.values())
            self._hint, self._xs, self._baseline = QSize(width, height), xs, baseline
        return self._hint, self._xs, self._baseline

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return self._layout()[0]

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        return self.sizeHint()

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt API)
        pal = self.palette()
        _, xs, baseline = self._layout()
        fonts = _typeset(self.font())[0]
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        current, unk = self.property("current"), self.property("unk")
        if current:
            pen = QPen(pal.color(QPalette.ColorRole.Highlight), 2)
        elif unk:
            pen = QPen(pal.color(QPalette.ColorRole.Text), 1, Qt.PenStyle.DashLine)
        else:
            pen = QPen(pal.color(QPalette.ColorRole.Mid), 1)
        p.setPen(pen)
        role = QPalette.ColorRole.AlternateBase if current else QPalette.ColorRole.Base
        p.setBrush(pal.color(role))
        half = pen.widthF() / 2
        p.drawRoundedRect(QRectF(self.rect()).adjusted(half, half, -half, -half), RADIUS, RADIUS)
        ink, grey = (
            pal.color(QPalette.ColorRole.Text),
            pal.color(QPalette.ColorRole.PlaceholderText),
        )
        for (text, kind), x in zip(self._runs, xs, strict=True):
            p.setFont(fonts[kind])
            p.setPen(grey if kind == "grey" else ink)
            p.drawText(QPointF(x, baseline), text)
        p.end()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.FontChange:
            self._hint = None  # presenter mode
            self.updateGeometry()
        super().changeEvent(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.button() == Qt.MouseButton.LeftButton:
            self.sig_clicked.emit(self.index)
        super().mousePressEvent(event)


class TokenChips(QWidget):
    """The input tokens as clickable chips with their ids; ``<unk>`` drawn dashed."""

    sig_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._flow = FlowLayout(self)
        self._chips: list[Chip] = []
        self._more = QLabel()
        self._more.setStyleSheet("color: palette(placeholder-text); font-style: italic;")
        self._flow.addWidget(self._more)  # always the last item
        self._current = -1
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def chips(self) -> list[Chip]:
        """The chips on show, in timestep order."""
        return [c for c in self._chips if not c.isHidden()]

    def set_tokens(self, tokens, ids, unk_id) -> None:
        """tokens as typed, their ids (None for a series), and the id of <unk> (or None)."""
        n = min(len(tokens), MAX_CHIPS)
        if len(self._chips) < n:
            more = self._flow.takeAt(self._flow.count() - 1)  # keep "+N more" last
            while len(self._chips) < n:
                chip = Chip(len(self._chips), self)
                chip.sig_clicked.connect(self.sig_clicked)
                self._chips.append(chip)
                self._flow.addWidget(chip)
            self._flow.addItem(more)
        for t, chip in enumerate(self._chips):
            if t >= n:
                chip.hide()
                continue
            is_unk = ids is not None and unk_id is not None and int(ids[t]) == unk_id
            chip.set_token(tokens[t], None if ids is None else int(ids[t]), is_unk)
            chip.setToolTip(chip_tip(t, tokens[t], ids, is_unk))
            chip.set_flag("unk", is_unk)
            chip.show()
        extra = len(tokens) - n
        self._more.setText(f"+{extra} more (use the slider)")
        self._more.setVisible(extra > 0)
        self._current = -1
        self._flow.invalidate()

    def set_current(self, t: int) -> None:
        if 0 <= self._current < len(self._chips):
            self._chips[self._current].set_flag("current", False)
        self._current = t
        if 0 <= t < len(self._chips) and not self._chips[t].isHidden():
            self._chips[t].set_flag("current", True)


def chip_html(token: str, token_id: int | None, is_unk: bool) -> str:
    id_part = "" if token_id is None else f"&nbsp;<span style='color:gray'>{token_id}</span>"
    if is_unk:
        return (
            f"<span style='color:gray'>{escape(token_text(token))}&nbsp;→</span>&nbsp;"
            f"<i>&lt;unk&gt;</i>{id_part}"
        )
    return f"<b>{escape(token_text(token))}</b>{id_part}"


def chip_tip(t: int, token: str, ids, is_unk: bool) -> str:
    where = f"timestep {t + 1}"
    if ids is None:
        return f"{where}: x = [{token}] (click to move the cursor here)"
    if is_unk:
        return (
            f"{where}: {token!r} is not in the vocabulary, so the network reads <unk> "
            f"(id {int(ids[t])}). Click to move the cursor here."
        )
    return f"{where}: token {token!r} has id {int(ids[t])}. Click to move the cursor here."
