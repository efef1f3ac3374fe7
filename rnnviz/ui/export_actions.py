"""File ▸ Export and "Export this view" on every plot: the export's menus and flow.

``install_export_actions(window)`` adds to a ``MainWindow``

* File ▸ Export: "PNG…" (Ctrl+Shift+E) and "SVG…" (Ctrl+Alt+E), which ask
  for the view (the one last right-clicked, else the hidden-state heatmap),
  "CSV" with one entry per view, "Figure bundle…" and "Window as PNG…";
* a right-click menu on every plot and on the diagram: "Export this view as
  PNG/SVG/CSV…", for the plot under the mouse.

Every export asks for a file through ``export_dialogs`` (patched in tests),
asks before replacing an existing file, renders to bytes, writes atomically
(``exporters.write_export``) and says in the status bar where it wrote.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QMenu

from ..export import bundle
from ..io.atomic import atomic_write_bytes, atomic_write_text
from . import export_dialogs
from . import exporters as ex

DEFAULT_VIEW = "hidden-heatmap"
STATUS_MS = 15000


def install_export_actions(window) -> ExportActions:
    """Add the export menu, shortcuts and context menus to ``window`` (once)."""
    if getattr(window, "export_actions", None) is not None:
        return window.export_actions
    actions = ExportActions(window)
    window.export_actions = actions  # the window keeps it (and its event filters) alive
    return actions


def _file_menu(window) -> QMenu | None:
    """The window's File menu, found by its title (the window does not name it)."""
    for menu in window.menuBar().findChildren(QMenu):
        if menu.title().replace("&", "").lower() == "file":
            return menu
    return None


class ExportActions(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.current_view = DEFAULT_VIEW if "hidden" in window.panels else "diagram"
        self.last_dir = ""
        self._build_menu()
        self._viewports: dict[QObject, QGraphicsView] = {}
        self._install_context_menus()

    # -- File ▸ Export ------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None, name: str = "") -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_menu(self) -> None:
        w = self.window
        self.menu = QMenu("&Export", w)
        self.menu.setObjectName("export_menu")
        self.png_action = self._action(
            "&PNG image…", lambda: self.export_chosen("png"), "Ctrl+Shift+E", "export_png"
        )
        self.svg_action = self._action(
            "&SVG vector image…", lambda: self.export_chosen("svg"), "Ctrl+Alt+E", "export_svg"
        )
        self.png_action.setToolTip("Export a view as a PNG image at a chosen size and dpi")
        self.svg_action.setToolTip("Export a view as SVG (vector: opens in a browser and Inkscape)")
        self.menu.addActions([self.png_action, self.svg_action])
        self.csv_menu = self.menu.addMenu("&CSV of the plotted numbers")
        self.csv_actions = {}
        for view in ex.available_views(w):
            if "csv" in view.formats:
                action = self._action(
                    f"{view.title}…",
                    lambda n=view.name: self.export(n, "csv"),
                    None,
                    f"export_csv_{view.name}",
                )
                self.csv_menu.addAction(action)
                self.csv_actions[view.name] = action
        self.menu.addSeparator()
        self.bundle_action = self._action(
            "Figure &bundle…", self.export_bundle, None, "export_bundle"
        )
        self.bundle_action.setToolTip(
            "PNG + SVG + CSV of a view and the session that reproduces it"
        )
        self.window_action = self._action(
            "&Window as PNG…", lambda: self.export("window", "png"), None, "export_window"
        )
        self.menu.addActions([self.bundle_action, self.window_action])
        for action in (self.png_action, self.svg_action):
            w.addAction(action)  # the shortcuts work while the menu is closed
        file_menu = _file_menu(w)
        if file_menu is None:
            w.menuBar().addMenu(self.menu)
            return
        quit_action = getattr(w, "quit_action", None)
        if quit_action is not None and quit_action in file_menu.actions():
            file_menu.insertMenu(quit_action, self.menu)
            file_menu.insertSeparator(quit_action)
        else:
            file_menu.addMenu(self.menu)

    # -- context menus --------------------------------------------------------------------------
    def _install_context_menus(self) -> None:
        for view in ex.available_views(self.window):
            if not view.panel:
                continue
            obj = ex.target(self.window, view)
            scene = obj if isinstance(obj, QGraphicsScene) else obj.scene()
            for gview in scene.views() if scene is not None else ():
                if gview.viewport() not in self._viewports:
                    self._viewports[gview.viewport()] = gview
                    gview.viewport().installEventFilter(self)

    def views_in(self, gview: QGraphicsView) -> list[ex.ExportView]:
        scene = gview.scene()
        found = []
        for view in ex.available_views(self.window):
            if view.panel:
                obj = ex.target(self.window, view)
                if obj is scene or (not isinstance(obj, QGraphicsScene) and obj.scene() is scene):
                    found.append(view)
        return found

    def view_at(self, gview: QGraphicsView, pos) -> str | None:
        """The smallest exportable view under viewport position ``pos`` (else the largest)."""
        point = gview.mapToScene(pos)
        hits = []
        for view in self.views_in(gview):
            obj = ex.target(self.window, view)
            if isinstance(obj, QGraphicsScene):
                hits.append(((0, 0.0), view.name))
                continue
            rect = obj.sceneBoundingRect()
            area = rect.width() * rect.height()
            hits.append(((0, area) if rect.contains(point) else (1, -area), view.name))
        return min(hits)[1] if hits else None

    def context_menu(self, gview: QGraphicsView, pos) -> QMenu | None:
        """The "Export this view" menu for the view at ``pos`` (None where there is none)."""
        name = self.view_at(gview, pos)
        if name is None:
            return None
        view = ex.get_view(name)
        menu = QMenu(gview)
        menu.setObjectName("export_context_menu")
        for fmt in view.formats:
            action = menu.addAction(f"Export this view as {fmt.upper()}…")
            action.setObjectName(f"export_this_{fmt}")
            action.setToolTip(view.title)
            action.triggered.connect(lambda _c=False, n=name, f=fmt: self.export(n, f))
        return menu

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.ContextMenu and obj in self._viewports:
            menu = self.context_menu(self._viewports[obj], event.pos())
            if menu is not None:
                self.popup(menu, event.globalPos())
                return True
        return False

    def popup(self, menu: QMenu, global_pos) -> None:
        """Show ``menu`` until an entry is chosen or it is dismissed."""
        menu.exec(global_pos)
        menu.deleteLater()

    # -- the export flow --------------------------------------------------------------------------
    def _suggest(self, name: str, ext: str) -> str:
        state = self.window.state
        directory = self.last_dir or (os.path.dirname(state.path) if state.path else os.getcwd())
        stem = os.path.basename(state.path).split(".")[0] if state.path else state.spec.name
        stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in stem) or "rnnviz"
        return os.path.join(directory, f"{stem}-{name}{ext}")

    def _may_write(self, path: str) -> bool:
        return not os.path.exists(path) or export_dialogs.confirm_overwrite(self.window, path)

    def _done(self, text: str, path: str) -> None:
        self.last_dir = os.path.dirname(path)
        self.window.statusBar().showMessage(f"{text} {path}", STATUS_MS)

    def export_chosen(self, fmt: str) -> str | None:
        """File ▸ Export ▸ PNG/SVG: ask which view, then export it."""
        choices = [(v.name, v.title) for v in ex.available_views(self.window) if fmt in v.formats]
        name = export_dialogs.choose_view(self.window, choices, self.current_view)
        return self.export(name, fmt) if name else None

    def export(self, name: str, fmt: str) -> str | None:
        """Ask for a file (and a PNG's size), then write view ``name``; the path, or None."""
        self.current_view = name if name != "window" else self.current_view
        path = export_dialogs.save_export_path(self.window, fmt, self._suggest(name, f".{fmt}"))
        if not path or not self._may_write(path):
            return None
        size, dpi = None, ex.SCREEN_DPI
        try:
            if fmt == "png":
                view = ex.get_view(name)
                ex.show_view(self.window, view)
                obj = ex.target(self.window, view)
                options = export_dialogs.png_options(self.window, ex.default_size(obj), dpi)
                if options is None:
                    return None
                size, dpi = options
            data = ex.render_view(self.window, name, fmt, size, dpi)
            path = ex.write_export(path, data)
        except (OSError, ValueError) as e:
            export_dialogs.show_export_error(self.window, f"{path}\n\n{e}")
            return None
        self._done(f"Exported {ex.get_view(name).title.lower()} to", path)
        return path

    def export_bundle(self) -> str | None:
        """A folder with the view as PNG, SVG and CSV, the session and a README."""
        w = self.window
        choices = [(v.name, v.title) for v in ex.available_views(w) if v.name != "window"]
        name = export_dialogs.choose_view(w, choices, self.current_view)
        if not name:
            return None
        folder = export_dialogs.bundle_folder(w, self._suggest(name, "-figure"))
        if not folder or (
            os.path.exists(folder) and os.listdir(folder) and not self._may_write(folder)
        ):
            return None
        try:
            folder = write_bundle(w, name, folder)
        except (OSError, ValueError) as e:
            export_dialogs.show_export_error(w, f"{folder}\n\n{e}")
            return None
        self.current_view = name
        self._done("Exported the figure bundle to", folder)
        return folder


def session_text(state) -> str:
    """The session file that reproduces what the window shows (spec, weights, view)."""
    from ..io.session_file import SessionFile, dumps_session

    view = {k: getattr(state, k) for k in ("cursor", "phase", "notation")}
    if state.selected_unit is not None:
        view["selected_unit"] = state.selected_unit
    return dumps_session(SessionFile(state.spec, state.current_params, view=view))


def write_bundle(window, name: str, folder: str, size=None, dpi: int = ex.SCREEN_DPI) -> str:
    """Write the bundle of view ``name`` into ``folder`` (created); returns its absolute path."""
    view = ex.get_view(name)
    folder = os.path.abspath(folder)
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ex.ExportError(f"{folder} is a file, not a folder")
    # everything is rendered before the folder is touched: a failure leaves nothing behind
    ex.show_view(window, view)
    obj = ex.target(window, view)
    size = size or ex.default_size(obj, dpi)
    files = {fmt: ex.render_view(window, name, fmt, size, dpi) for fmt in view.formats}
    text = session_text(window.state)
    os.makedirs(folder, exist_ok=True)
    for fmt, file_name in bundle.file_names(name, view.formats).items():
        atomic_write_bytes(os.path.join(folder, file_name), files[fmt])
    atomic_write_text(os.path.join(folder, bundle.SESSION_NAME), text)
    readme = bundle.readme(name, view.title, view.formats, window.state.cursor + 1, size, dpi)
    atomic_write_text(os.path.join(folder, bundle.README_NAME), readme)
    return folder
