"""Every modal dialog of the app lives here, so tests can patch one module.

Exporters and session files never open dialogs themselves (design guide,
section 1): the main window asks this module for a path or a decision and
passes the answer on.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

import rnnviz

SESSION_FILTER = "rnnviz sessions (*.rnnviz.json *.json);;All files (*)"
LESSON_FILTER = "rnnviz lessons (*.json);;All files (*)"

ABOUT = (
    "<h3>rnnviz {version}</h3>"
    "<p>See how a recurrent neural network works: type a sentence, watch it become tokens "
    "and vectors, and step through the unrolled network one timestep at a time.</p>"
    "<p>h<sub>t</sub> = f(W<sub>hh</sub> h<sub>t−1</sub> + W<sub>xh</sub> x<sub>t</sub> + "
    "b<sub>h</sub>), &nbsp; y<sub>t</sub> = g(W<sub>hy</sub> h<sub>t</sub> + b<sub>y</sub>)</p>"
    "<p>Every number comes from a small pure-NumPy engine (<code>rnnviz.engine</code>) that you "
    "can also use from a notebook.</p><p>MIT licence.</p>"
)


def open_session_path(parent: QWidget | None, directory: str = "") -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open session", directory, SESSION_FILTER)
    return path or None


def save_session_path(parent: QWidget | None, suggested: str = "") -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Save session as", suggested, SESSION_FILTER)
    return path or None


def open_lesson_path(parent: QWidget | None, directory: str = "") -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open lesson", directory, LESSON_FILTER)
    return path or None


def show_error(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def ask_save_changes(parent: QWidget | None, name: str) -> str:
    """'save', 'discard' or 'cancel' for a session with unsaved changes."""
    buttons = (
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    answer = QMessageBox.question(
        parent,
        "Unsaved changes",
        f"“{name}” has unsaved changes. Save them first?",
        buttons,
        QMessageBox.StandardButton.Save,
    )
    return {
        QMessageBox.StandardButton.Save: "save",
        QMessageBox.StandardButton.Discard: "discard",
    }.get(answer, "cancel")


def show_about(parent: QWidget | None) -> None:
    QMessageBox.about(parent, "About rnnviz", ABOUT.format(version=rnnviz.__version__))
