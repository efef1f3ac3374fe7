"""The unrolled network: one column per timestep, x_t -> h_t -> y_t, h_0 on the left.

The same three matrices are used at every step; hovering any arrow (or its
label) highlights every use of its matrix across the sequence, which is the
idea of weight sharing made visible. Hidden units are cells coloured by
h[t, unit] with the shared diverging map; the cursor column is outlined and,
in the forward phase, later steps are veiled as "not yet computed".

In the backward phase (``diagram_backward``) the playhead walks the cursor
from T down to 1: the arrows reverse and are sized by the gradient they carry,
each h box says ||dL/dh_t||, earlier steps are veiled as "not yet reached",
and the cells can show dL/dh_t instead of h_t. A truncation k draws a band
over the steps the loss at the cursor reaches.

Cost model: items are made when the analysis changes (and only the columns
that are new; same-size columns are refilled in place). A cursor move moves
a few items (outline, veil, fade, band) and maybe scrolls, whatever T and H.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QVariantAnimation
from PySide6.QtGui import QColor, QPainterPath, QPalette, QPen, QPixmapCache
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsScene,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ..session import Session
from .colors import diverging_rgb
from .diagram_backward import BackwardLayer, GradArrow, discarded_norms
from .diagram_items import (
    HIGHLIGHT,
    MATRICES,
    ArrowItem,
    CellRef,
    Column,
    DiagramView,
    Geometry,
    LodText,
    Style,
    fmt,
)
from .diagram_tips import (
    arrow_tip,
    column_texts,
    hit_tip,
    matrix_summary,
    matrix_tip,
    truncation_caption,
)
from .diagram_toolbar import DiagramToolbar

PIXMAP_CACHE_KB = 64 * 1024
FILL_MARGIN = 2  # columns beyond each edge of the view filled ahead of scrolling
FIT_MAX_T = 12  # up to this many steps the default view shows the whole sequence
MIN_FIT_ZOOM = 0.7  # ... unless that shrinks 13 px labels below ~9 px: then scroll instead
HINT = "Hover an arrow to see its shared weights · click a column to move the cursor"
BACKWARD_HINT = "Hover an arrow to see the gradient it carries · click a column to move the cursor"


class DiagramPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = session.state
        self.vmax = 1.0  # colour scale of the cells: 1 for tanh, else max |h| (h_0 included)
        self._geo: Geometry | None = None
        self._columns: list[Column] = []  # [0] is h_0, [t + 1] is timestep t
        self._highlighted: str | None = None
        self._auto_zoom = True  # the user has not zoomed: keep the default view on resize
        self._fits = False  # the default view shows every column
        self._shown_cursor = 0
        self._cells = "h"  # what the cells show in the backward phase: "h" | "dh"
        self._arrows_shown = None  # (backward, notation, columns) the arrows were set up for
        self._highlight_shown = None  # (matrix, columns, style) the arrows were coloured for
        self._back_stale = True  # the backward items do not show this analysis yet
        self._discarded: np.ndarray | None = None  # (T,) what truncation drops, when set
        self._stale_cells: set[int] = set()  # columns whose colours wait until shown
        self._stale_texts: set[int] = set()  # columns whose texts wait until shown
        self._cell_data = None  # (values, rgb, light ink) of every column
        self._text_source = None  # the analysis the stale texts come from
        self._scale = 1.0  # text and line size (presenter mode)
        self._build_toolbar()
        self._build_view()
        for name in ("analysis", "cursor", "phase", "selected_unit", "notation"):
            getattr(self.state.events, name).connect(getattr(self, f"_on_{name}_changed"))
        self._on_analysis_changed(self.state.analysis)

    # -- public API (tests, exporters) ------------------------------------------
    def column_rect(self, t: int) -> QRectF:
        """Scene rectangle of timestep t's column (t 0-based, like state.cursor)."""
        return self._geo.column_rect(t)

    def unit_item(self, t: int, u: int) -> CellRef:
        """The cell of unit u at step t (t = -1 is h_0); its brush is the value's colour."""
        self._fill_column(t + 1)
        return CellRef(self._columns[t + 1].cells, u)

    def arrow_items(self, matrix: str) -> list[ArrowItem]:
        """Every use of one shared matrix ("W_xh", "W_hh", "W_hy"): T arrows."""
        return [c.arrows[matrix] for c in self._columns[1:]]

    def label_items(self, matrix: str) -> list[LodText]:
        return [c.labels[matrix] for c in self._columns[1:]]

    def box_rect(self, t: int, part: str) -> QRectF:
        """The x ("x"), hidden ("h") or output ("y") box of step t (t = -1: h_0)."""
        return {"x": self._geo.xbox, "h": self._geo.hbox, "y": self._geo.ybox}[part](t + 1)

    def column_texts(self, t: int) -> dict[str, str]:
        """What step t's column says: token, vector, pred, prob, target, loss ('' if none)."""
        self._fill_column(t + 1)
        return {k: item.text() for k, item in self._columns[t + 1].texts.items()}

    def backward_arrow(self, t: int, kind: str) -> GradArrow:
        """The backward arrow into h_t from y_t ("local") or from h_{t+1} ("carried")."""
        return self._backward.arrow(t, kind)

    def gradient_item(self, t: int):
        """The ring around h_t's box sized by ||dL/dh_t|| (t = -1: h_0)."""
        return self._backward.columns[t + 1].halo

    def gradient_label(self, t: int) -> str:
        """What h_t's box says in the backward phase (t = -1: h_0)."""
        return self._backward.columns[t + 1].header.text()

    def band_rect(self) -> QRectF | None:
        """The truncation band (None without truncation)."""
        band = self._backward.band
        return band.rect() if band.isVisible() else None

    def cursor_rect(self) -> QRectF:
        """Where the current-step outline is drawn (scene coordinates)."""
        return self._cursor_item.path().boundingRect()

    def selection_path(self) -> QPainterPath:
        """The outline of the selected unit, one rectangle per column (empty: none)."""
        return self._selection[1].path()

    @property
    def column_count(self) -> int:
        return len(self._columns) - 1

    @property
    def highlighted_matrix(self) -> str | None:
        return self._highlighted

    def is_dimmed(self, t: int) -> bool:
        return self._veil.isVisible() and self._veil.rect().intersects(self.column_rect(t))

    def set_presenter_scale(self, factor: float) -> None:
        """Text, lines and columns ``factor`` times larger (presenter mode; 1.0 restores).
        Rebuilds the scene, as a theme change does."""
        if factor != self._scale:
            self._scale = factor
            self._geo = None
            self._on_analysis_changed(self.state.analysis)

    @property
    def presenter_scale(self) -> float:
        return self._scale

    def highlight_matrix(self, matrix: str | None) -> None:
        """Highlight every use of one shared matrix (None clears), as hovering does."""
        if matrix != self._highlighted:
            self._highlighted = matrix
            self._update_highlight()
            self._update_info()

    def tooltip_at(self, p: QPointF) -> str | None:
        """The hover text at scene point p (exact values), or None."""
        for item in self.scene.items(p):
            if isinstance(item, GradArrow):
                return arrow_tip(self.state, item.kind, item.t)
            if item.data(0) in MATRICES:
                return matrix_tip(self.state, item.data(0))
        hit = self._geo.hit(p)
        return hit_tip(self.state, hit) if hit else None

    def fit_to_view(self) -> None:
        """The Fit button: the default view if it shows everything, else the whole network
        however small (an overview of the colours; the numbers come back when zooming in)."""
        self._auto_zoom = True
        self._apply_default_zoom()
        if not self._fits:  # the default scrolls: show the overview the user asked for
            self._auto_zoom = False
            self.view.fitInView(self._geo.scene_rect(), Qt.AspectRatioMode.KeepAspectRatio)

    # -- building -------------------------------------------------------------
    def _build_toolbar(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.toolbar = bar = DiagramToolbar(self.session)
        bar.sig_zoom.connect(lambda factor: self.view.zoom_by(factor))
        bar.sig_fit.connect(self.fit_to_view)
        bar.sig_show_all.connect(lambda _: self._update_dimming())
        bar.sig_cells_changed.connect(self._on_cells_changed)
        layout.addWidget(bar)
        # the widgets tests and the main window reach for, by their old names
        self.controls = bar
        self.zoom_out_button, self.zoom_in_button = bar.zoom_out_button, bar.zoom_in_button
        self.fit_button, self.show_all, self.info = bar.fit_button, bar.show_all, bar.info
        self.scale_label, self.caption = bar.scale_label, bar.caption

    def _build_view(self) -> None:
        # boxes, arrows and texts are cached as pixmaps (diagram_items); Qt's 10 MB default
        # evicts them while scrolling through T = 100 at H = 64 (~15 MB), so each scroll
        # re-rendered what it had just drawn
        QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), PIXMAP_CACHE_KB))
        self.scene = QGraphicsScene(self)
        # ~7,000 static items: a BSP index only slows building and clearing them, while a
        # linear search under the mouse stays well under a millisecond
        self.scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.view = DiagramView(self.scene, self)
        self.view.sig_clicked.connect(self._on_view_clicked)
        self.view.sig_zoomed.connect(self._on_view_zoomed)
        for bar in (self.view.horizontalScrollBar(), self.view.verticalScrollBar()):
            bar.valueChanged.connect(self._fill_visible)  # columns scrolled into view
            bar.rangeChanged.connect(self._fill_visible)  # zoom, resize
        self.view.viewport().installEventFilter(self)
        self.layout().addWidget(self.view, 1)
        self._fade_anim = QVariantAnimation(self)
        self._fade_anim.setDuration(220)
        self._fade_anim.setStartValue(1.0)
        self._fade_anim.setEndValue(0.0)
        self._fade_anim.valueChanged.connect(lambda v: self._fade.setOpacity(float(v)))

    def _build_scene(self) -> None:
        """Start from an empty scene: new hidden size, or a new theme."""
        self._fade_anim.stop()
        self._columns, self._arrows_shown = [], None
        self.scene.clear()
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.Text)
        line = QColor(text)
        line.setAlpha(150)
        box = pal.color(QPalette.ColorRole.AlternateBase)
        self._style = Style(text, line, box, self.highlight_matrix)
        self.scene.setBackgroundBrush(pal.color(QPalette.ColorRole.Base))
        self._build_overlays(pal)
        self._backward = BackwardLayer(self.scene, text)

    def _build_overlays(self, pal: QPalette) -> None:
        accent = pal.color(QPalette.ColorRole.Highlight)
        fill = QColor(accent)
        fill.setAlpha(34)
        outline = QPen(accent, 2.5 * self._scale)
        self._cursor_item = self.scene.addPath(QPainterPath(), outline, fill)
        self._cursor_item.setZValue(-1)
        self._cursor_item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        veil = QColor(pal.color(QPalette.ColorRole.Base))
        veil.setAlpha(190)
        self._veil = self.scene.addRect(QRectF(), QPen(Qt.PenStyle.NoPen), veil)
        self._fade = self.scene.addRect(QRectF(), QPen(Qt.PenStyle.NoPen), veil)
        self._veil.setZValue(50)
        self._fade.setZValue(50)
        self._fade.setOpacity(0.0)
        px = round(13 * self._scale)
        self._note = LodText("not yet computed", px, self._style.text, self._veil, italic=True)
        self._selection = [  # a white halo under a black line: visible on every cell colour
            self.scene.addPath(QPainterPath(), QPen(QColor(color), width * self._scale))
            for color, width in (("white", 4.5), ("black", 2.0))
        ]
        for item in self._selection:
            item.setZValue(40)

    def _shows_gradient(self) -> bool:
        return self.state.phase == "backward" and self._cells == "dh"

    def _fill_cells(self) -> None:
        """Colour every cell by h (or, backward, by dL/dh) and write values that fit.

        The colours are computed for all columns at once; the items of a column are
        written when it is on screen (or asked for): at T = 100 a text edit fills the ~10
        columns in view instead of 101, and scrolling fills the others as they come."""
        trace = self.state.analysis.trace
        if self._shows_gradient():
            hs = np.vstack([trace.grads["h0"][None, :], trace.dh])  # (T + 1, H), dL/dh_0 first
        else:
            hs = np.vstack([trace.params.h0[None, :], trace.hs])  # (T + 1, H), h_0 first
        finite = np.isfinite(hs)  # (T + 1, H), row 0 is h_0
        peak = float(np.abs(hs[finite]).max()) if finite.any() else 0.0
        tanh = trace.config.activation == "tanh" and not self._shows_gradient()
        self.vmax = 1.0 if tanh or peak == 0.0 else peak
        self._update_scale()
        rgb = diverging_rgb(np.where(finite, hs, 0.0), self.vmax)  # (T + 1, H, 3)
        rgb[~finite] = 128  # overflowed values: neutral grey, "nan"/"inf" in the tooltip
        light = rgb @ np.array([0.299, 0.587, 0.114]) > 140  # (T + 1, H): dark ink?
        self._cell_data = (hs, rgb, light)
        self._stale_cells = set(range(len(self._columns)))
        self._fill_visible()

    def _fill_texts(self, analysis) -> None:
        self._text_source = analysis
        self._stale_texts = set(range(1, len(self._columns)))
        self._fill_visible()

    def _fill_column(self, i: int) -> None:
        """Write column i's colours and texts if the last analysis has not reached it yet."""
        if i in self._stale_cells:
            self._stale_cells.discard(i)
            (hs, rgb, light), geo = self._cell_data, self._geo
            values = None
            if not geo.strip:
                black, white = QColor("black"), QColor("white")
                values = [
                    (geo.cell(i, u), fmt(hs[i, u]), black if light[i, u] else white)
                    for u in range(geo.H)
                ]
            self._columns[i].fill_cells(rgb[i].tolist(), values)
        if i in self._stale_texts:
            self._stale_texts.discard(i)
            a, width = self._text_source, self._geo.CW - 8
            self._columns[i].fill_texts(column_texts(a.built, a.trace, i - 1, width))

    def _fill_visible(self, *_) -> None:
        if not (self._stale_cells or self._stale_texts) or self._geo is None:
            return
        shown = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        geo, n = self._geo, len(self._columns)
        first = math.floor((shown.left() - geo.LEFT) / geo.PITCH) - FILL_MARGIN
        last = math.ceil((shown.right() - geo.LEFT) / geo.PITCH) + FILL_MARGIN
        for i in range(max(first, 0), min(last, n - 1) + 1):
            self._fill_column(i)

    def fill_all(self) -> None:
        """Every column written (before the whole scene is exported)."""
        for i in range(len(self._columns)):
            self._fill_column(i)

    def export_scene(self) -> QGraphicsScene:
        self.fill_all()
        return self.scene

    # -- state -> scene -------------------------------------------------------
    def _on_analysis_changed(self, analysis) -> None:
        trace, H = analysis.trace, analysis.built.params.hidden_size
        geo, old = Geometry(trace.length, H, self._scale), self._geo
        if old is None or (old.H, old.strip) != (geo.H, geo.strip):
            self._build_scene()
        self._geo = geo
        self.scene.setSceneRect(geo.scene_rect())
        while len(self._columns) > geo.T + 1:
            self._columns.pop().remove(self.scene)
        while len(self._columns) < geo.T + 1:
            column = Column(self.scene, geo, len(self._columns), self._style, self.state.notation)
            self._columns.append(column)
        self._backward.sync(geo, fresh=old is None or old.H != geo.H)
        self._back_stale = True
        self._discarded = discarded_norms(trace)  # a second engine run, only with truncation
        self._fill_cells()
        self._fill_texts(analysis)
        self._shown_cursor = self.state.cursor
        self._update_phase()
        self._update_highlight()
        self._update_cursor()
        self._update_selection()
        self._update_info()
        if self._auto_zoom:
            self._apply_default_zoom()

    def _on_cursor_changed(self, cursor: int) -> None:
        self._update_cursor()

    def _on_phase_changed(self, phase: str) -> None:
        self._update_phase()
        if self._cells == "dh":
            self._fill_cells()
        self._update_dimming()

    def _on_cells_changed(self, cells: str) -> None:
        self._cells = cells
        self._fill_cells()

    def _on_selected_unit_changed(self, unit) -> None:
        self._update_selection()

    def _on_notation_changed(self, notation: str) -> None:
        self._update_phase()  # relabels every arrow
        self._update_info()

    def _update_phase(self) -> None:
        """Forward arrows or reversed, gradient-sized ones; labels with or without ᵀ."""
        backward = self.state.phase == "backward"
        if backward and self._back_stale:  # filled only when shown: training stays cheap
            self._backward.fill(self.state.analysis.trace)
            self._back_stale = False
        self._backward.set_visible(backward)
        key = (backward, self.state.notation, len(self._columns))
        if key != self._arrows_shown:  # a new analysis of the same shape keeps its arrows
            self._arrows_shown = key
            for column in self._columns[1:]:
                column.arrows["W_hy"].setVisible(not backward)
                column.arrows["W_hh"].setVisible(not backward)
                column.arrows["W_xh"].setOpacity(0.35 if backward else 1.0)  # not in the story
                column.labels["W_xh"].setOpacity(0.45 if backward else 1.0)
                column.relabel(self.state.notation, backward)
        self.toolbar.sync(self.state)
        self._update_scale()
        self._update_info()

    def _update_highlight(self) -> None:
        on = self._highlighted
        key = (on, len(self._columns), self._style)
        if key == self._highlight_shown:
            return  # a new analysis of the same shape: the arrows are already right
        self._highlight_shown = key
        for column in self._columns[1:]:
            for m in MATRICES:
                column.arrows[m].set_highlighted(m == on)
                column.labels[m].setBrush(HIGHLIGHT if m == on else self._style.text)
                column.labels[m].setZValue(61 if m == on else 0)
        self._backward.highlight(on)

    def _update_cursor(self) -> None:
        t, previous = self.state.cursor, self._shown_cursor
        self._shown_cursor = t
        path = QPainterPath()
        path.addRoundedRect(self.column_rect(t), 10, 10)
        self._cursor_item.setPath(path)
        self._update_dimming(moved=t - previous)
        self._update_band()
        if not self._whole_view():
            self._ensure_cursor_visible()

    def _update_dimming(self, moved: int = 0) -> None:
        """Veil the steps the playhead has not reached: later ones going forward,
        earlier ones (and h_0) going backward; the step just reached fades in."""
        backward = self.state.phase == "backward"
        dim = not self.show_all.isChecked()
        t, scene, bottom = self.state.cursor, self._geo.scene_rect(), self._geo.bottom
        if backward:
            edge = self.column_rect(t).left() - 2
            self._veil.setRect(QRectF(0, 0, edge, scene.height()))
            self._veil.setVisible(dim and t > 0)
            self._note.setText("not yet reached")
            self._note.setPos(self._geo.LEFT + 4, bottom - self._geo.NOTE_H)
            revealed = QRectF(edge, 0, self.column_rect(t + 1).left() - 2 - edge, scene.height())
        else:
            edge = self.column_rect(t).right() + 2
            self._veil.setRect(QRectF(edge, 0, scene.right() - edge, scene.height()))
            self._veil.setVisible(dim and t < self._geo.T - 1)
            self._note.setText("not yet computed")
            self._note.setPos(edge + 10, bottom - self._geo.NOTE_H)
            start = self.column_rect(t - 1).right() + 2
            revealed = QRectF(start, 0, edge - start, scene.height())
        if dim and moved == (-1 if backward else 1):  # the column just computed fades in
            self._fade.setRect(revealed)
            self._fade_anim.stop()
            self._fade.setOpacity(1.0)  # the animation only writes on its first tick
            self._fade_anim.start()

    def _update_band(self) -> None:
        """The truncation band at the cursor and the caption saying what it discards."""
        k, t = self.state.analysis.trace.config.truncation, self.state.cursor
        self._backward.update_band(self._geo, t, k)
        self.toolbar.set_caption(*(truncation_caption(k, t, self._discarded) if k else (None,)))

    def _update_selection(self) -> None:
        u, geo = self.state.selected_unit, self._geo
        path = QPainterPath()
        if u is not None and u < geo.H:
            for i in range(geo.T + 1):
                path.addRect(geo.cell(i, u).adjusted(-1.5, -1.5, 1.5, 1.5))
        for item in self._selection:
            item.setPath(path)

    def _update_scale(self) -> None:
        backward = self.state.phase == "backward"
        name = "∂L/∂h" if self._shows_gradient() else "h"
        self.toolbar.set_legends(name, self.vmax, self._backward.scale if backward else None)

    def _update_info(self) -> None:
        m = self._highlighted
        hint = BACKWARD_HINT if self.state.phase == "backward" else HINT
        self.toolbar.set_info(matrix_summary(self.state, m) if m else hint)

    # -- zoom and pan ---------------------------------------------------------
    def _whole_view(self) -> bool:
        return self._auto_zoom and self._fits

    def _apply_default_zoom(self) -> None:
        """Whole network for short texts (T <= 12) when it stays legible; otherwise a
        readable zoom (the full height, at most 1:1) that follows the cursor."""
        geo, viewport = self._geo, self.view.viewport().rect()
        scene = geo.scene_rect()
        fit = min(viewport.width() / scene.width(), viewport.height() / scene.height())
        self._fits = geo.T <= FIT_MAX_T and fit >= MIN_FIT_ZOOM
        if self._fits:
            self.view.fitInView(scene, Qt.AspectRatioMode.KeepAspectRatio)
            if self.view.zoom() > 2.0:
                self.view.resetTransform()
                self.view.scale(2.0, 2.0)
        else:
            s = min(max(viewport.height() / scene.height(), MIN_FIT_ZOOM), 1.0)
            self.view.resetTransform()
            self.view.scale(s, s)
            bar = self.view.horizontalScrollBar()
            bar.setValue(bar.minimum())  # start at h_0, then scroll only if the cursor is out
            self._ensure_cursor_visible()

    def _ensure_cursor_visible(self) -> None:
        """Scroll only when the cursor column (plus half a gap) is off screen; then centre it."""
        shown = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        column = self.column_rect(self.state.cursor).adjusted(-20, 0, 20, 0)
        if column.left() < shown.left() or column.right() > shown.right():
            self.view.centerOn(column.center().x(), shown.center().y())

    def _on_view_zoomed(self) -> None:
        self._auto_zoom = False

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._auto_zoom:
            self._apply_default_zoom()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._auto_zoom:
            self._apply_default_zoom()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and getattr(self, "_geo", None):
            self._geo = None  # a new theme: rebuild with its colours
            self._on_analysis_changed(self.state.analysis)

    # -- scene -> state -------------------------------------------------------
    def _on_view_clicked(self, p: QPointF) -> None:
        hit = self._geo.hit(p)
        if hit is None:
            return
        kind, t, u = hit
        if kind == "unit":
            again = u == self.state.selected_unit and t == self.state.cursor
            self.session.set_selected_unit(None if again else u)
        if t >= 0:
            self.session.set_cursor(t)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.view.viewport() and event.type() == QEvent.Type.ToolTip:
            text = self.tooltip_at(self.view.mapToScene(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self.view.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().eventFilter(obj, event)
