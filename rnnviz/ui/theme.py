"""Light and dark themes: Fusion style, a QPalette, and pyqtgraph colours.

``apply_theme(app, name)`` sets the palette and pyqtgraph's default
background/foreground (read when a plot is created), then repaints the plots
that already exist, so switching theme needs no restart. Panels that pick
colours themselves should read them from ``app.palette()`` or style sheets
using ``palette(...)`` so they follow too.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap, QPolygonF
from PySide6.QtWidgets import QApplication, QWidget

THEMES = ("light", "dark")
DEFAULT_THEME = "light"

# (window, base, alternate base, text, button, highlight, link, disabled text)
_DARK = {
    QPalette.ColorRole.Window: "#2b2d31",
    QPalette.ColorRole.WindowText: "#e8e8e8",
    QPalette.ColorRole.Base: "#1e1f22",
    QPalette.ColorRole.AlternateBase: "#313338",
    QPalette.ColorRole.ToolTipBase: "#3a3c42",
    QPalette.ColorRole.ToolTipText: "#f0f0f0",
    QPalette.ColorRole.PlaceholderText: "#8a8d93",
    QPalette.ColorRole.Text: "#e8e8e8",
    QPalette.ColorRole.Button: "#35373c",
    QPalette.ColorRole.ButtonText: "#e8e8e8",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Highlight: "#4a8fd9",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#7ab7ff",
    QPalette.ColorRole.Light: "#45474d",
    QPalette.ColorRole.Midlight: "#3c3e44",
    QPalette.ColorRole.Mid: "#2a2b2f",
    QPalette.ColorRole.Dark: "#1a1b1e",
    QPalette.ColorRole.Shadow: "#000000",
}
_DARK_DISABLED = "#7a7d83"

# pyqtgraph (background, foreground) per theme
PLOT_COLORS = {"light": ("#ffffff", "#202020"), "dark": ("#1e1f22", "#d8d8d8")}


def dark_palette() -> QPalette:
    pal = QPalette()
    for role, color in _DARK.items():
        pal.setColor(role, QColor(color))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(_DARK_DISABLED))
    return pal


def light_palette(app: QApplication) -> QPalette:
    # Fusion's own palette is a clean light theme; it ignores a dark desktop setting
    return app.style().standardPalette()


def apply_theme(app: QApplication, name: str, root: QWidget | None = None) -> str:
    """Switch ``app`` to theme ``name`` ("light" or "dark"); returns the name used.

    Plots inside ``root`` (the main window) are recoloured in place; plots made
    later read pyqtgraph's defaults, which are set here too.
    """
    name = name if name in THEMES else DEFAULT_THEME
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(dark_palette() if name == "dark" else light_palette(app))
    app.setProperty("rnnviz_theme", name)
    _apply_plot_colors(name, root)
    return name


def current_theme(app: QApplication | None = None) -> str:
    app = app or QApplication.instance()
    name = app.property("rnnviz_theme") if app is not None else None
    return name if name in THEMES else DEFAULT_THEME


def _apply_plot_colors(name: str, root: QWidget | None) -> None:
    """New plots read pyqtgraph's config; plots under ``root`` are recoloured in place.

    Not ``QApplication.allWidgets()``: it also returns widgets that are being
    destroyed, and touching those segfaulted PySide6.
    """
    import pyqtgraph as pg  # heavy: only when a theme is actually applied

    bg, fg = PLOT_COLORS[name]
    pg.setConfigOption("background", bg)
    pg.setConfigOption("foreground", fg)
    views = root.findChildren(pg.GraphicsView) if root is not None else []
    for view in views:
        view.setBackground(bg)
        scene = view.scene()
        for item in scene.items() if scene is not None else ():
            if isinstance(item, pg.AxisItem):
                item.setPen(fg)
                item.setTextPen(fg)


# Media icons drawn in the palette's text colour, so they read on light and dark themes
# (Fusion's standard media icons are dark grey on any background).
MEDIA = ("first", "prev", "play", "pause", "next", "last")


def media_icon(kind: str, widget: QWidget | None = None, size: int = 32) -> QIcon:
    pal = widget.palette() if widget is not None else QApplication.palette()
    icon = QIcon()
    for mode, group in (
        (QIcon.Mode.Normal, QPalette.ColorGroup.Active),
        (QIcon.Mode.Disabled, QPalette.ColorGroup.Disabled),
    ):
        icon.addPixmap(
            _media_pixmap(kind, pal.color(group, QPalette.ColorRole.ButtonText), size), mode
        )
    return icon


def _media_pixmap(kind: str, color: QColor, n: int) -> QPixmap:
    pixmap = QPixmap(n, n)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    m, h = n * 0.22, n * 0.56  # margin and glyph height

    def triangle(x0: float, x1: float) -> None:  # pointing from x0 towards x1
        p.drawPolygon(QPolygonF([QPointF(x0, m), QPointF(x1, n / 2), QPointF(x0, m + h)]))

    def bar(x: float) -> None:
        p.drawRect(QRectF(x, m, n * 0.1, h))

    if kind == "play":
        triangle(n * 0.3, n * 0.78)
    elif kind == "pause":
        bar(n * 0.3)
        bar(n * 0.6)
    elif kind == "next":
        triangle(n * 0.2, n * 0.5)
        triangle(n * 0.5, n * 0.8)
    elif kind == "prev":
        triangle(n * 0.8, n * 0.5)
        triangle(n * 0.5, n * 0.2)
    elif kind == "last":
        triangle(n * 0.22, n * 0.68)
        bar(n * 0.68)
    elif kind == "first":
        bar(n * 0.22)
        triangle(n * 0.78, n * 0.32)
    p.end()
    return pixmap
