"""The export dialogs: which view, where to, what size, may it overwrite.

Like ``dialogs``, every modal question of the export lives in this one
module so tests can patch it; the exporters themselves never open a dialog.
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QMessageBox,
    QSpinBox,
    QWidget,
)

FILTERS = {
    "png": "PNG image (*.png)",
    "svg": "SVG vector image (*.svg)",
    "csv": "CSV table (*.csv)",
}


def choose_view(parent: QWidget | None, views: list[tuple[str, str]], current: str) -> str | None:
    """One of ``views`` ((name, title) pairs) by its title; None if cancelled."""
    titles = [title for _name, title in views]
    names = [name for name, _title in views]
    index = names.index(current) if current in names else 0
    title, ok = QInputDialog.getItem(parent, "Export", "View to export:", titles, index, False)
    return names[titles.index(title)] if ok and title in titles else None


def save_export_path(parent: QWidget | None, fmt: str, suggested: str) -> str | None:
    """A file to write (overwriting is asked separately, by ``confirm_overwrite``)."""
    path, _ = QFileDialog.getSaveFileName(
        parent,
        f"Export as {fmt.upper()}",
        suggested,
        FILTERS[fmt],
        options=QFileDialog.Option.DontConfirmOverwrite,
    )
    if path and not path.lower().endswith(f".{fmt}"):
        path += f".{fmt}"
    return path or None


def bundle_folder(parent: QWidget | None, suggested: str) -> str | None:
    """The name of a new folder for a figure bundle."""
    path, _ = QFileDialog.getSaveFileName(
        parent,
        "Export figure bundle into a new folder",
        suggested,
        "Folder (*)",
        options=QFileDialog.Option.DontConfirmOverwrite,
    )
    return path or None


def confirm_overwrite(parent: QWidget | None, path: str) -> bool:
    """True if the user agrees to replace the existing ``path``."""
    kind = "folder" if os.path.isdir(path) else "file"
    answer = QMessageBox.question(
        parent,
        "Replace?",
        f"The {kind} “{os.path.basename(path)}” already exists in\n{os.path.dirname(path)}.\n\n"
        f"Replace its contents?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


class PngOptionsDialog(QDialog):
    """Width and height in pixels and the resolution written into the PNG."""

    def __init__(self, parent: QWidget | None, size: tuple[int, int], dpi: int) -> None:
        super().__init__(parent)
        self.setWindowTitle("PNG size")
        form = QFormLayout(self)
        self.width_box, self.height_box, self.dpi_box = QSpinBox(), QSpinBox(), QSpinBox()
        for box, value, top, suffix in (
            (self.width_box, size[0], 20000, " px"),
            (self.height_box, size[1], 20000, " px"),
            (self.dpi_box, dpi, 2400, " dpi"),
        ):
            box.setRange(10 if suffix == " dpi" else 1, top)
            box.setValue(value)
            box.setSuffix(suffix)
        self.dpi_box.setToolTip("300 dpi for print; the image is sharper, the layout the same")
        form.addRow("Width", self.width_box)
        form.addRow("Height", self.height_box)
        form.addRow("Resolution", self.dpi_box)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


def png_options(
    parent: QWidget | None, size: tuple[int, int], dpi: int = 96
) -> tuple[tuple[int, int], int] | None:
    """((width, height), dpi) for a PNG, starting from ``size``; None if cancelled."""
    dialog = PngOptionsDialog(parent, size, dpi)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return (dialog.width_box.value(), dialog.height_box.value()), dialog.dpi_box.value()


def show_export_error(parent: QWidget | None, text: str) -> None:
    QMessageBox.warning(parent, "Export failed", text)
