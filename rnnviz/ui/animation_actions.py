"""File ▸ Export animation… (GIF) and Export frames… (PNG folder) for the main window.

Call ``install_animation_actions(window)`` once from ``MainWindow.__init__``
(after the menus exist). The actions go into a File ▸ Export submenu if one
exists (objectName "export_menu" or title "Export"), otherwise into the File
menu above Quit. Every question goes through ``animation_dialogs`` (tests patch
it); the recording itself is ``animation_export``.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from . import animation_dialogs, dialogs
from .animation_export import (
    AnimationOptions,
    existing_frames,
    export_frames,
    export_gif,
    frame_plan,
    view_choices,
    view_widget,
)

KINDS = {
    # kind: (menu text, tip, dialog title)
    "gif": (
        "Export &animation (GIF)…",
        "Record the timesteps, forward then backward, as an animated GIF",
        "Export animation",
    ),
    "frames": (
        "Export animation &frames (PNG)…",
        "Record the timesteps as numbered PNG frames (frame_0001.png …) in a folder",
        "Export frames",
    ),
}


def install_animation_actions(window) -> dict[str, QAction]:
    """Add the two export actions to the window's File menu; returns them by kind (once)."""
    if getattr(window, "animation_actions", None) is not None:
        return window.animation_actions
    memory = {"options": AnimationOptions()}  # the last choices, offered again next time
    actions = {}
    for kind, (text, tip, _title) in KINDS.items():
        action = QAction(text, window)
        action.setObjectName(f"export_animation_{kind}")
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(
            lambda _c=False, k=kind: export_animation(window, k, memory=memory)
        )
        actions[kind] = action
    _add_to_file_menu(window, list(actions.values()))
    window.animation_actions = actions
    return actions


def _add_to_file_menu(window, actions: list[QAction]) -> None:
    file_menu = _find_menu(window.menuBar(), "file_menu", "File")
    if file_menu is None:
        file_menu = window.menuBar().addMenu("&File")
    export_menu = _find_menu(file_menu, "export_menu", "Export")
    if export_menu is not None:
        if export_menu.actions():
            export_menu.addSeparator()
        export_menu.addActions(actions)
        return
    quit_action = getattr(window, "quit_action", None)
    if quit_action in file_menu.actions():
        separator = file_menu.insertSeparator(quit_action)
        file_menu.insertActions(separator, actions)
    else:
        file_menu.addActions(actions)


def _find_menu(owner, object_name: str, title: str) -> QMenu | None:
    """A direct submenu of ``owner`` by objectName, else by its title without '&'/'…'."""
    menus = owner.findChildren(QMenu, options=Qt.FindChildOption.FindDirectChildrenOnly)
    for menu in menus:
        if menu.objectName() == object_name:
            return menu
    for menu in menus:
        if menu.title().replace("&", "").rstrip("…. ") == title:
            return menu
    return None


def export_animation(window, kind: str, memory: dict | None = None) -> str | None:
    """Ask for options and a destination, record with a progress dialog; the path or None."""
    memory = {"options": AnimationOptions()} if memory is None else memory
    title = KINDS[kind][2]
    choices = view_choices(window)
    sizes = {name: _size_of(view_widget(window, name)) for name, _label in choices}
    options = animation_dialogs.ask_animation_options(
        window, choices, sizes, memory["options"], title
    )
    if options is None:
        return None
    memory["options"] = options
    path = _ask_destination(window, kind)
    if path is None:
        return None
    total = len(frame_plan(window.state.analysis.length, options.backward))
    if kind == "gif":
        progress = export_gif(window, path, options)
    else:
        progress = export_frames(window, path, options)
    return _run_with_progress(window, progress, path, title, total)


def _ask_destination(window, kind: str) -> str | None:
    """The path to write, after asking before anything existing would be replaced."""
    folder = os.path.dirname(window.state.path or "")
    base = _base_name(window)
    if kind == "gif":
        path = animation_dialogs.gif_save_path(window, os.path.join(folder, f"{base}.gif"))
        if not path:
            return None
        if not path.lower().endswith(".gif"):
            path += ".gif"
        if os.path.exists(path) and not animation_dialogs.confirm_overwrite(window, path):
            return None
        return path
    path = animation_dialogs.frames_directory(window, folder)
    if not path:
        return None
    old = existing_frames(path)
    if old and not animation_dialogs.confirm_overwrite(
        window, f"{len(old)} PNG frame(s) ({old[0]} …) in {path}"
    ):
        return None
    return path


def _run_with_progress(window, progress, path: str, title: str, total: int) -> str | None:
    dialog = animation_dialogs.progress_dialog(window, title, total)
    try:
        for done, _total in progress:
            dialog.setValue(done)
            if dialog.wasCanceled():
                progress.close()  # restores the cursor; nothing is written
                window.statusBar().showMessage(f"{title} cancelled: nothing was written", 8000)
                return None
    except (OSError, ValueError) as e:  # a full disk, a vanished folder: say why
        dialogs.show_error(window, f"{title} failed", f"{path}\n\n{e}")
        return None
    finally:
        dialog.close()
    window.statusBar().showMessage(f"{title}: wrote {total} frames to {path}", 15000)
    return path


def _size_of(widget) -> tuple[int, int]:
    return max(widget.width(), 16), max(widget.height(), 16)


def _base_name(window) -> str:
    """'hello-animation' from the session file or spec name, safe as a file name."""
    name = os.path.basename(window.state.path or "") or window.state.spec.name or "rnnviz"
    for ext in (".json", ".rnnviz"):
        name = name.removesuffix(ext)
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-.")
    return f"{safe or 'rnnviz'}-animation"
