"""Render the app's views to PNG, SVG and CSV bytes, and write them safely.

The views (name -> where each lives in a ``MainWindow``) are registered in
``export_views`` and re-exported here.

Rendering never touches the disk: every format becomes ``bytes`` first, and
``write_export`` then hands them to ``atomic_write_bytes`` (temporary file,
fsync, rename), so an export that fails halfway leaves no half-written file.

* PNG: the item is drawn into an image of exactly ``size`` pixels (the figure
  scaled to fit, centred on the plot background), with ``dpi`` written into
  the file so print software places it at the intended physical size. With no
  size, the on-screen size times dpi/96 (a 300 dpi export is ~3x sharper).
* SVG: pyqtgraph's SVG exporter for plots (images inside a plot, like the
  heatmap, are embedded as PNG), Qt's ``QSvgGenerator`` for the diagram.
* CSV: ``rnnviz.export.csv_views`` on the window's state (Qt-free).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QWidget

from ..export.csv_views import view_csv
from ..io.atomic import atomic_write_bytes
from .export_views import (  # noqa: F401 (the registry is part of this module's API)
    FORMATS,
    VIEWS,
    ExportError,
    ExportView,
    available_views,
    get_view,
    show_view,
    target,
)

SCREEN_DPI = 96  # what Qt assumes for a logical pixel
MAX_SIDE = 20000  # pixels: a 20000 x 20000 ARGB image is already 1.6 GB
DIAGRAM_MARGIN = 12.0  # scene units around the diagram's items


# -- sizes ------------------------------------------------------------------------------------


def screen_size(obj) -> QSize:
    """The on-screen size of an item, scene or widget, in logical pixels."""
    if isinstance(obj, QWidget):
        return obj.size()
    rect = _scene_rect(obj) if isinstance(obj, QGraphicsScene) else obj.sceneBoundingRect()
    return QSize(max(1, round(rect.width())), max(1, round(rect.height())))


def default_size(obj, dpi: int = SCREEN_DPI) -> tuple[int, int]:
    s = screen_size(obj)
    k = dpi / SCREEN_DPI
    return max(1, round(s.width() * k)), max(1, round(s.height() * k))


def check_size(size: tuple[int, int], dpi: int) -> tuple[int, int]:
    w, h = (int(x) for x in size)
    if not (0 < w <= MAX_SIDE and 0 < h <= MAX_SIDE):
        raise ExportError(f"image size {w}x{h}: each side must be 1 to {MAX_SIDE} pixels")
    if not 10 <= int(dpi) <= 2400:
        raise ExportError(f"resolution {dpi} dpi: choose 10 to 2400 dpi")
    return w, h


def parse_size(text: str) -> tuple[int, int]:
    """'1200x800' -> (1200, 800); a clear ValueError otherwise."""
    parts = str(text).lower().replace("×", "x").split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise ExportError(
            f"size {text!r}: write it as WIDTHxHEIGHT in pixels, e.g. 1200x800"
        ) from None
    return check_size((w, h), SCREEN_DPI)


# -- rendering --------------------------------------------------------------------------------


def _scene_rect(scene: QGraphicsScene) -> QRectF:
    m = DIAGRAM_MARGIN
    return scene.itemsBoundingRect().adjusted(-m, -m, m, m)


def _background(scene: QGraphicsScene) -> QColor:
    views = scene.views()
    brush = views[0].backgroundBrush() if views else None
    if brush is not None and brush.style() != Qt.BrushStyle.NoBrush:
        return brush.color()
    widget = views[0] if views else None
    return widget.palette().base().color() if widget is not None else QColor("white")


def _png_bytes(image: QImage, dpi: int) -> bytes:
    per_metre = round(dpi / 0.0254)
    image.setDotsPerMeterX(per_metre)
    image.setDotsPerMeterY(per_metre)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise ExportError("Qt could not encode the PNG image")
    buffer.close()
    return bytes(data)


def _fit(painter: QPainter, src_w: float, src_h: float, w: int, h: int) -> None:
    """Scale the painter so a src_w x src_h drawing fits w x h, centred."""
    k = min(w / src_w, h / src_h)
    painter.translate((w - src_w * k) / 2, (h - src_h * k) / 2)
    painter.scale(k, k)


def render_png(obj, size: tuple[int, int] | None = None, dpi: int = SCREEN_DPI) -> bytes:
    """PNG bytes of an item, scene or widget, exactly ``size`` pixels."""
    w, h = check_size(size or default_size(obj, dpi), dpi)
    if isinstance(obj, QWidget):
        image = QImage(w, h, QImage.Format.Format_ARGB32)
        image.fill(obj.palette().window().color())
        painter = QPainter(image)
        _fit(painter, obj.width(), obj.height(), w, h)
        obj.render(painter, QPoint())
        painter.end()
    elif isinstance(obj, QGraphicsScene) and not hasattr(obj, "prepareForPaint"):
        image = QImage(w, h, QImage.Format.Format_ARGB32)
        image.fill(_background(obj))
        painter = QPainter(image)
        painter.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
        )
        source = _scene_rect(obj)
        k = min(w / source.width(), h / source.height())
        fw, fh = source.width() * k, source.height() * k
        fitted = QRectF((w - fw) / 2, (h - fh) / 2, fw, fh)  # centred, aspect kept
        obj.render(painter, fitted, source, Qt.AspectRatioMode.IgnoreAspectRatio)
        painter.end()
    else:
        from pyqtgraph.exporters import ImageExporter

        exporter = ImageExporter(obj)
        source = exporter.getSourceRect()
        k = min(w / source.width(), h / source.height())  # fit inside, keep the aspect ratio
        fw, fh = (
            min(w, max(1, round(source.width() * k))),
            min(h, max(1, round(source.height() * k))),
        )
        exporter.params.param("width").setValue(fw, blockSignal=exporter.widthChanged)
        exporter.params.param("height").setValue(fh, blockSignal=exporter.heightChanged)
        figure = exporter.export(toBytes=True)
        image = QImage(w, h, QImage.Format.Format_ARGB32)
        image.fill(exporter.params["background"])
        painter = QPainter(image)
        painter.drawImage((w - fw) // 2, (h - fh) // 2, figure)  # centred in the asked size
        painter.end()
    return _png_bytes(image, dpi)


def render_svg(obj) -> bytes:
    """SVG bytes of a plot item or a scene (vector: lines, text and shapes stay sharp)."""
    if isinstance(obj, QWidget):
        raise ExportError("the whole window exports as PNG only")
    if isinstance(obj, QGraphicsScene) and not hasattr(obj, "prepareForPaint"):
        return _scene_svg(obj)
    from pyqtgraph.exporters import SVGExporter

    exporter = SVGExporter(obj)
    text = exporter.export(toBytes=True).decode("utf-8")
    # pyqtgraph writes only a viewBox: give the drawing its size, so Inkscape and a
    # browser open it at the plot's size instead of stretching it to the page
    w, h = (int(exporter.params[k]) for k in ("width", "height"))  # as its viewBox
    text = text.replace(' viewBox ="', f' width="{w}" height="{h}" viewBox="', 1)
    text = text.replace("<title>pyqtgraph SVG export</title>", "<title>rnnviz figure</title>", 1)
    return text.encode("utf-8")


def _scene_svg(scene: QGraphicsScene) -> bytes:
    source = _scene_rect(scene)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(source.size().toSize())
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle("rnnviz: unrolled network")
    generator.setDescription("Exported from rnnviz")
    painter = QPainter(generator)
    painter.fillRect(QRectF(0, 0, source.width(), source.height()), _background(scene))
    scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
    painter.end()
    buffer.close()
    return bytes(data)


# -- one call per export ------------------------------------------------------------------------


def render_view(
    window, name: str, fmt: str, size: tuple[int, int] | None = None, dpi: int = SCREEN_DPI
) -> bytes:
    """The bytes of view ``name`` of ``window`` in ``fmt`` (png, svg or csv)."""
    view = get_view(name)
    if fmt not in view.formats:
        raise ExportError(
            f"the {view.title.lower()} exports as {', '.join(f.upper() for f in view.formats)}, "
            f"not {str(fmt).upper()}"
        )
    if fmt == "csv":
        panel = window.panels.get(view.panel)
        options = view.csv_options(panel) if panel is not None else {}
        return view_csv(name, window.state, **options).encode("utf-8")
    show_view(window, view)
    obj = target(window, view)
    return render_png(obj, size, dpi) if fmt == "png" else render_svg(obj)


def write_export(path: str | os.PathLike, data: bytes) -> str:
    """Write ``data`` atomically; returns the absolute path written."""
    path = os.path.abspath(os.fspath(path))
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise ExportError(f"cannot write {path}: the folder {directory} does not exist")
    atomic_write_bytes(path, data)
    return path


def is_graphics(obj) -> bool:
    return isinstance(obj, QGraphicsItem | QGraphicsScene)
