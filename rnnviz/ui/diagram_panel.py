"""The unrolled network: one column per timestep, x_t -> h_t -> y_t, h_0 on the left.

The same three matrices are used at every step; hovering any arrow (or its
label) highlights every use of its matrix across the sequence, which is the
idea of weight sharing made visible. Hidden units are cells coloured by
h[t, unit] with the shared diverging map; the cursor column is outlined and,
in the forward phase, later steps are veiled as "not yet computed".

Cost model: items are made when the analysis changes (and only the columns
that are new; same-size columns are refilled in place). A cursor move moves
three items (outline, veil, fade) and maybe scrolls, whatever T and H.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QVariantAnimation
from PySide6.QtGui import QColor, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsRectItem,
    QGraphicsScene,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ..session import Session
from .colors import diverging_rgb
from .diagram_items import (
    HIGHLIGHT,
    MATRICES,
    ArrowItem,
    Column,
    DiagramView,
    Geometry,
    LodText,
    Style,
    fmt,
    hit_tip,
    matrix_summary,
    matrix_tip,
    metrics,
    output_lines,
    token_text,
    vector_text,
)

FIT_MAX_T = 12  # up to this many steps the default view shows the whole sequence
MIN_FIT_ZOOM = 0.7  # ... unless that shrinks 13 px labels below ~9 px: then scroll instead
HINT = "Hover an arrow to see its shared weights · click a column to move the cursor"


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
        self._build_toolbar()
        self._build_view()
        for name in ("analysis", "cursor", "phase", "selected_unit", "notation"):
            getattr(self.state.events, name).connect(getattr(self, f"_on_{name}_changed"))
        self._on_analysis_changed(self.state.analysis)

    # -- public API (tests, exporters) ------------------------------------------
    def column_rect(self, t: int) -> QRectF:
        """Scene rectangle of timestep t's column (t 0-based, like state.cursor)."""
        return self._geo.column_rect(t)

    def unit_item(self, t: int, u: int) -> QGraphicsRectItem:
        """The cell of unit u at step t (t = -1 is h_0); its brush is the value's colour."""
        return self._columns[t + 1].cells[u]

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
        return {k: item.text() for k, item in self._columns[t + 1].texts.items()}

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

    def highlight_matrix(self, matrix: str | None) -> None:
        """Highlight every use of one shared matrix (None clears), as hovering does."""
        if matrix != self._highlighted:
            self._highlighted = matrix
            self._update_highlight()
            self._update_info()

    def tooltip_at(self, p: QPointF) -> str | None:
        """The hover text at scene point p (exact values), or None."""
        for item in self.scene.items(p):
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
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 0)
        self.zoom_out_button, self.zoom_in_button, self.fit_button = (
            self._button(bar, "−", "Zoom out (Ctrl+wheel)", lambda: self.view.zoom_by(1 / 1.25)),
            self._button(bar, "+", "Zoom in (Ctrl+wheel)", lambda: self.view.zoom_by(1.25)),
            self._button(bar, "Fit", "Show the whole network", self.fit_to_view),
        )
        self.show_all = QCheckBox("show all steps")
        self.show_all.setToolTip("Do not dim the steps after the cursor (not yet computed)")
        self.show_all.toggled.connect(lambda _: self._update_dimming())
        bar.addWidget(self.show_all)
        self.scale_label = QLabel()
        self.scale_label.setToolTip("Colour of a hidden unit's value (the same map in every panel)")
        bar.addWidget(self.scale_label)
        self.info = QLabel(HINT)
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar.addWidget(self.info, 1)
        layout.addLayout(bar)

    def _button(self, bar: QHBoxLayout, text: str, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        bar.addWidget(button)
        return button

    def _build_view(self) -> None:
        self.scene = QGraphicsScene(self)
        # ~7,000 static items: a BSP index only slows building and clearing them, while a
        # linear search under the mouse stays well under a millisecond
        self.scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.view = DiagramView(self.scene, self)
        self.view.sig_clicked.connect(self._on_view_clicked)
        self.view.sig_zoomed.connect(self._on_view_zoomed)
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
        self._columns = []
        self.scene.clear()
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.Text)
        line = QColor(text)
        line.setAlpha(150)
        box = pal.color(QPalette.ColorRole.AlternateBase)
        self._style = Style(text, line, box, self.highlight_matrix)
        self.scene.setBackgroundBrush(pal.color(QPalette.ColorRole.Base))
        self._build_overlays(pal)

    def _build_overlays(self, pal: QPalette) -> None:
        accent = pal.color(QPalette.ColorRole.Highlight)
        fill = QColor(accent)
        fill.setAlpha(34)
        self._cursor_item = self.scene.addPath(QPainterPath(), QPen(accent, 2.5), fill)
        self._cursor_item.setZValue(-1)
        veil = QColor(pal.color(QPalette.ColorRole.Base))
        veil.setAlpha(190)
        self._veil = self.scene.addRect(QRectF(), QPen(Qt.PenStyle.NoPen), veil)
        self._fade = self.scene.addRect(QRectF(), QPen(Qt.PenStyle.NoPen), veil)
        self._veil.setZValue(50)
        self._fade.setZValue(50)
        self._fade.setOpacity(0.0)
        self._note = LodText("not yet computed", 13, self._style.text, self._veil, italic=True)
        self._selection = [  # a white halo under a black line: visible on every cell colour
            self.scene.addPath(QPainterPath(), QPen(QColor(color), width))
            for color, width in (("white", 4.5), ("black", 2.0))
        ]
        for item in self._selection:
            item.setZValue(40)

    def _fill_cells(self, hs: np.ndarray) -> None:
        """Colour every cell (and write its value when cells are big enough)."""
        finite = np.isfinite(hs)  # (T + 1, H), row 0 is h_0
        peak = float(np.abs(hs[finite]).max()) if finite.any() else 0.0
        tanh = self.state.analysis.trace.config.activation == "tanh"
        self.vmax = 1.0 if tanh or peak == 0.0 else peak
        self._update_scale()
        rgb = diverging_rgb(np.where(finite, hs, 0.0), self.vmax)  # (T + 1, H, 3)
        rgb[~finite] = 128  # overflowed values: neutral grey, "nan"/"inf" in the tooltip
        light = rgb @ np.array([0.299, 0.587, 0.114]) > 140  # (T + 1, H): dark ink?
        geo, black, white = self._geo, QColor("black"), QColor("white")
        for i, (column, row) in enumerate(zip(self._columns, rgb.tolist(), strict=True)):
            values = None
            if not geo.strip:
                values = [
                    (geo.cell(i, u), fmt(hs[i, u]), black if light[i, u] else white)
                    for u in range(geo.H)
                ]
            column.fill_cells(row, values)

    def _fill_texts(self, analysis) -> None:
        trace, built, width = analysis.trace, analysis.built, self._geo.CW - 8
        onehot, D = built.spec.encoding == "onehot", trace.xs.shape[1]
        for t, column in enumerate(self._columns[1:]):
            # x_t small under its token: the vector if it fits (else elided; hover has all)
            small = vector_text(trace.xs[t, :8]) if D <= 8 else "[" + fmt(trace.xs[t, 0]) + ", …]"
            if onehot and (D > 8 or metrics(12).horizontalAdvance(small) > width):
                small = f"one-hot, id {trace.sample.ids[t]}"
            pred, prob = output_lines(built, trace, t)
            scored = bool(trace.sample.scored[t])
            column.fill_texts(
                {
                    "token": token_text(built.tokens[t]),
                    "vector": small,
                    "pred": pred,
                    "prob": prob,
                    "target": f"target: {token_text(built.target_tokens[t])}" if scored else "",
                    "loss": f"loss {fmt(trace.step_losses[t])}" if scored else "",
                }
            )

    # -- state -> scene -------------------------------------------------------
    def _on_analysis_changed(self, analysis) -> None:
        trace, H = analysis.trace, analysis.built.params.hidden_size
        geo, old = Geometry(trace.length, H), self._geo
        if old is None or (old.H, old.strip) != (geo.H, geo.strip):
            self._build_scene()
        self._geo = geo
        self.scene.setSceneRect(geo.scene_rect())
        while len(self._columns) > geo.T + 1:
            self._columns.pop().remove(self.scene)
        while len(self._columns) < geo.T + 1:
            column = Column(self.scene, geo, len(self._columns), self._style, self.state.notation)
            self._columns.append(column)
        self._fill_cells(np.vstack([trace.params.h0[None, :], trace.hs]))  # (T + 1, H)
        self._fill_texts(analysis)
        self._shown_cursor = self.state.cursor
        self._update_highlight()
        self._update_cursor()
        self._update_selection()
        self._update_info()
        if self._auto_zoom:
            self._apply_default_zoom()

    def _on_cursor_changed(self, cursor: int) -> None:
        self._update_cursor()

    def _on_phase_changed(self, phase: str) -> None:
        self._update_dimming()

    def _on_selected_unit_changed(self, unit) -> None:
        self._update_selection()

    def _on_notation_changed(self, notation: str) -> None:
        for column in self._columns[1:]:
            column.relabel(notation)
        self._update_info()

    def _update_highlight(self) -> None:
        on = self._highlighted
        for column in self._columns[1:]:
            for m in MATRICES:
                column.arrows[m].set_highlighted(m == on)
                column.labels[m].setBrush(HIGHLIGHT if m == on else self._style.text)
                column.labels[m].setZValue(61 if m == on else 0)

    def _update_cursor(self) -> None:
        t, previous = self.state.cursor, self._shown_cursor
        self._shown_cursor = t
        path = QPainterPath()
        path.addRoundedRect(self.column_rect(t), 10, 10)
        self._cursor_item.setPath(path)
        self._update_dimming(revealed=t == previous + 1)
        if not self._whole_view():
            self._ensure_cursor_visible()

    def _update_dimming(self, revealed: bool = False) -> None:
        dim = self.state.phase == "forward" and not self.show_all.isChecked()
        t, scene = self.state.cursor, self._geo.scene_rect()
        left = self.column_rect(t).right() + 2
        self._veil.setRect(QRectF(left, 0, scene.right() - left, scene.height()))
        self._veil.setVisible(dim and t < self._geo.T - 1)
        self._note.setPos(left + 10, self._geo.bottom - self._geo.NOTE_H)
        if dim and revealed:  # the column that was just computed fades in
            start = self.column_rect(t - 1).right() + 2
            self._fade.setRect(QRectF(start, 0, left - start, scene.height()))
            self._fade_anim.stop()
            self._fade.setOpacity(1.0)  # the animation only writes on its first tick
            self._fade_anim.start()

    def _update_selection(self) -> None:
        u, geo = self.state.selected_unit, self._geo
        path = QPainterPath()
        if u is not None and u < geo.H:
            for i in range(geo.T + 1):
                path.addRect(geo.cell(i, u).adjusted(-1.5, -1.5, 1.5, 1.5))
        for item in self._selection:
            item.setPath(path)

    def _update_scale(self) -> None:
        """A three-swatch legend of the cell colours: -vmax, 0, +vmax."""
        swatches = [
            f'<span style="background-color: rgb{tuple(diverging_rgb(v, self.vmax).tolist())}">'
            f"&nbsp;&nbsp;&nbsp;</span>&nbsp;{label}"
            for v, label in (
                (-self.vmax, f"−{fmt(self.vmax)}"),
                (0.0, "0"),
                (self.vmax, f"+{fmt(self.vmax)}"),
            )
        ]
        self.scale_label.setText("h:&nbsp;" + "&nbsp;&nbsp;".join(swatches))

    def _update_info(self) -> None:
        m = self._highlighted
        self.info.setToolTip(matrix_summary(self.state, m) if m else HINT)
        self._elide_info()

    def _elide_info(self) -> None:
        full, width = self.info.toolTip(), max(self.info.width(), 40)
        self.info.setText(
            self.info.fontMetrics().elidedText(full, Qt.TextElideMode.ElideRight, width)
        )

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
        self._elide_info()
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
