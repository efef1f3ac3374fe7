"""The modal dialogs of the animation export, in one module so tests can patch them.

* ``ask_animation_options``: which view, frame size, frames per second, passes;
* ``gif_save_path`` / ``frames_directory``: where to write (the file dialog's
  own overwrite question is off: ``confirm_overwrite`` is the one place that asks);
* ``progress_dialog``: a window-modal QProgressDialog with Cancel.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QSpinBox,
    QWidget,
)

from .animation_export import MAX_FPS, MAX_SIDE, MIN_SIDE, AnimationOptions

GIF_FILTER = "Animated GIF (*.gif);;All files (*)"
PASSES = (("Forward, then backward (BPTT)", True), ("Forward only", False))


class AnimationOptionsDialog(QDialog):
    """View, size (W×H pixels), frames per second and passes of one animation export."""

    def __init__(
        self,
        parent: QWidget | None,
        choices: list[tuple[str, str]],
        sizes: dict[str, tuple[int, int]],
        defaults: AnimationOptions,
        title: str = "Export animation",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._sizes = sizes
        form = QFormLayout(self)
        self.view_combo = QComboBox()
        self.view_combo.setToolTip("The part of the window recorded in every frame")
        for name, label in choices:
            self.view_combo.addItem(label, name)
        form.addRow("View:", self.view_combo)
        self.width_spin, self.height_spin = self._size_spin("width"), self._size_spin("height")
        row = QHBoxLayout()
        row.addWidget(self.width_spin)
        row.addWidget(QLabel("×"))
        row.addWidget(self.height_spin)
        row.addWidget(QLabel("pixels"))
        form.addRow("Size:", row)
        self.fps_spin = QDoubleSpinBox()
        self.fps_spin.setRange(0.1, MAX_FPS)
        self.fps_spin.setDecimals(1)
        self.fps_spin.setSingleStep(0.5)
        self.fps_spin.setToolTip("Timesteps shown per second when the animation plays")
        form.addRow("Frames per second:", self.fps_spin)
        self.passes_combo = QComboBox()
        self.passes_combo.setToolTip("Backward: the cursor walks t = T..1 with the gradients shown")
        for label, backward in PASSES:
            self.passes_combo.addItem(label, backward)
        form.addRow("Passes:", self.passes_combo)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.view_combo.currentIndexChanged.connect(self._on_view_changed)
        self._set(defaults)

    def _size_spin(self, what: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(MIN_SIDE, MAX_SIDE)
        spin.setToolTip(f"Frame {what} in pixels (a panel is scaled to fit, keeping its shape)")
        return spin

    def _set(self, options: AnimationOptions) -> None:
        index = max(0, self.view_combo.findData(options.view))
        self.view_combo.setCurrentIndex(index)
        self._on_view_changed(index)
        if options.size is not None and options.view == self.view_combo.currentData():
            self.width_spin.setValue(options.size[0])
            self.height_spin.setValue(options.size[1])
        self.fps_spin.setValue(options.fps)
        self.passes_combo.setCurrentIndex(0 if options.backward else 1)

    def _on_view_changed(self, index: int) -> None:
        size = self._sizes.get(self.view_combo.itemData(index))
        if size is not None:  # start from the view's size on screen
            self.width_spin.setValue(size[0])
            self.height_spin.setValue(size[1])

    def options(self) -> AnimationOptions:
        return AnimationOptions(
            view=self.view_combo.currentData(),
            size=(self.width_spin.value(), self.height_spin.value()),
            fps=round(self.fps_spin.value(), 1),
            backward=bool(self.passes_combo.currentData()),
        )


def ask_animation_options(
    parent: QWidget | None,
    choices: list[tuple[str, str]],
    sizes: dict[str, tuple[int, int]],
    defaults: AnimationOptions,
    title: str = "Export animation",
) -> AnimationOptions | None:
    dialog = AnimationOptionsDialog(parent, choices, sizes, defaults, title)
    return dialog.options() if dialog.exec() == QDialog.DialogCode.Accepted else None


def gif_save_path(parent: QWidget | None, suggested: str = "") -> str | None:
    path, _ = QFileDialog.getSaveFileName(
        parent,
        "Export animation as GIF",
        suggested,
        GIF_FILTER,
        options=QFileDialog.Option.DontConfirmOverwrite,  # confirm_overwrite asks instead
    )
    return path or None


def frames_directory(parent: QWidget | None, suggested: str = "") -> str | None:
    path = QFileDialog.getExistingDirectory(parent, "Export PNG frames into folder", suggested)
    return path or None


def confirm_overwrite(parent: QWidget | None, what: str) -> bool:
    answer = QMessageBox.question(
        parent,
        "Replace existing file?",
        f"{what} already exists. Replace it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def progress_dialog(parent: QWidget | None, title: str, total: int) -> QProgressDialog:
    dialog = QProgressDialog(f"{title}: recording {total} frames…", "Cancel", 0, total, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)  # no edits while recording
    dialog.setMinimumDuration(300)  # a quick export does not flash a dialog
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one per export: none pile up
    dialog.setValue(0)
    return dialog
