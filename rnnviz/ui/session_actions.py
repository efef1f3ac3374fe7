"""Sessions that keep everything: File ▸ New, drag-and-drop, full save/load, .npz weights.

``install_session_actions(window)`` adds to the main window's File menu

* **New** (Ctrl+N): the default example, after asking about unsaved changes;
* **Export weights (.npz)…** / **Import weights (.npz)…**: the weights with
  ``torch.nn.RNN``'s names (``rnnviz.io.torch_npz``, docs/pytorch.md);

accepts a session file dropped onto the window, and makes Save / Open keep
the *whole* session: the spec, the weights after training
(``state.current_params``), the training history and the view (cursor,
phase, notation, selected unit and, when the file format has the key,
which docks are open). So reopening a file shows exactly what was saved.

The training history is saved as one list per ``Snapshot`` field
(``rnnviz.io.session_history``, the session format's ``state.history``) and
restored as lightweight Snapshots, which is all the plots read: the weights
of every step are not kept, only the last ones (``current_params``).
Dialogs for weights files live here so tests can patch them; the others
come from ``dialogs``.
"""

from __future__ import annotations

import os
from functools import partial

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from ..io.session_file import SessionFile, load_session, save_session
from ..io.session_history import history_from_dict, history_to_dict
from ..io.torch_npz import load_torch_npz, save_torch_npz
from ..session import analyse
from . import dialogs

WEIGHTS_FILTER = "NumPy weights for PyTorch (*.npz);;All files (*)"


# -- dialogs this module owns (tests patch them) ------------------------------------------------
def ask_weights_save_path(parent: QWidget | None, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Export weights", suggested, WEIGHTS_FILTER)
    return path or None


def ask_weights_open_path(parent: QWidget | None, directory: str = "") -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Import weights", directory, WEIGHTS_FILTER)
    return path or None


# -- the whole session <-> the window -----------------------------------------------------------
def view_of(window) -> dict:
    state = window.state
    view = {"cursor": state.cursor, "phase": state.phase, "notation": state.notation}
    if state.selected_unit is not None:
        view["selected_unit"] = state.selected_unit
    view["docks"] = [n for n, d in window.docks.items() if not d.isHidden()]
    lock = getattr(getattr(window, "lesson_lock", None), "lock", None)
    if lock is not None:  # a lesson stays a lesson when the teacher presses Ctrl+S
        from ..lesson_lock import view_with_lock

        view = view_with_lock(view, lock)
    return view


def session_file_of(window) -> SessionFile:
    """Everything a reopened file needs to look the same: spec, weights, history, view."""
    state = window.state
    return SessionFile(
        state.spec,
        current_params=state.current_params,
        view=view_of(window),
        history=history_to_dict(state.history),
    )


def set_current_params(session, params, history=(), *, dirty=True, notice=None) -> bool:
    """Trained or imported weights (and their history) without a new Snapshot.

    (``Session.restore_training``; kept as a name the import code reads well with.)
    """
    return session.restore_training(params, history, dirty=dirty, notice=notice)


def restore_session(session, sf: SessionFile, path=None, *, dirty=False) -> str | None:
    """Load ``sf`` into ``session``; the problem as text (session untouched), or None."""
    try:
        history = history_from_dict(sf.history, sf.current_params)
        analyse(sf.spec, sf.current_params)  # a refusal must come before anything changes
    except ValueError as e:
        return str(e)
    view = sf.view
    session.set_playing(False)
    if not session.set_spec(sf.spec, path=path, dirty=dirty, cursor=view.get("cursor", 0)):
        problem = session.state.error
        session.clear_error()
        return problem
    if sf.current_params is not None or history:
        set_current_params(session, sf.current_params, history, dirty=dirty)
    session.set_phase(view.get("phase", "forward"))
    session.set_notation(view.get("notation", "xh"))
    session.set_selected_unit(view.get("selected_unit"))
    return None


def restore_docks(window, view: dict) -> None:
    if "docks" not in view:
        return
    for name, dock in window.docks.items():
        dock.setVisible(name in view["docks"])


def open_window_session(window, path: str) -> str | None:
    """Load ``path`` into the window's session and docks; the problem as text, or None."""
    try:
        sf = load_session(path)
    except Exception as e:  # any unreadable file: say why, keep the current session
        return str(e)
    problem = restore_session(window.session, sf, path)
    if problem is None:
        restore_docks(window, sf.view)
    return problem


def open_path(window, path: str) -> bool:
    """The window's Open: a bad file gets a message box and changes nothing."""
    problem = open_window_session(window, path)
    if problem is not None:
        dialogs.show_error(window, "Could not open the session", f"{path}\n\n{problem}")
        return False
    window.add_recent(path)
    return True


def save_to(window, path: str) -> bool:
    """The window's Save: the whole session, atomically; on failure say why, stay dirty."""
    try:
        save_session(path, session_file_of(window))
    except Exception as e:
        dialogs.show_error(window, "Could not save the session", f"{path}\n\n{e}")
        return False
    window.session.mark_saved(path)
    window.add_recent(path)
    return True


# -- New, weights, drag-and-drop ----------------------------------------------------------------
def new_session(window) -> bool:
    """The default example, after asking about unsaved changes."""
    from .. import presets

    if not window._may_discard():
        return False
    window.session.set_playing(False)
    return window.session.set_spec(presets.get(presets.names()[0]), path=None, dirty=False)


def export_weights(window) -> bool:
    state = window.state
    base = os.path.splitext(state.path or state.spec.name)[0].removesuffix(".rnnviz")
    path = ask_weights_save_path(window, f"{base}.weights.npz")
    if not path:
        return False
    config = state.spec.config
    try:
        save_torch_npz(path, state.analysis.built.params, config.activation, config.head)
    except Exception as e:
        dialogs.show_error(window, "Could not export the weights", f"{path}\n\n{e}")
        return False
    window.statusBar().showMessage(f"Weights written to {path}", 8000)
    return True


def import_weights(window) -> bool:
    if window.state.training in ("running", "paused"):  # the run would overwrite them
        dialogs.show_error(window, "Import weights", "Stop the training run first.")
        return False
    path = ask_weights_open_path(window, os.path.dirname(window.state.path or ""))
    if not path:
        return False
    try:
        params = load_torch_npz(path, window.state.analysis.built.params)
    except Exception as e:  # WeightsFileError, or a disk problem: nothing changes
        dialogs.show_error(window, "Could not import the weights", str(e))
        return False
    window.session.set_playing(False)
    note = f"Weights imported from {os.path.basename(path)}; the training history was cleared."
    return set_current_params(window.session, params, (), dirty=True, notice=note)


def dropped_session_path(mime) -> str | None:
    """The one local .json file being dragged, or None (other drops are not ours)."""
    if mime is None or not mime.hasUrls():
        return None
    urls = mime.urls()
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    path = urls[0].toLocalFile()
    return path if path.lower().endswith(".json") and os.path.isfile(path) else None


class SessionDropFilter(QObject):
    """Drag a session file onto the window to open it (asks about unsaved changes first)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            path = dropped_session_path(event.mimeData())
            if path is None:
                return False
            event.acceptProposedAction()
            if kind == QEvent.Type.Drop:  # after the drop returns: a dialog may follow
                QTimer.singleShot(0, partial(self.open_dropped, path))
            return True
        return False

    def open_dropped(self, path: str) -> None:
        if self.window._may_discard():
            self.window.open_path(path)


def file_menu(window) -> QMenu | None:
    for menu in window.menuBar().findChildren(QMenu):
        if menu.title().replace("&", "") == "File":
            return menu
    return None


def _action(window, text: str, slot, name: str, shortcut=None, tip: str = "") -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    action.setToolTip(tip or text.replace("&", ""))
    action.setStatusTip(tip)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(lambda _checked=False: slot(window))
    return action


def install_session_actions(window) -> dict[str, QAction]:
    """Wire New, weights import/export, drag-and-drop and full save/load into ``window`` (once)."""
    if getattr(window, "session_actions", None) is not None:
        return window.session_actions
    actions = {
        "new": _action(
            window, "&New", new_session, "new_session", QKeySequence.StandardKey.New,
            "Start again from the default example",
        ),
        "export_weights": _action(
            window, "Export &weights (.npz)…", export_weights, "export_weights",
            tip="Save the current weights with torch.nn.RNN's names (docs/pytorch.md)",
        ),
        "import_weights": _action(
            window, "&Import weights (.npz)…", import_weights, "import_weights",
            tip="Load weights saved from PyTorch or by Export weights; shapes must match",
        ),
    }  # fmt: skip
    menu = file_menu(window)
    if menu is not None:
        menu.insertAction(window.open_action, actions["new"])
        quit_action = getattr(window, "quit_action", None)
        menu.insertActions(quit_action, [actions["export_weights"], actions["import_weights"]])
        menu.insertSeparator(quit_action)
    else:
        window.addActions(list(actions.values()))
    # Open, Open recent and Save keep the whole session (until app.py does it itself)
    window.setAcceptDrops(True)
    window.session_drop_filter = SessionDropFilter(window)
    window.installEventFilter(window.session_drop_filter)
    window.session_actions = actions
    return actions
