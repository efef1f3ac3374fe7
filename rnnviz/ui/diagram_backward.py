"""The backward pass on the unrolled diagram: reversed arrows, gradient sizes, truncation.

In the backward phase the playhead walks the cursor from T down to 1 and the
gradient of the loss arrives at each hidden state from two places:

    dL/dh_t = W_hyᵀ dL/do_t                          local: from the output y_t
            + W_hhᵀ (f'(z_{t+1}) ⊙ dL/dh_{t+1})       carried: from h_{t+1}

so the forward arrows h_t → y_t and h_{t-1} → h_t give way to reversed arrows
y_t → h_t and h_{t+1} → h_t. Each arrow is coloured with the sequential map
and drawn thicker the larger the norm of the vector it carries, on one log10
scale for the whole pass: gradients span many decades, and a linear scale
would show one thick arrow and nothing else. A halo of the same scale rings
each h box for ||dL/dh_t||, whose value heads the box. Every number is the
trace's own (dh_local, dh_carried, dh_norms, grads["h0"] for the arrow into
h_0); the only arithmetic here is taking norms for the drawing.

Truncated BPTT (Williams & Peng 1990) with config.truncation = k: the loss at
the cursor reaches h_{c-k+1} .. h_c only. A band marks those columns and the
steps before it are hatched; ``discarded_norms`` runs the engine a second
time without truncation to say how much gradient that throws away.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from ..engine.trace import run
from .colors import SEQUENTIAL_LUT, lut_index
from .diagram_items import HIGHLIGHT, Geometry, LodText, sub
from .diagram_tips import grad_label

DECADES = 12  # the colour scale spans at most this many powers of ten below the largest
WIDTHS = (1.5, 6.0)  # pen width of the smallest and the largest gradient
BAND = QColor(204, 121, 167)  # Okabe-Ito reddish purple: apart from blue/red values and orange


class LogScale:
    """Gradient norms -> a position 0..1 on a log10 scale, then a colour and a pen width.

    Zero (an unscored step's local term, nothing carried into the last step) and
    non-finite norms have no position: they are drawn as thin dashed grey lines.
    """

    def __init__(self, *norms: np.ndarray) -> None:
        v = np.concatenate([np.ravel(n) for n in norms])
        v = v[np.isfinite(v) & (v > 0)]
        self.hi = float(v.max()) if v.size else 1.0
        self.lo = max(float(v.min()), self.hi * 10.0**-DECADES) if v.size else 1.0

    def position(self, m: float) -> float | None:
        if not (math.isfinite(m) and m > 0):
            return None
        if self.hi <= self.lo:
            return 1.0
        x = (math.log10(m) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        return min(max(x, 0.0), 1.0)

    def color(self, m: float) -> QColor:
        p = self.position(m)
        r, g, b = (int(c) for c in SEQUENTIAL_LUT[lut_index(0.0 if p is None else p, 0.0, 1.0)])
        return QColor(r, g, b)

    def width(self, m: float) -> float:
        p = self.position(m)
        return WIDTHS[0] if p is None else WIDTHS[0] + p * (WIDTHS[1] - WIDTHS[0])


class GradArrow(QGraphicsItem):
    """A backward arrow p1 -> p2 carrying one gradient vector into a hidden state.

    ``kind`` is "local" (from y_t) or "carried" (from h_{t+1}); ``t`` is the
    receiving state (0-based, -1 for h_0). Drawn with a casing in the text
    colour so the bright end of the colour map reads on a light background.
    """

    def __init__(self, p1: QPointF, p2: QPointF, kind: str, t: int, casing: QColor) -> None:
        super().__init__()
        self.p1, self.p2, self.kind, self.t, self._casing = p1, p2, kind, t, casing
        self._d = p2 - p1
        self.magnitude, self.width, self.color = 0.0, WIDTHS[0], QColor(casing)
        self.highlighted = False
        self.setPos(p1)
        self.setZValue(1)
        self.setData(1, "grad")
        n = math.hypot(self._d.x(), self._d.y()) or 1.0
        self._u = QPointF(self._d.x() / n, self._d.y() / n)
        line = QPainterPath(QPointF(0, 0))
        line.lineTo(self._d)
        stroker = QPainterPathStroker()
        stroker.setWidth(14)  # a generous band to hover
        self._shape = stroker.createStroke(line)

    @property
    def drawn(self) -> bool:
        """True when the arrow has a size (a positive finite norm), False when dashed."""
        return math.isfinite(self.magnitude) and self.magnitude > 0

    def set_magnitude(self, m: float, scale: LogScale) -> None:
        self.prepareGeometryChange()
        self.magnitude, self.width, self.color = m, scale.width(m), scale.color(m)
        self.update()

    def set_highlighted(self, on: bool) -> None:
        if on != self.highlighted:
            self.highlighted = on
            self.setZValue(60 if on else 1)  # above the veil, like the forward arrows
            self.update()

    def shape(self) -> QPainterPath:
        return self._shape

    def boundingRect(self) -> QRectF:
        m = self.width + 14
        return QRectF(QPointF(0, 0), self._d).normalized().adjusted(-m, -m, m, m)

    def _head(self) -> tuple[QPointF, list[QPointF]]:
        ux, uy, w = self._u.x(), self._u.y(), self.width
        length, half = 8 + 1.6 * w, 4 + 0.9 * w  # the head grows with the line
        tip = self._d
        base = QPointF(tip.x() - length * ux, tip.y() - length * uy)
        wing = QPointF(-half * uy, half * ux)
        return base, [tip, base + wing, base - wing]

    def paint(self, painter: QPainter, option, widget=None) -> None:
        base, head = self._head()
        start = QPointF(0, 0)
        if not self.drawn:  # nothing (or overflow) flows here: a thin dashed hint
            faint = QColor(self._casing)
            faint.setAlpha(120)
            painter.setPen(QPen(faint, 1.2, Qt.PenStyle.DashLine))
            painter.drawLine(start, base)
            painter.setBrush(faint)
            painter.drawPolygon(head)
            return
        casing = HIGHLIGHT if self.highlighted else self._casing
        join = Qt.PenJoinStyle.RoundJoin
        painter.setPen(QPen(casing, self.width + 2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        painter.drawLine(start, base)
        painter.setPen(QPen(casing, 2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap, join))
        painter.setBrush(casing)
        painter.drawPolygon(head)
        painter.setPen(QPen(self.color, self.width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        painter.drawLine(start, base + self._u)  # one pixel into the head: no seam
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.color)
        painter.drawPolygon(head)


class GradHalo(QGraphicsPathItem):
    """A ring around an h box, coloured and sized by ||dL/dh_t||, with a casing."""

    def __init__(self, rect: QRectF, casing: QColor) -> None:
        super().__init__()
        path = QPainterPath()
        path.addRoundedRect(rect, 10, 10)
        self.setPath(path)
        self._casing, self.magnitude = casing, 0.0
        self.setBrush(Qt.BrushStyle.NoBrush)

    def set_magnitude(self, m: float, scale: LogScale) -> None:
        self.magnitude = m
        self.setPen(QPen(scale.color(m), scale.width(m)))

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-2, -2, 2, 2)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not (math.isfinite(self.magnitude) and self.magnitude > 0):
            return  # no gradient reaches this state: no ring
        painter.setPen(QPen(self._casing, self.pen().widthF() + 2))
        painter.drawPath(self.path())
        super().paint(painter, option, widget)


class _BackColumn:
    """Column i's backward items: the header and halo of its h box, and (i >= 1) the
    local arrow y_t -> h_t and the carried arrow h_t -> h_{t-1} to its left."""

    def __init__(self, scene, geo: Geometry, i: int, text: QColor, casing: QColor) -> None:
        hb = geo.hbox(i)
        self.header = LodText("", geo.px(12), text)
        self.rect = QRectF(geo.hhead(i)).adjusted(-8, 0, 8, 0)  # may overhang the box a little
        self.halo = GradHalo(hb.adjusted(-3, -3, 3, 3), casing)
        self.items = [self.header, self.halo]
        self.local = self.carried = None
        if i >= 1:
            cx, mid = geo.left(i) + geo.CW / 2, hb.center().y()
            self.local = GradArrow(  # y_t -> h_t, into the halo's outer edge
                QPointF(cx, geo.ybox(i).bottom() + 2), QPointF(cx, hb.top() - 8), "local", i - 1,
                casing,
            )  # fmt: skip
            self.carried = GradArrow(  # h_{t} -> h_{t-1}, i.e. into column i - 1
                QPointF(geo.left(i) - 8, mid), QPointF(geo.left(i - 1) + geo.CW + 8, mid),
                "carried", i - 2, casing,
            )  # fmt: skip
            self.items += [self.local, self.carried]
        for item in self.items:
            scene.addItem(item)

    def remove(self, scene) -> None:
        for item in self.items:
            scene.removeItem(item)


class BackwardLayer:
    """Every backward-phase item of the scene, plus the truncation band.

    Built empty with the scene; ``sync`` follows the column count, ``fill``
    writes one trace's gradients (only while the backward phase is shown).
    """

    def __init__(self, scene, text: QColor) -> None:
        self.scene, self.text = scene, text
        self.casing = QColor(text)
        self.casing.setAlpha(150)
        self.columns: list[_BackColumn] = []
        self.scale = LogScale(np.zeros(0))
        self.visible = True
        fill = QColor(BAND)
        fill.setAlpha(30)
        self.band = scene.addRect(QRectF(), QPen(BAND, 2.5, Qt.PenStyle.DashLine), fill)
        self.band.setZValue(-2)
        hatch = QColor(text)
        hatch.setAlpha(90)
        self.hatch = scene.addRect(
            QRectF(), QPen(Qt.PenStyle.NoPen), QBrush(hatch, Qt.BrushStyle.BDiagPattern)
        )
        self.hatch.setZValue(51)  # over the veil: cut off and not yet reached are both visible
        ink = BAND.darker(150) if text.lightness() < 128 else BAND.lighter(115)  # light theme?
        self.band_label = LodText("", 13, ink, italic=True)
        self.band_label.setZValue(52)
        scene.addItem(self.band_label)

    def sync(self, geo: Geometry, fresh: bool) -> None:
        """One _BackColumn per h box (T + 1); all new when the geometry changed shape."""
        while self.columns and (fresh or len(self.columns) > geo.T + 1):
            self.columns.pop().remove(self.scene)
        while len(self.columns) < geo.T + 1:
            column = _BackColumn(self.scene, geo, len(self.columns), self.text, self.casing)
            self.columns.append(column)
            for item in column.items:
                item.setVisible(self.visible)

    def fill(self, trace) -> None:
        """The trace's gradients: arrow sizes, halos and headers on one log scale."""
        with np.errstate(over="ignore", invalid="ignore"):
            local = np.linalg.norm(trace.dh_local, axis=1)  # (T,)
            carried = np.linalg.norm(trace.dh_carried, axis=1)  # (T,)
            h0 = float(np.linalg.norm(trace.grads["h0"]))
        totals = np.concatenate([[h0], trace.dh_norms])  # (T + 1,) h_0 first
        self.scale = scale = LogScale(local, carried, totals)
        for i, column in enumerate(self.columns):
            column.halo.set_magnitude(float(totals[i]), scale)
            column.header.show_text(grad_label(totals[i]), column.rect)
            if column.local is not None:
                column.local.set_magnitude(float(local[i - 1]), scale)
                m = h0 if i == 1 else float(carried[i - 2])
                column.carried.set_magnitude(m, scale)

    def set_visible(self, on: bool) -> None:
        self.visible = on
        for column in self.columns:
            for item in column.items:
                item.setVisible(on)

    def highlight(self, matrix: str | None) -> None:
        """Hovering W_hh (W_hy) lights its transposed uses: the carried (local) arrows."""
        for column in self.columns[1:]:
            column.local.set_highlighted(matrix == "W_hy")
            column.carried.set_highlighted(matrix == "W_hh")

    def arrow(self, t: int, kind: str) -> GradArrow:
        """The arrow into h_t from y_t ("local") or from h_{t+1} ("carried"), t 0-based."""
        if kind == "local":
            return self.columns[t + 1].local
        return self.columns[t + 2].carried  # drawn left of column t + 1, pointing at h_t

    # -- truncated BPTT ---------------------------------------------------------
    def update_band(self, geo: Geometry, cursor: int, k: int | None) -> None:
        """Band over the steps the loss at the cursor reaches; hatch the ones before."""
        show = k is not None
        for item in (self.band, self.hatch, self.band_label):
            item.setVisible(show)
        if not show:
            return
        lo = max(cursor - k + 1, 0)
        band = geo.column_rect(lo).united(geo.column_rect(cursor)).adjusted(-5, -3, 5, 3)
        self.band.setRect(band)
        self.hatch.setRect(QRectF(0, 0, band.left(), geo.scene_rect().height()))
        self.hatch.setVisible(lo > 0)
        self.band_label.show_text(
            f"TBPTT({k}): reach of L{sub(cursor + 1)}",
            QRectF(band.left(), geo.bottom - geo.NOTE_H, band.width(), geo.NOTE_H),
        )


def discarded_norms(trace) -> np.ndarray | None:
    """(T,) ||dL/dh_t (full BPTT) − dL/dh_t (this trace's TBPTT)||, or None without truncation.

    A second engine run of the same weights, sample and config with truncation
    off; the difference of the two dL/dh arrays is the gradient truncation drops.
    """
    if trace.config.truncation is None:
        return None
    full = run(trace.params, trace.sample, replace(trace.config, truncation=None))
    with np.errstate(over="ignore", invalid="ignore"):
        return np.linalg.norm(full.dh - trace.dh, axis=1)  # (T,)
