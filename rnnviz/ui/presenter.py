"""Presenter mode (F5): readable from the back of a room.

``install_presenter(window)`` adds View ▸ Presenter mode (F5) and returns the
controller (also ``window.presenter``). Entering it

* multiplies the application font by ``FONT_FACTOR`` (and every widget or
  plot text that set its own font, e.g. the 10 pt axis ticks of the plots);
* multiplies the width of every pyqtgraph line (curves, cursor lines) by
  ``LINE_FACTOR``; plots redraw on an analysis change, so the widths are
  re-applied after every analysis and cursor change (idempotently: a pen
  already widened is left alone);
* switches to a high-contrast palette (white on black, yellow highlight),
  built here like ``theme.py``'s dark palette, black plot backgrounds and
  white plot titles and axes (check and radio boxes get a visible ring);
* asks every panel that draws its own scene (the unrolled diagram) to scale
  itself: ``panel.set_presenter_scale(FONT_FACTOR)``, 1.0 on leaving;
* shows "Presenter mode — F5 to leave" in the status bar.

Leaving restores the fonts, pens, colours and the theme that is current
(``theme.current_theme()``: the theme menu keeps working in presenter mode),
so presenter mode is never saved as a theme.

Axes that a panel gave a fixed size keep it unless the panel refits them to
their tick font (the output bars do: pyqtgraph drops a label that does not
fit its axis); leaving lays every plot out again at the restored sizes.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QFont, QKeySequence, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsSimpleTextItem,
    QGraphicsTextItem,
    QGraphicsWidget,
    QLabel,
)

from .lesson_lock_ui import menu_named
from .theme import apply_theme, current_theme

FONT_FACTOR = 1.6
LINE_FACTOR = 2.5
MESSAGE = "Presenter mode — F5 to leave"
PLOT_BG, PLOT_FG = "#000000", "#ffffff"

_R = QPalette.ColorRole
HIGH_CONTRAST = {
    _R.Window: "#000000",
    _R.WindowText: "#ffffff",
    _R.Base: "#000000",
    _R.AlternateBase: "#1c1c1c",
    _R.ToolTipBase: "#000000",
    _R.ToolTipText: "#ffffff",
    _R.PlaceholderText: "#c8c8c8",
    _R.Text: "#ffffff",
    _R.Button: "#141414",
    _R.ButtonText: "#ffffff",
    _R.BrightText: "#ffd000",
    _R.Highlight: "#ffd000",  # yellow: stands out for every kind of colour vision
    _R.HighlightedText: "#000000",
    _R.Link: "#66ccff",
    _R.Light: "#ffffff",
    _R.Midlight: "#b0b0b0",
    _R.Mid: "#808080",
    _R.Dark: "#606060",
    _R.Shadow: "#000000",
}
_DISABLED = "#9a9a9a"  # still 7:1 on black
# Fusion outlines check and radio indicators in the window colour made darker, which
# vanishes on black: these buttons get a white "window" colour, so a grey ring shows
_INDICATOR_WINDOW = "#ffffff"


def high_contrast_palette() -> QPalette:
    pal = QPalette()
    for role, color in HIGH_CONTRAST.items():
        pal.setColor(role, QColor(color))
    for role in (_R.Text, _R.WindowText, _R.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(_DISABLED))
    return pal


def scaled_font(font: QFont, factor: float) -> QFont:
    out = QFont(font)
    if font.pointSizeF() > 0:
        out.setPointSizeF(font.pointSizeF() * factor)
    elif font.pixelSize() > 0:
        out.setPixelSize(round(font.pixelSize() * factor))
    return out


class Presenter:
    def __init__(self, window) -> None:
        self.window = window
        self.active = False
        self._app_font: QFont | None = None
        self._palettes: list = []  # (check/radio button, palette before)
        self._widget_fonts: list = []  # (widget, its own font before)
        self._pens: dict = {}  # plot item -> (pen before, width set)
        self._fonts: dict = {}  # scene text item / axis -> (font before, point size set)
        self._inks: dict = {}  # plot text item -> its dark colour before
        self._labels: dict = {}  # plot title -> its options before
        self.action = QAction("&Presenter mode", window)
        self.action.setObjectName("presenter_action")
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.action.setToolTip("Large fonts, thick lines, high contrast for a projector (F5)")
        self.action.toggled.connect(self.set_active)
        menu_named(window, "View").addAction(self.action)
        window.addAction(self.action)  # F5 works with the menu bar hidden too
        self.label = QLabel(MESSAGE)
        self.label.setObjectName("presenter_label")
        self.label.setStyleSheet("QLabel { color: #ffd000; font-weight: bold; padding: 0 8px; }")
        self.label.setVisible(False)
        window.statusBar().addPermanentWidget(self.label)
        for field in ("analysis", "cursor"):
            getattr(window.state.events, field).connect(self._on_view_changed)

    def toggle(self) -> None:
        self.action.setChecked(not self.active)

    def set_active(self, on: bool) -> None:
        if on == self.active:
            return
        self.active = on
        app = QApplication.instance()
        if on:
            self._enter(app)
        else:
            self._leave(app)
        self.action.setChecked(on)
        self.label.setVisible(on)

    # -- entering and leaving ---------------------------------------------------
    def _enter(self, app) -> None:
        import pyqtgraph as pg

        # fonts a widget set itself do not follow the application font: note them first
        # (nor do widgets with a style sheet of their own, e.g. the token chips)
        own = [
            w
            for w in self._widgets()
            if w.testAttribute(Qt.WidgetAttribute.WA_SetFont) or w.styleSheet()
        ]
        self._widget_fonts = [(w, QFont(w.font())) for w in own]
        self._app_font = QFont(app.font())
        app.setFont(scaled_font(self._app_font, FONT_FACTOR))
        for w, font in self._widget_fonts:
            w.setFont(scaled_font(font, FONT_FACTOR))
        app.setPalette(high_contrast_palette())
        pg.setConfigOption("background", PLOT_BG)
        pg.setConfigOption("foreground", PLOT_FG)
        for panel in self._scalable():
            panel.set_presenter_scale(FONT_FACTOR)
        self._restyle_plots()

    def _leave(self, app) -> None:
        import pyqtgraph as pg

        for item, (pen, _width) in list(self._pens.items()):
            _try(item.setPen, pen)
        for item, (font, _size) in list(self._fonts.items()):
            _try(_set_font(item), font)
        for item, color in list(self._inks.items()):
            simple = isinstance(item, QGraphicsSimpleTextItem)
            _try(item.setBrush if simple else item.setDefaultTextColor, color)
        labels = dict(self._labels)
        for table in self._tables():
            table.clear()
        if self._app_font is not None:  # first: a style sheet re-polish must not undo ours
            app.setFont(self._app_font)
        for w, font in self._widget_fonts:
            _try(w.setFont, font)
        self._widget_fonts = []
        apply_theme(app, current_theme(app), root=self.window)  # palette and plot colours
        for item, opts in labels.items():  # after the theme: its ink
            _try(lambda i=item, o=opts: i.setText(i.text, **o))
        for button, palette in self._palettes:  # after the theme: they follow it again
            _try(button.setPalette, palette)
        self._palettes = []
        for panel in self._scalable():
            panel.set_presenter_scale(1.0)
        for view in self._graphics_views(pg):
            view.setBackground(pg.getConfigOption("background"))
        self._relayout_plots(pg)

    def _relayout_plots(self, pg) -> None:
        """Plots measured their text while it was large: lay them out again at this size."""
        for view in self._graphics_views(pg):
            scene = view.scene()
            if scene is None:
                continue
            widgets = [i for i in scene.items() if isinstance(i, pg.GraphicsWidget)]
            for item in widgets:
                if isinstance(item, pg.AxisItem):  # its cached picture has the old text
                    item.picture = None
                item.updateGeometry()
            for item in widgets:
                # pyqtgraph keeps the layout in an attribute that hides QGraphicsWidget.layout()
                layout = QGraphicsWidget.layout(item)
                if layout is not None:
                    layout.invalidate()
                    layout.activate()
            QApplication.sendEvent(view, QResizeEvent(view.size(), view.size()))

    def _on_view_changed(self, _value) -> None:
        if self.active:
            self._restyle_plots()

    # -- plots ----------------------------------------------------------------
    def _widgets(self):
        from PySide6.QtWidgets import QWidget

        return [self.window, *self.window.findChildren(QWidget)]

    def _scalable(self):
        """Panels that size their own scene items (fonts in scene pixels, not points)."""
        return [w for w in self._widgets() if callable(getattr(w, "set_presenter_scale", None))]

    def _graphics_views(self, pg):
        return [w for w in self._widgets() if isinstance(w, pg.GraphicsView)]

    def _restyle_plots(self) -> None:
        """Black plots, thick lines and large plot text; safe to call again."""
        import pyqtgraph as pg

        self._forget_deleted()
        self._mark_indicators()
        for view in self._graphics_views(pg):
            view.setBackground(PLOT_BG)
            scene = view.scene()
            if scene is None:
                continue
            for item in scene.items():
                if isinstance(item, pg.LabelItem):
                    self._restyle_label(item)
                elif isinstance(item, pg.AxisItem):
                    item.setPen(PLOT_FG)
                    item.setTextPen(PLOT_FG)
                    self._scale_tick_font(item)
                elif isinstance(item, pg.PlotDataItem | pg.InfiniteLine) or (
                    # a PlotDataItem's own curve follows its pen: widen it once
                    isinstance(item, pg.PlotCurveItem)
                    and not isinstance(item.parentItem(), pg.PlotDataItem)
                ):
                    self._scale_pen(item, pg)
                elif isinstance(item, QGraphicsTextItem | QGraphicsSimpleTextItem):
                    self._scale_text(item)
                    self._brighten(item)

    def _mark_indicators(self) -> None:
        from PySide6.QtWidgets import QCheckBox, QRadioButton

        done = {id(b) for b, _p in self._palettes}
        for button in self.window.findChildren(QCheckBox) + self.window.findChildren(QRadioButton):
            if id(button) in done:
                continue
            own = button.testAttribute(Qt.WidgetAttribute.WA_SetPalette)
            self._palettes.append((button, QPalette(button.palette()) if own else QPalette()))
            pal = high_contrast_palette()
            pal.setColor(_R.Window, QColor(_INDICATOR_WINDOW))
            button.setPalette(pal)

    def _scale_pen(self, item, pg) -> None:
        # an InfiniteLine keeps its pen in an attribute, the curves in their options
        pen = pg.mkPen(item.pen if isinstance(item, pg.InfiniteLine) else item.opts["pen"])
        if pen.style() == Qt.PenStyle.NoPen:
            return
        known = self._pens.get(item)
        if known is not None and pen.widthF() == known[1]:
            return  # already widened (and not redrawn since)
        wide = pg.mkPen(pen)
        wide.setWidthF(max(pen.widthF(), 1.0) * LINE_FACTOR)
        wide.setCosmetic(True)
        self._pens[item] = (pg.mkPen(pen), wide.widthF())
        item.setPen(wide)

    def _scale_text(self, item) -> None:
        font = item.font()
        known = self._fonts.get(item)
        if known is not None and font.pointSizeF() == known[1]:
            return
        big = scaled_font(font, FONT_FACTOR)
        self._fonts[item] = (QFont(font), big.pointSizeF())
        item.setFont(big)

    def _restyle_label(self, item) -> None:
        """A plot title in white (its size stays: a larger title re-lays out the plot)."""
        if item in self._labels or not item.text.strip():
            return  # an empty title row must stay empty
        self._labels[item] = dict(item.opts)
        item.setText(item.text, **{**item.opts, "color": PLOT_FG})

    def _brighten(self, item) -> None:
        """Plot text drawn in the light theme's dark ink would vanish on black."""
        simple = isinstance(item, QGraphicsSimpleTextItem)
        color = item.brush().color() if simple else item.defaultTextColor()
        if color.lightnessF() >= 0.5 or item in self._inks:
            return
        self._inks[item] = QColor(color)
        if simple:
            item.setBrush(QColor(PLOT_FG))
        else:
            item.setDefaultTextColor(QColor(PLOT_FG))

    def _scale_tick_font(self, axis) -> None:
        font = axis.style.get("tickFont")
        if font is None:
            return  # follows the application font, already large
        known = self._fonts.get(axis)
        if known is not None and font.pointSizeF() == known[1]:
            return
        big = scaled_font(font, FONT_FACTOR)
        self._fonts[axis] = (QFont(font), big.pointSizeF())
        axis.setTickFont(big)

    def _tables(self) -> tuple[dict, ...]:
        return (self._pens, self._fonts, self._inks, self._labels)

    def _forget_deleted(self) -> None:
        """Drop items a redraw removed (their C++ side may be gone)."""
        for table in self._tables():
            for item in list(table):
                try:
                    alive = item.scene() is not None
                except RuntimeError:
                    alive = False
                if not alive:
                    del table[item]


def _set_font(item):
    return item.setTickFont if hasattr(item, "setTickFont") else item.setFont


def _try(fn, *args) -> None:
    with contextlib.suppress(RuntimeError):  # the C++ object was deleted with its plot
        fn(*args)


def install_presenter(window) -> Presenter:
    """Add View ▸ Presenter mode (F5) to ``window`` (once: a second call returns the first)."""
    if getattr(window, "presenter", None) is not None:
        return window.presenter
    presenter = Presenter(window)
    window.presenter = presenter
    return presenter
