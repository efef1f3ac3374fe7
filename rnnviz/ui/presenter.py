"""Presenter mode (F5): readable from the back of a room.

``install_presenter(window)`` adds View ▸ Presenter mode (F5) and returns the
controller (also ``window.presenter``). Entering it

* multiplies the application font by ``FONT_FACTOR`` (and every widget or
  plot text that set its own font, e.g. the 10 pt axis ticks of the plots,
  live titles and legend entries); a live title (``plot_util.live_title``)
  is elided again for its new size, so it never runs into the next plot;
* multiplies the width of every pyqtgraph line (curves, cursor lines) by
  ``LINE_FACTOR``; plots redraw on an analysis change, so the widths are
  re-applied after every analysis and cursor change (idempotently: a pen
  already widened is left alone);
* switches to a high-contrast palette (white on black, yellow highlight),
  built here like ``theme.py``'s dark palette, black plot backgrounds and
  legends, white plot titles and axes (check and radio boxes get a visible
  ring);
* asks every panel that draws its own scene (the unrolled diagram) to scale
  itself: ``panel.set_presenter_scale(FONT_FACTOR)``, 1.0 on leaving;
* shows "Presenter mode — F5 to leave" in the status bar.

Leaving restores the fonts, pens, colours and the theme that is current
(``theme.current_theme()``: the theme menu keeps working in presenter mode),
so presenter mode is never saved as a theme. The docks get back the sizes
they had (large text raised their minimums and moved the splitters).

Axes that a panel gave a fixed size keep it unless the panel refits them to
their tick font (the output bars, the hidden-state and training plots do:
pyqtgraph drops a label that does not fit its axis); leaving lays every plot
out again at the restored sizes, with the room pyqtgraph kept for the labels
before (it only ever narrows an axis by more than 10 pixels).
"""

from __future__ import annotations

import contextlib
import weakref

import shiboken6
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
from .plot_util import set_live_title
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
        # weak: a plot rebuilt while presenting drops its old items, which are never restored
        table = weakref.WeakKeyDictionary
        self._pens = table()  # plot item -> (pen before, width set)
        self._fonts = table()  # scene text item / axis -> (font before, point size set)
        self._inks = table()  # plot text item -> its dark colour before
        self._labels = table()  # plot title or legend entry -> its options before
        self._legends = table()  # legend -> its (light theme) brush before
        self._docks: dict = {}  # dock -> its size before
        self._text_space = table()  # axis -> the room pyqtgraph kept for its labels before
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

        self._docks = self._dock_sizes()  # larger text may push the dock splitters

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
        _flush_layouts()
        self._scale_panels(FONT_FACTOR)
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
        for item, brush in list(self._legends.items()):
            _try(item.setBrush, brush)
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
        for view in self._graphics_views(pg):
            view.setBackground(pg.getConfigOption("background"))
        for axis, space in list(self._text_space.items()):
            _try(_restore_text_space, axis, *space)
        self._text_space.clear()
        self._relayout_plots(pg)
        _flush_layouts()  # the docks' minimums at this size, then their sizes from before
        self._restore_docks()
        self._scale_panels(1.0)

    def _scale_panels(self, factor: float) -> None:
        """(Call once the widgets around the panels, e.g. the diagram's toolbar, have their
        sizes in the new font: a panel fits its scene to its view.)"""
        for panel in self._scalable():
            panel.set_presenter_scale(factor)
            # its rebuilt scene shows or hides the view's scroll bars: fit it to what is left
            _flush_layouts()
            QApplication.sendEvent(panel, QResizeEvent(panel.size(), panel.size()))

    def _dock_sizes(self) -> dict:
        from PySide6.QtWidgets import QDockWidget

        docks = self.window.findChildren(QDockWidget)
        # (a tab behind another counts as visible, parked off the window: no region)
        shown = [d for d in docks if not d.isFloating() and not d.visibleRegion().isEmpty()]
        return {d: d.size() for d in shown}

    def _restore_docks(self) -> None:
        """The docks' sizes from before (presenter minimums moved the splitters). A tab
        brought to the front meanwhile gets the size its group had; a dock moved or
        closed meanwhile keeps its place."""
        before, self._docks = self._docks, {}
        sizes = {}
        for dock in self._dock_sizes():
            group = [dock, *self.window.tabifiedDockWidgets(dock)]
            size = next((before[d] for d in group if d in before), None)
            if size is not None:
                sizes[dock] = size
        docks = list(sizes)
        self.window.resizeDocks(docks, [sizes[d].width() for d in docks], Qt.Orientation.Horizontal)
        # heights: of docks without tabs (Qt counts the tab bar under a dock against its area)
        docks = [d for d in docks if not self.window.tabifiedDockWidgets(d)]
        self.window.resizeDocks(docks, [sizes[d].height() for d in docks], Qt.Orientation.Vertical)

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
            for item in scene.items():  # at the restored widths
                _refit_live_title(item)

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
                    self._restyle_label(item, pg)
                elif isinstance(item, pg.LegendItem):
                    self._darken_legend(item)
                elif isinstance(item, pg.AxisItem):
                    self._text_space.setdefault(item, (item.textWidth, item.textHeight))
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
        _refit_live_title(item)

    def _restyle_label(self, item, pg) -> None:
        """A plot title or legend entry in white; a legend entry ``FONT_FACTOR`` times
        larger (a title keeps its size: centred over its plot, a larger one ran into the
        next plot's, and its row already has room for a large live title)."""
        if not item.text.strip():
            return  # an empty title row must stay empty
        before = self._labels.setdefault(item, dict(item.opts))
        look = {"color": PLOT_FG}
        if isinstance(item.parentItem(), pg.LegendItem):
            look["size"] = _scaled_size(before.get("size"))
        if all(item.opts.get(k) == v for k, v in look.items()):
            return  # done already
        item.setText(item.text, **{**item.opts, **look})

    def _darken_legend(self, item) -> None:
        """A legend's half-transparent theme background would be grey behind white text."""
        if item not in self._legends:
            self._legends[item] = item.brush()
            item.setBrush((*QColor(PLOT_BG).getRgb()[:3], 200))

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

    def _tables(self) -> tuple:
        return (self._pens, self._fonts, self._inks, self._labels, self._legends)

    def _forget_deleted(self) -> None:
        """Drop items whose C++ side is gone. Items only out of their scene for now (a
        plot a panel took out of its layout) are kept, to be restored on leaving."""
        for table in self._tables():
            for item in list(table):
                if not shiboken6.isValid(item):
                    del table[item]


def _scaled_size(size):
    """A LabelItem size such as "10pt", ``FONT_FACTOR`` times larger (None stays None)."""
    if isinstance(size, str) and size.endswith("pt"):
        return f"{float(size[:-2]) * FONT_FACTOR:g}pt"
    return size


def _refit_live_title(item) -> None:
    """A live plot title (``plot_util.live_title``) was elided for its old font: elide its
    full text (kept as its tooltip) again, or it runs past its plot into the next one."""
    import pyqtgraph as pg

    if (
        isinstance(item, QGraphicsSimpleTextItem)
        and isinstance(item.parentItem(), pg.LabelItem)
        and item.toolTip()
    ):
        set_live_title(item, item.toolTip())


def _flush_layouts(rounds: int = 3) -> None:
    """Lay the widgets out now for the new font (Qt would do it on the next event loop):
    the posted font, polish and layout events; a layout that changes asks its parent
    again, hence a few rounds."""
    for _ in range(rounds):
        QApplication.sendPostedEvents()


def _restore_text_space(axis, width: float, height: float) -> None:
    """pyqtgraph widens an axis for large labels and narrows it only when it is more than
    10 pixels too wide: give it back the room it had, so the plots keep their sizes."""
    axis.textWidth, axis.textHeight = width, height
    if axis.orientation in ("left", "right"):
        axis._updateWidth()
    else:
        axis._updateHeight()


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
