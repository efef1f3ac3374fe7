"""Geometry, text formatting and scene items for the unrolled network diagram.

The diagram has one column per timestep (x_t at the bottom, h_t in the
middle, y_t on top) plus an h_0 column on the left; each h box keeps a line
above its cells for ||dL/dh_t|| in the backward phase. ``Geometry`` is the one
place that knows where things are, so hit-testing a click or a hover is
arithmetic rather than a search through thousands of cell items.

Readability at any zoom: ``LodText`` and ``CellValues`` skip drawing when the
text would be smaller than a few pixels on screen (Qt's level of detail), so a
zoomed-out T = 100 diagram keeps its colours and drops the unreadable numbers.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QStyleOptionGraphicsItem,
)

MATRICES = ("W_xh", "W_hh", "W_hy")
NOTATION_LABELS = {
    "xh": {"W_xh": "W_xh", "W_hh": "W_hh", "W_hy": "W_hy"},
    "uvw": {"W_xh": "U", "W_hh": "W", "W_hy": "V"},
    "ax": {"W_xh": "W_ax", "W_hh": "W_aa", "W_hy": "W_ya"},
}
HIGHLIGHT = QColor(230, 159, 0)  # Okabe-Ito orange: distinct from the blue/red value map
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
MIN_TEXT_PX = 6.0  # below this on-screen size a label is noise, not information
MIN_VALUE_PX = 11.0  # cell values need a cell at least this tall on screen


def sub(n: int) -> str:
    """n as Unicode subscript digits: sub(12) -> '₁₂'."""
    return str(n).translate(_SUB)


def fmt(v: float) -> str:
    """4 significant digits for labels; exact values go to tooltips (``repr``)."""
    return f"{float(v):.4g}"


def vector_text(values) -> str:
    return "[" + ", ".join(fmt(v) for v in values) + "]"


def token_text(token: str) -> str:
    """A token as a person can see it: spaces and newlines made visible."""
    return token.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥")


@functools.lru_cache(maxsize=32)
def font(px: int, bold: bool = False, italic: bool = False) -> QFont:
    f = QFont()
    f.setPixelSize(px)  # scene units are pixels at zoom 1, so sizes scale with the zoom
    f.setBold(bold)
    f.setItalic(italic)
    return f


@functools.lru_cache(maxsize=32)
def metrics(px: int, bold: bool = False, italic: bool = False) -> QFontMetricsF:
    return QFontMetricsF(font(px, bold, italic))


class Geometry:
    """Where every part of the diagram sits, in scene coordinates.

    Column index i: 0 is the h_0 column, i = t + 1 is timestep t (0-based).
    """

    PITCH, CW, LEFT, TOP = 164.0, 112.0, 20.0, 8.0
    TARGET_H, YBOX_H, ARROW_H, XBOX_H, CAPTION_H, NOTE_H, PAD = 38, 58, 44, 58, 24, 24, 6
    HEAD_H = 18  # a line at the top of each h box: ||dL/dh_t|| in the backward phase
    STRIP_FROM = 17  # more hidden units than this: a thin colour strip, no numbers

    def __init__(self, T: int, H: int, scale: float = 1.0) -> None:
        self.T, self.H, self.scale = T, H, scale
        self.strip = H >= self.STRIP_FROM
        if self.strip:
            self.cell_h, self.gap = max(1.0, min(6.0, 240.0 / H)), 0.0
        else:
            self.cell_h, self.gap = (26.0 if H <= 4 else 22.0 if H <= 8 else 18.0), 3.0
        self.value_px = self.px(12 if self.cell_h < 20 else 13)  # the numbers in the cells
        self.cell_x = 8.0 if self.strip else 14.0  # cell inset from the h box sides
        if scale != 1.0:
            self._enlarge(scale)
        self.y_target = self.TOP
        self.y_ybox = self.TOP + self.TARGET_H
        self.y_hbox = self.y_ybox + self.YBOX_H + self.ARROW_H
        self.y_cells = self.y_hbox + self.HEAD_H + self.PAD  # top of the first cell
        self.hbox_h = self.HEAD_H + H * self.cell_h + (H - 1) * self.gap + 2 * self.PAD
        self.y_xbox = self.y_hbox + self.hbox_h + self.ARROW_H
        self.y_caption = self.y_xbox + self.XBOX_H + 4
        self.bottom = self.y_caption + self.CAPTION_H + self.NOTE_H

    def _enlarge(self, s: float) -> None:
        """Presenter mode: text ``s`` times larger. The view fits the diagram's height,
        so only the rows holding text grow a little (else the zoom undoes it); the
        columns widen by ``s`` for the wider text (instance values shadow the class's)."""
        v = 1 + (s - 1) / 3
        self.PITCH, self.CW, self.cell_x = self.PITCH * s, self.CW * s, self.cell_x * s
        self.TARGET_H, self.YBOX_H, self.XBOX_H = 38 * v, 58 * v, 58 * v
        self.CAPTION_H, self.NOTE_H, self.HEAD_H = 24 * v, 24 * v, 18 * v
        if not self.strip and self.H <= 8:  # more units: cells keep their height, so
            self.cell_h *= v  # the diagram still fits; the numbers stay inside them
        self.value_px = min(self.value_px, int(self.cell_h))

    def px(self, size: int) -> int:
        """A text size in scene pixels at this diagram's scale."""
        return round(size * self.scale)

    def left(self, i: int) -> float:
        return self.LEFT + i * self.PITCH

    def scene_rect(self) -> QRectF:
        width = 2 * self.LEFT + (self.T + 1) * self.PITCH - (self.PITCH - self.CW)
        return QRectF(0.0, 0.0, width, self.bottom + self.TOP)

    def column_rect(self, t: int) -> QRectF:
        """The whole column of timestep t (0-based), with a margin for the highlight."""
        return QRectF(self.left(t + 1) - 8, self.TOP - 4, self.CW + 16, self.bottom - self.TOP)

    def ybox(self, i: int) -> QRectF:
        return QRectF(self.left(i), self.y_ybox, self.CW, self.YBOX_H)

    def hbox(self, i: int) -> QRectF:
        return QRectF(self.left(i), self.y_hbox, self.CW, self.hbox_h)

    def hhead(self, i: int) -> QRectF:
        """The line above the cells of column i's h box."""
        return QRectF(self.left(i), self.y_hbox + 3, self.CW, self.HEAD_H)

    def xbox(self, i: int) -> QRectF:
        return QRectF(self.left(i), self.y_xbox, self.CW, self.XBOX_H)

    def cell(self, i: int, u: int) -> QRectF:
        y = self.y_cells + u * (self.cell_h + self.gap)
        return QRectF(self.left(i) + self.cell_x, y, self.CW - 2 * self.cell_x, self.cell_h)

    def hit(self, p: QPointF) -> tuple[str, int, int] | None:
        """What is under scene point p: ('unit'|'x'|'y'|'column', t, u), t = -1 for h_0."""
        i = math.floor((p.x() - self.LEFT + 8) / self.PITCH)
        if not 0 <= i <= self.T or not self.TOP - 4 <= p.y() <= self.bottom:
            return None
        x = p.x() - self.left(i)
        if not -8 <= x <= self.CW + 8:
            return None  # the gap between columns (where the recurrent arrow runs)
        t = i - 1
        inner = self.y_cells
        if self.cell_x <= x <= self.CW - self.cell_x and inner <= p.y() < inner + (
            self.hbox_h - 2 * self.PAD - self.HEAD_H
        ):
            u = min(int((p.y() - inner) // (self.cell_h + self.gap)), self.H - 1)
            return ("unit", t, u)
        if i == 0:
            return None  # the h_0 column is not a timestep: only its units are clickable
        if self.xbox(i).contains(p):
            return ("x", t, 0)
        if self.ybox(i).contains(p):
            return ("y", t, 0)
        return ("column", t, 0)


@functools.lru_cache(maxsize=1024)
def _brush(r: int, g: int, b: int) -> QBrush:
    """One brush per colour: the map has 256 of them, a text edit sets 6,400 cells."""
    return QBrush(QColor(r, g, b))


class LodText(QGraphicsSimpleTextItem):
    """Text that is skipped when it would be too small to read on screen."""

    def __init__(self, text: str, px: int, color: QColor, parent=None, **style) -> None:
        super().__init__(text, parent)
        self._px = px
        self._shown: tuple | None = None  # (text, rect) of the last show_text
        self.setFont(font(px, **style))
        self.setBrush(color)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if option.levelOfDetailFromTransform(painter.worldTransform()) * self._px >= MIN_TEXT_PX:
            super().paint(painter, option, widget)

    def place(self, rect: QRectF) -> LodText:
        """Centre the text in rect; returns self for chaining."""
        r = self.boundingRect()
        self.setPos(rect.center().x() - r.width() / 2, rect.center().y() - r.height() / 2)
        return self

    def show_text(self, text: str, rect: QRectF) -> None:
        """Set text, shortened with … to fit rect's width, centred in rect."""
        if (text, rect) == self._shown:
            return  # a new analysis that says the same here (eliding costs ~10 us)
        self._shown = (text, rect)
        f = self.font()
        self.setText(
            metrics(self._px, f.bold(), f.italic()).elidedText(
                text, Qt.TextElideMode.ElideRight, rect.width() - 8
            )
        )
        self.place(rect)


class HoverText(LodText):
    """An arrow's label: hovering it highlights its matrix like hovering the arrow."""

    def __init__(self, text, px, color, matrix: str, on_hover, parent=None) -> None:
        super().__init__(text, px, color, parent, italic=True)
        self.matrix, self._on_hover = matrix, on_hover
        self.setData(0, matrix)
        self.setAcceptHoverEvents(True)

    def hoverEnterEvent(self, event) -> None:
        self._on_hover(self.matrix)

    def hoverLeaveEvent(self, event) -> None:
        self._on_hover(None)


@functools.lru_cache(maxsize=16)
def _arrow_paths(dx: float, dy: float, k: float = 1.0) -> tuple[QPainterPath, QPainterPath, QRectF]:
    """An arrow (0, 0) -> (dx, dy) (head k times the usual) and its hover band; all arrows
    of one shape share these."""
    path = QPainterPath(QPointF(0, 0))
    path.lineTo(dx, dy)
    n = math.hypot(dx, dy) or 1.0
    ux, uy = dx / n, dy / n
    bx, by = dx - 9 * k * ux, dy - 9 * k * uy
    path.moveTo(dx, dy)
    path.lineTo(bx - 4.5 * k * uy, by + 4.5 * k * ux)
    path.lineTo(bx + 4.5 * k * uy, by - 4.5 * k * ux)
    path.closeSubpath()
    stroker = QPainterPathStroker()
    stroker.setWidth(12)  # a 1.5 px line is hard to hover: accept a 12 px wide band
    shape = stroker.createStroke(path) | path
    return path, shape, shape.boundingRect()


class ArrowItem(QGraphicsPathItem):
    """A straight arrow p1 -> p2 standing for one use of a shared weight matrix."""

    def __init__(
        self, p1: QPointF, p2: QPointF, matrix: str, color: QColor, on_hover, width: float = 1.5
    ) -> None:
        super().__init__()
        self.matrix, self._color, self._on_hover, self._width = matrix, color, on_hover, width
        path, self._shape, self._bounds = _arrow_paths(
            round(p2.x() - p1.x(), 3), round(p2.y() - p1.y(), 3), width / 1.5
        )
        self.setPath(path)
        self.setPos(p1)
        self.setData(0, matrix)
        self.setAcceptHoverEvents(True)
        self.set_highlighted(False)
        # an antialiased path is slow to fill: scrolling blits a cached pixmap instead
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def shape(self) -> QPainterPath:
        return self._shape

    def boundingRect(self) -> QRectF:
        return self._bounds

    def set_highlighted(self, on: bool) -> None:
        self.highlighted = on
        color = HIGHLIGHT if on else self._color
        self.setPen(QPen(color, 2 * self._width if on else self._width))
        self.setBrush(color)
        self.setZValue(60 if on else 0)  # above the "not yet computed" veil: every use shows

    def hoverEnterEvent(self, event) -> None:
        self._on_hover(self.matrix)

    def hoverLeaveEvent(self, event) -> None:
        self._on_hover(None)


class CellStrip(QGraphicsItem):
    """One column's hidden cells in one cached item.

    64 rectangle items per column made every scrolling repaint at T = 100 walk and
    draw 6,400 items; one item per column paints its cells once into a pixmap and
    blits it until the colours (a new analysis) or the zoom change."""

    def __init__(self, rects: list[QRectF], pen: QPen) -> None:
        super().__init__()
        self.rects, self._pen = rects, pen
        self._brushes = [_brush(128, 128, 128)] * len(rects)
        bounds = QRectF(rects[0]).united(rects[-1]) if rects else QRectF()
        self._bounds = bounds.adjusted(-1, -1, 1, 1)  # the outline's half width
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_colors(self, rgb_row: list) -> None:
        self._brushes = [_brush(*rgb) for rgb in rgb_row]
        self.update()

    def brush(self, u: int) -> QBrush:
        return self._brushes[u]

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setPen(self._pen)
        for rect, brush in zip(self.rects, self._brushes, strict=True):
            painter.setBrush(brush)
            painter.drawRect(rect)


@dataclass(frozen=True)
class CellRef:
    """One cell of a CellStrip, shaped like a rectangle item (tests, hit areas, tooltips)."""

    strip: CellStrip
    u: int

    def brush(self) -> QBrush:
        return self.strip.brush(self.u)

    def rect(self) -> QRectF:
        return QRectF(self.strip.rects[self.u])

    def sceneBoundingRect(self) -> QRectF:  # noqa: N802 (the QGraphicsItem name)
        return self.strip.mapRectToScene(self.rect())


class CellValues(QGraphicsItem):
    """The numbers inside one column's hidden cells, drawn only when they are legible."""

    def __init__(self, rect: QRectF, cell_h: float, px: int = 13) -> None:
        super().__init__()
        self._rect, self._cells, self._cell_h = rect, [], cell_h
        self._font = font(px)
        # text is the slow part of a repaint; cached as a pixmap until the zoom changes
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def set_cells(self, cells: list) -> None:
        """cells: (QRectF, text, ink QColor) per unit."""
        self._cells = cells
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if option.levelOfDetailFromTransform(painter.worldTransform()) * self._cell_h < (
            MIN_VALUE_PX
        ):
            return
        painter.setFont(self._font)
        for rect, text, color in self._cells:
            painter.setPen(color)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


class DiagramView(QGraphicsView):
    """A view that pans by dragging, zooms with Ctrl+wheel, and reports clicks."""

    sig_clicked = Signal(QPointF)  # scene position of a click that was not a drag
    sig_zoomed = Signal()  # the user changed the zoom

    ZOOM_RANGE = (0.05, 4.0)

    def __init__(self, scene, parent=None) -> None:
        super().__init__(scene, parent)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        # every item sets the pen, brush and font it draws with, so the per-item
        # save/restore is wasted work: a third of a scrolling repaint at T = 100
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self._press = None

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        lo, hi = self.ZOOM_RANGE
        factor = min(max(self.zoom() * factor, lo), hi) / self.zoom()
        self.scale(factor, factor)
        self.sig_zoomed.emit()

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(1.15 ** (event.angleDelta().y() / 120.0))
            event.accept()
        else:
            super().wheelEvent(event)

    def mousePressEvent(self, event) -> None:
        self._press = event.position() if event.button() == Qt.MouseButton.LeftButton else None
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        if self._press is not None and event.button() == Qt.MouseButton.LeftButton:
            moved = (event.position() - self._press).manhattanLength()
            self._press = None
            if moved < 4:  # a click, not the end of a pan
                self.sig_clicked.emit(self.mapToScene(event.position().toPoint()))


@dataclass
class Style:
    """Colours taken from the palette at build time, and the hover callback."""

    text: QColor
    line: QColor
    box: QColor
    on_hover: object  # callable(matrix name | None)


class Column:
    """All items of one column: i = 0 is h_0, i = t + 1 is timestep t.

    The shapes are made once; ``fill_*`` write the data, so a new analysis
    with the same hidden size updates the items in place (a text edit at
    T = 100, H = 64 costs a few ms instead of rebuilding 7,000 items).
    """

    def __init__(self, scene, geo: Geometry, i: int, style: Style, notation: str) -> None:
        self.i, self.geo, self.items = i, geo, []
        self.arrows, self.labels = {}, {}
        boxes = (geo.hbox(i),) if i == 0 else (geo.ybox(i), geo.hbox(i), geo.xbox(i))
        pen = QPen(style.line, geo.scale)
        for rect in boxes:
            path = QPainterPath()
            path.addRoundedRect(rect, 8, 8)
            box = scene.addPath(path, pen, style.box)
            # antialiased rounded boxes were 40% of a scrolling repaint: draw them once
            box.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.items.append(box)
        # cells after their box with the same z: drawn on top without a setZValue
        cell_pen = QPen(Qt.PenStyle.NoPen) if geo.strip else QPen(style.line, 0)
        self.cells = self._add(scene, CellStrip([geo.cell(i, u) for u in range(geo.H)], cell_pen))
        values = None if geo.strip else CellValues(geo.hbox(i), geo.cell_h, geo.value_px)
        self.values = None if values is None else self._add(scene, values)
        if i == 0:
            self._build_h0_texts(scene, style)
        else:
            self._build_texts(scene, style)
            self._build_arrows(scene, style, notation)

    def _add(self, scene, item):
        scene.addItem(item)
        self.items.append(item)
        return item

    def _text(self, scene, style: Style, px: int, text: str = "", rect=None, **kw) -> LodText:
        item = self._add(scene, LodText("", self.geo.px(px), style.text, **kw))
        if rect is not None:
            item.show_text(text, rect)
        return item

    def _build_h0_texts(self, scene, style: Style) -> None:
        g = self.geo
        above = QRectF(g.left(0), g.y_hbox - 26, g.CW, 22)
        self._text(scene, style, 13, "h₀ (initial state)", above)
        self._text(scene, style, 14, "outputs ŷₜ", g.ybox(0), bold=True)
        self._text(scene, style, 14, "inputs xₜ", g.xbox(0), bold=True)

    def _build_texts(self, scene, style: Style) -> None:
        g, i = self.geo, self.i
        x, y = g.xbox(i), g.ybox(i)
        self.rects = {
            "token": x.adjusted(0, 2, 0, -x.height() / 2),
            "vector": x.adjusted(0, x.height() / 2, 0, -2),
            "pred": y.adjusted(0, 2, 0, -y.height() / 2),
            "prob": y.adjusted(0, y.height() / 2, 0, -2),
            "target": QRectF(g.left(i), g.y_target, g.CW, g.TARGET_H / 2),
            "loss": QRectF(g.left(i), g.y_target + g.TARGET_H / 2, g.CW, g.TARGET_H / 2),
        }
        sizes = {"token": 16, "vector": 12, "pred": 15, "prob": 13, "target": 12, "loss": 12}
        self.texts = {
            k: self._text(scene, style, px, bold=k in ("token", "pred")) for k, px in sizes.items()
        }
        caption = QRectF(g.left(i), g.y_caption, g.CW, g.CAPTION_H)
        self._text(scene, style, 13, f"t = {i}", caption)

    def _build_arrows(self, scene, style: Style, notation: str) -> None:
        g, i = self.geo, self.i
        cx, hb = g.left(i) + g.CW / 2, g.hbox(i)
        mid = hb.center().y()
        ends = {
            "W_xh": (QPointF(cx, g.y_xbox - 2), QPointF(cx, hb.bottom() + 2)),
            "W_hy": (QPointF(cx, hb.top() - 2), QPointF(cx, g.ybox(i).bottom() + 2)),
            "W_hh": (QPointF(g.left(i - 1) + g.CW + 2, mid), QPointF(g.left(i) - 2, mid)),
        }
        for m, (p1, p2) in ends.items():
            width = 1.5 * g.scale
            arrow = ArrowItem(p1, p2, m, style.line, style.on_hover, width)
            self.arrows[m] = self._add(scene, arrow)
            label = HoverText("", g.px(13), style.text, m, style.on_hover)
            label.anchor = QPointF((p1.x() + p2.x()) / 2, (p1.y() + p2.y()) / 2)
            self.labels[m] = self._add(scene, label)
        self.relabel(notation)

    def relabel(self, notation: str, backward: bool = False) -> None:
        """Name the arrows in a notation: beside the vertical ones, above the recurrent one.

        Backward, the gradient goes through the transposes (W_hyᵀ, W_hhᵀ) on thicker
        arrows, so those labels get a ᵀ and keep a little more distance."""
        gap = 7 if backward else 3
        for m, label in self.labels.items():
            label.setText(NOTATION_LABELS[notation][m] + ("ᵀ" if backward and m != "W_xh" else ""))
            r, a = label.boundingRect(), label.anchor
            if m == "W_hh":
                label.setPos(a.x() - r.width() / 2, a.y() - r.height() - gap)
            else:
                label.setPos(a.x() + 3 + gap, a.y() - r.height() / 2)

    def fill_cells(self, rgb_row: list, values: list | None) -> None:
        self.cells.set_colors(rgb_row)
        if self.values is not None:
            self.values.set_cells(values)

    def fill_texts(self, texts: dict) -> None:
        for key, text in texts.items():
            self.texts[key].show_text(text, self.rects[key])

    def remove(self, scene) -> None:
        for item in self.items:
            scene.removeItem(item)
        self.items = []
