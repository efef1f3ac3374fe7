"""Small pyqtgraph helpers shared by the hidden-state and output panels.

* ``IndexAxis``: ticks at whole numbers 1..n labelled with strings (tokens,
  unit numbers, class names), thinned so labels never overlap however far
  the user zooms; the full label list stays available for tooltips.
* ``color_bar``/``set_color_bar``: a non-interactive colour bar drawn from
  one of the shared LUTs in ``colors.py``, so the bar and the image agree.
* ``CursorLine``: the movable timestep line, drawn as a dark core on a light
  halo so it stays visible on both ends of the diverging map.
* ``UnitLines``: every hidden unit over time, cheap to repaint (see its note).
* ``set_title``/``live_title``: titles that never force a relayout on a
  narrow dock or on every cursor move.
* Number formatting: 4 significant digits on screen, full precision in
  tooltips and read-outs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QGraphicsSimpleTextItem

FONT_PT = 10  # readable on a laptop and on a projector
NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)

# Okabe-Ito (yellow swapped for purple: it vanishes on white) then Paul Tol "muted":
# 16 hues that stay apart for colour-blind readers and read on a white background
_HEX = "0072B2 D55E00 009E73 CC79A7 E69F00 56B4E9 000000 9944AA 332288 44AA99 117733 999933 "
UNIT_COLORS = tuple(
    tuple(int(h[i : i + 2], 16) for i in (0, 2, 4))
    for h in (_HEX + "CC6677 882255 666666 AA7700").split()
)
ACCENT = (0, 114, 178)  # Okabe-Ito blue
HIGHLIGHT = (213, 94, 0)  # Okabe-Ito vermillion
FAINT = (150, 150, 150)


def font(pt: int = FONT_PT) -> QFont:
    f = QFont()
    f.setPointSize(pt)
    return f


def display_token(token: str) -> str:
    """A token as a person can see it: spaces, newlines and tabs made visible."""
    return token.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥")


def _elide(label: str, limit: int = 10) -> str:
    """Long tokens shortened on axes (the full token is in the hover read-out)."""
    return "\n".join(
        line if len(line) <= limit else line[: limit - 1] + "…" for line in label.split("\n")
    )


def fmt(value: float) -> str:
    """4 significant digits (the on-screen precision); 'nan'/'inf' spelled out."""
    v = float(value)
    if not math.isfinite(v):
        return "not finite" if math.isnan(v) else ("+∞" if v > 0 else "−∞")
    return f"{v:.4g}".replace("-", "−")


def full(value: float) -> str:
    """Full float64 precision for tooltips and hover read-outs."""
    return repr(float(value))


def snap(value: float, n: int) -> int:
    """A 1-based position on a timestep axis -> the nearest 0-based index in 0..n-1."""
    if not math.isfinite(value):
        return 0
    return min(max(int(round(value)) - 1, 0), n - 1)


def symmetric_vmax(values: np.ndarray) -> float:
    """max |v| over the finite values (1.0 if there are none or all are 0)."""
    a = np.abs(np.asarray(values, dtype=float))
    a = a[np.isfinite(a)]
    m = float(a.max()) if a.size else 0.0
    return m if m > 0 else 1.0


def theme_rgb(option: str = "foreground") -> tuple[int, int, int]:
    """pyqtgraph's current "foreground" or "background" colour (set by the theme)."""
    c = pg.mkColor(pg.getConfigOption(option))
    return c.red(), c.green(), c.blue()


def faded(rgb, keep: float = 0.4) -> tuple[int, int, int]:
    """An opaque version of ``rgb`` that steps back: blended towards the background."""
    bg = theme_rgb("background")
    return tuple(int(round(keep * c + (1 - keep) * b)) for c, b in zip(rgb, bg, strict=True))


def brushes(rgb: np.ndarray) -> list[QBrush]:
    return [QBrush(QColor(int(r), int(g), int(b))) for r, g, b in np.asarray(rgb)]


def pen(rgb, width: float = 1.0, alpha: int = 255, style=Qt.PenStyle.SolidLine) -> QPen:
    p = QPen(QColor(int(rgb[0]), int(rgb[1]), int(rgb[2]), alpha))
    p.setWidthF(width)
    p.setCosmetic(True)
    p.setStyle(style)
    return p


class IndexAxis(pg.AxisItem):
    """Ticks at 1..n with string labels; thins them so neighbours never overlap."""

    def __init__(
        self, orientation: str, labels: Sequence[str] = (), elide: int | None = 10, **kwargs
    ) -> None:
        super().__init__(orientation, **kwargs)
        self.elide = elide  # longest label line shown whole (None: never shorten)
        self.setTickFont(font())
        self._metrics = QFontMetricsF(font())
        self.set_labels(labels)

    def set_labels(self, labels: Sequence[str]) -> None:
        new = tuple(_elide(s, self.elide) if self.elide else s for s in labels)
        if new == getattr(self, "labels", None):
            return  # same text (the class names at every step): keep the cached picture
        self.labels = new
        # the room each label needs along the axis (its width across x, a line across y)
        if self.orientation in ("bottom", "top"):
            advance = self._metrics.horizontalAdvance
            widths = [max(advance(line) for line in s.split("\n")) for s in self.labels]
            self._sizes = np.array(widths or [0.0]) + 8.0  # a gap between neighbours
            lines = max((s.count("\n") + 1 for s in self.labels), default=1)
            # pyqtgraph under-measures multi-line tick text: reserve the height ourselves
            self.setHeight(round(lines * self._metrics.lineSpacing() + 10 + self.label_height()))
        else:
            self._sizes = np.full(max(len(self.labels), 1), self._metrics.height())
        self.picture = None
        self.update()

    def fit_width(self, samples: Sequence[str]) -> None:
        """A vertical axis just wide enough for the widest of ``samples`` (fixed, so that
        changing the labels while scrubbing never shifts the layout)."""
        shown = {_elide(s, self.elide) if self.elide else s for s in samples}
        widest = max((self._metrics.horizontalAdvance(s) for s in _longest(shown)), default=10.0)
        self.setWidth(round(widest + 16 + self.label_height()))

    def label_height(self) -> float:
        return 1.4 * self._metrics.height() if self.label.isVisible() else 0.0

    def tickValues(self, minVal: float, maxVal: float, size: float):
        n = len(self.labels)
        lo, hi = max(1, math.ceil(min(minVal, maxVal))), min(n, math.floor(max(minVal, maxVal)))
        if n == 0 or hi < lo or size <= 0:
            return []
        per_unit = size / max(abs(maxVal - minVal), 1e-9)  # pixels between neighbours
        for step in NICE_STEPS:
            values = self._thinned(lo, hi, step)
            if self._fits(values, per_unit):
                break
        return [(float(step), [float(v) for v in values])]

    @staticmethod
    def _thinned(lo: int, hi: int, step: int) -> list[int]:
        if step == 1:
            return list(range(lo, hi + 1))
        values = [v for v in range(lo, hi + 1) if v % step == 0]
        if lo == 1 and step >= 4:
            values.insert(0, 1)  # the first step is always worth a label
        return values

    def _fits(self, values: list[int], per_unit: float) -> bool:
        """True when no two neighbouring labels overlap at this zoom."""
        if len(values) < 2:
            return True
        v = np.asarray(values)
        need = 0.5 * (self._sizes[v[:-1] - 1] + self._sizes[v[1:] - 1])
        return bool(np.all(np.diff(v) * per_unit >= need))

    def tickStrings(self, values, scale, spacing):
        n = len(self.labels)
        return [self.labels[int(v) - 1] if 1 <= int(v) <= n else "" for v in values]


class ValueAxis(pg.AxisItem):
    """A few chosen value ticks (the ends and middle of a range), labelled with 4
    significant digits; labels that would collide are dropped, keeping the middle."""

    def __init__(self, orientation: str, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.setTickFont(font())
        self._metrics = QFontMetricsF(font())
        self.values: tuple[float, ...] = ()

    def set_values(self, values) -> None:
        self.values = tuple(float(v) for v in values)
        self.picture = None
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float):
        lo, hi = min(minVal, maxVal), max(minVal, maxVal)
        values = [v for v in self.values if lo <= v <= hi]
        if not values or size <= 0:
            return []
        per_unit = size / max(hi - lo, 1e-300)
        if self.orientation in ("bottom", "top"):
            need = max(self._metrics.horizontalAdvance(fmt(v)) for v in values) + 8
        else:
            need = self._metrics.height()
        while len(values) > 1 and min(np.diff(values)) * per_unit < need:
            values = [values[len(values) // 2]] if len(values) <= 3 else values[::2]
        return [(1.0, values)]

    def tickStrings(self, values, scale, spacing):
        return [fmt(v) for v in values]


def colormap(lut: np.ndarray) -> pg.ColorMap:
    """A pyqtgraph ColorMap whose 256-entry table is exactly ``lut``."""
    return pg.ColorMap(np.linspace(0.0, 1.0, len(lut)), np.asarray(lut, dtype=np.uint8))


def color_bar(lut: np.ndarray, levels: tuple[float, float], label: str) -> pg.ColorBarItem:
    bar = pg.ColorBarItem(
        values=levels,
        colorMap=colormap(lut),
        width=18,
        interactive=False,
        colorMapMenu=False,
    )
    bar.axis.setLabel(label)
    bar.setMaximumWidth(100)  # never take the plots' share of a wide dock
    bar.axis.setTickFont(font())
    bar.axis.enableAutoSIPrefix(False)
    bar.axis.setWidth(None)  # size the tick column from the labels
    bar.axis.label.setFont(font())
    return bar


def _longest(texts: set[str], slack: int = 2) -> list[str]:
    """The texts within ``slack`` characters of the longest: the only candidates for the
    widest, since digits share one width in every UI font (measuring 1,000 numbers on
    each new analysis cost 3 ms)."""
    if not texts:
        return []
    n = max(map(len, texts))
    return [t for t in texts if len(t) >= n - slack]


def set_color_bar(bar: pg.ColorBarItem, lut: np.ndarray, levels, label: str) -> None:
    key = (id(lut), tuple(float(v) for v in levels), label)
    if getattr(bar, "_rnnviz_key", None) == key:
        return  # the same map, range and name: rebuilding the gradient costs ~3 ms
    bar._rnnviz_key = key
    bar.setColorMap(colormap(lut))
    bar.setLevels(values=key[1])
    bar.axis.setLabel(label)


def style_plot(plot: pg.PlotItem, left: str = "", bottom: str = "") -> None:
    """Fonts >= 10 pt on both axes and their labels; no auto-range 'A' button."""
    plot.hideButtons()
    plot.setMenuEnabled(False)
    for name, text in (("left", left), ("bottom", bottom), ("right", ""), ("top", "")):
        axis = plot.getAxis(name)
        axis.setTickFont(font())
        axis.setStyle(tickLength=5)  # outward: ticks never cover heatmap cells or bars
        axis.enableAutoSIPrefix(False)  # "(x1e+27)" in a label confuses more than it helps
        axis.label.setFont(font())
        if text:
            axis.setLabel(text)


class UnitLines:
    """Each hidden unit's value over time, drawn in few, cached, cheap items.

    At most ``MAX_DISTINCT`` units get their own colour; the rest share one
    faint curve (NaN-separated, one path); the selected unit is redrawn thick
    on top. Items cache their pixels (DeviceCoordinateCache), so a cursor line
    sliding over them costs a blit. Pens are opaque (dimming blends towards
    the background instead of using alpha) and wide antialiased lines are drawn as
    separate segments: Qt strokes a wide zig-zag polyline ~50x slower.
    """

    MAX_DISTINCT = 16

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.values = np.zeros((1, 0))  # (T, H)
        self.curves: list[pg.PlotCurveItem] = []  # units 0..MAX_DISTINCT-1
        self.faint: pg.PlotCurveItem | None = None  # every further unit
        self.highlight = self._add(self._curve(), z=10)
        self.selected: int | None = None

    @staticmethod
    def _curve(*data) -> pg.PlotCurveItem:
        curve = pg.PlotCurveItem(*data, connect="finite")
        curve.setSegmentedLineMode("on")
        return curve

    def _add(self, item: pg.PlotCurveItem, z: float = 0) -> pg.PlotCurveItem:
        item.setCacheMode(item.CacheMode.DeviceCoordinateCache)
        item.setZValue(z)
        self.plot.addItem(item)
        return item

    def set_values(self, values: np.ndarray) -> None:
        self.values = np.asarray(values)  # (T, H)
        T, H = self.values.shape
        x = np.arange(1, T + 1, dtype=float)
        n = min(H, self.MAX_DISTINCT)
        fresh = len(self.curves) != n or (self.faint is None) != (H <= self.MAX_DISTINCT)
        if fresh:  # another hidden size: new items (the same size refills them, 3x cheaper)
            for item in self.curves + ([self.faint] if self.faint is not None else []):
                self.plot.removeItem(item)
            self.curves = [self._add(self._curve()) for _ in range(n)]
            self.faint = None
            if H > self.MAX_DISTINCT:
                faint = pg.PlotCurveItem(connect="finite", antialias=False)
                self.faint = self._add(faint, z=-1)
        for u, curve in enumerate(self.curves):
            curve.setData(x, self.values[:, u])
        if self.faint is not None:
            rest = self.values[:, self.MAX_DISTINCT :].T  # (H - 16, T)
            gap = np.full((rest.shape[0], 1), np.nan)  # breaks the path between units
            xs = np.tile(np.append(x, np.nan), rest.shape[0])
            self.faint.setData(xs, np.hstack([rest, gap]).ravel())
        selected = self.selected if self.selected is not None and self.selected < H else None
        if fresh or selected != self.selected:
            self.set_selected(selected)
        elif selected is not None:
            self.highlight.setData(x, self.values[:, selected])

    def color(self, unit: int) -> tuple[int, int, int]:
        color = UNIT_COLORS[unit] if unit < self.MAX_DISTINCT else (0, 0, 0)
        return theme_rgb() if color == (0, 0, 0) else color  # black reads on light only

    def set_selected(self, unit: int | None) -> None:
        self.selected = unit
        for u, curve in enumerate(self.curves):
            color = self.color(u) if unit is None else faded(self.color(u))
            curve.setPen(pen(color, 1.5))
        if self.faint is not None:
            self.faint.setPen(pen(faded(FAINT), 1))
        if unit is None or unit >= self.values.shape[1]:
            self.highlight.setData([], [])
            return
        x = np.arange(1, self.values.shape[0] + 1, dtype=float)
        thick = pen(self.color(unit), 4)
        thick.setCapStyle(Qt.PenCapStyle.RoundCap)  # segments join without notches
        self.highlight.setData(x, self.values[:, unit], pen=thick)

    def unit_near(self, x: float, y: float, tolerance: float) -> int | None:
        """The unit whose line passes closest to (x, y), if within ``tolerance`` (data units)."""
        T, H = self.values.shape
        if H == 0 or not 1 <= x <= T:
            return None
        steps = np.arange(1, T + 1, dtype=float)
        at_x = np.array([np.interp(x, steps, self.values[:, u]) for u in range(H)])  # (H,)
        distance = np.abs(np.where(np.isfinite(at_x), at_x, np.inf) - y)
        u = int(np.argmin(distance))
        return u if distance[u] <= tolerance else None


def set_title(plot: pg.PlotItem, text: str) -> None:
    """A 10 pt title that may be elided by a narrow dock instead of widening the layout."""
    label = plot.titleLabel
    if not getattr(label, "_rnnviz_shrinkable", False):
        # LabelItem re-imposes its text width as minimum on every resize; a long title
        # would then widen the whole layout past a narrow dock. Keep only the height.
        update_min = label.updateMin

        def shrinkable_min() -> None:
            update_min()
            label.setMinimumWidth(0)
            label._sizeHint[Qt.SizeHint.MinimumSize] = (0, label.minimumHeight())

        label.updateMin = shrinkable_min
        label._rnnviz_shrinkable = True
    plot.setTitle(text, size=f"{FONT_PT}pt")


def live_title(plot: pg.PlotItem) -> QGraphicsSimpleTextItem:
    """A title whose text can change on every cursor move without a relayout.

    Changing a PlotItem title resizes its LabelItem, which re-runs the whole
    layout and throws away every cached curve pixmap; this text item sits in
    the (reserved) title row instead and only repaints itself.
    """
    set_title(plot, " ")  # reserve the row
    item = QGraphicsSimpleTextItem(plot.titleLabel)
    item.setFont(font())
    item.setBrush(pg.mkColor(pg.getConfigOption("foreground")))
    item.setPos(4, 2)
    return item


def set_live_title(item: QGraphicsSimpleTextItem, text: str) -> None:
    """Set a ``live_title``'s text, elided to its plot's width."""
    width = item.parentItem().boundingRect().width() - 8
    metrics = QFontMetricsF(item.font())
    item.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(width, 20)))
    item.setToolTip(text)


class CursorLine(pg.InfiniteLine):
    """The vertical timestep cursor: a dark core on a light halo, visible on any colour."""

    def __init__(self, pos: float = 1.0, movable: bool = True) -> None:
        super().__init__(
            pos=pos,
            angle=90,
            movable=movable,
            pen=pen((255, 255, 255), 6, 200),
            hoverPen=pen(HIGHLIGHT, 7),
        )
        self._core = pen((20, 20, 20), 2)
        self.setZValue(20)

    def paint(self, p, *args) -> None:
        super().paint(p, *args)  # the halo (or the hover colour)
        left, right = self._endPoints
        p.setPen(self._core)
        p.drawLine(QPointF(left, 0), QPointF(right, 0))


def peak_decimate(x, y, max_points: int = 4000):
    """At most ~max_points points, keeping each bin's smallest and largest value in order.

    A long training history is drawn with two points per bin, so a single
    exploding step is never smoothed away. We do this ourselves because
    pyqtgraph's automatic peak downsampling crashed PySide6 6.10 inside Qt's
    path painting (a segfault in every long training run).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    if n <= max_points:
        return x, y
    k = int(np.ceil(n / (max_points // 2)))  # points per bin
    m = n // k * k
    xb, yb = x[:m].reshape(-1, k), y[:m].reshape(-1, k)  # (bins, k)
    finite = np.isfinite(yb)
    lo = np.where(finite, yb, np.inf).argmin(axis=1)  # (bins,) non-finite never wins
    hi = np.where(finite, yb, -np.inf).argmax(axis=1)
    first, second = np.minimum(lo, hi), np.maximum(lo, hi)
    rows = np.arange(len(yb))
    xs = np.stack([xb[rows, first], xb[rows, second]], axis=1).ravel()
    ys = np.stack([yb[rows, first], yb[rows, second]], axis=1).ravel()
    return np.concatenate([xs, x[m:]]), np.concatenate([ys, y[m:]])
