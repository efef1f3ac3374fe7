"""Start the desktop app: ``python app.py [session.json]`` or ``rnnviz``.

Startup stays fast (a painted window in well under 2 s): only Qt and the
engine load before the window is built; pyqtgraph is imported by the panels
that draw plots, after the theme has set its colours.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from .theme import DEFAULT_THEME, apply_theme

if TYPE_CHECKING:  # the engine loads lazily, after the QApplication exists
    from ..session import Session

APP_NAME = "rnnviz"


def make_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (Fusion style, names for QSettings), created once."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(sys.argv if argv is None else [APP_NAME, *argv]))
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    font = app.font()
    if 0 < font.pointSizeF() < 10:  # readable on a laptop and a projector: at least 10 pt
        font.setPointSizeF(10)
        app.setFont(font)
    import pyqtgraph as pg  # the one place global pyqtgraph options are set

    pg.setConfigOptions(antialias=True)
    apply_theme(app, DEFAULT_THEME)  # Fusion + palette + plot colours, before any plot exists
    if getattr(app, "rnnviz_gc", None) is None:
        # Python's collector runs from a timer in the event loop, never at a random allocation:
        # freeing widgets left in reference cycles (closed menus and dialogs) while Qt holds
        # its connection lock deadlocked a test run (a destructor waiting on that lock)
        from pyqtgraph.util.garbage_collector import GarbageCollector

        app.rnnviz_gc = GarbageCollector(interval=0.5)
    return app


def make_window(session=None, settings: QSettings | None = None, confirm_close: bool = False):
    """The main window on ``session`` (default: the first preset).

    ``settings=None`` remembers nothing, which tests, screenshots and
    benchmarks want; the real app passes the user's QSettings.
    """
    from ..session import Session
    from .main_window import MainWindow

    if session is None:
        session = Session()
    return MainWindow(session, settings=settings, confirm_close=confirm_close)


def open_session_file(session: Session, path: str) -> str | None:
    """Load ``path`` into ``session`` (spec, weights, history, view); the problem, or None."""
    try:
        from ..io.session_file import load_session

        loaded = load_session(path)
    except Exception as e:  # any unreadable file: say why, keep the current session
        return str(e)
    from .session_actions import restore_session

    return restore_session(session, loaded, path)


def _initial_session(session_path: str | None):
    """The default preset, with the session file loaded over it (or a message why not)."""
    from ..session import Session

    session = Session()
    if session_path is None:
        return session, None
    problem = open_session_file(session, session_path)
    if problem is None:
        return session, None
    return session, f"{session_path}\n\n{problem}\n\nShowing the default example instead."


def main(session_path: str | None = None, argv: list[str] | None = None) -> int:
    app = make_app(argv)
    settings = QSettings()
    theme = str(settings.value("theme", DEFAULT_THEME))
    if theme != DEFAULT_THEME:
        apply_theme(app, theme)
    session, problem = _initial_session(session_path)
    window = make_window(session, settings=settings, confirm_close=True)
    if settings.value("geometry") is None:  # first run: 1280x800, or the screen if smaller
        screen = app.primaryScreen().availableGeometry()
        window.resize(min(1280, screen.width()), min(800, screen.height()))
    from .autosave import install_autosave, recover_if_any

    install_autosave(window)  # here, not in MainWindow: tests must never write app data
    window.show()
    recover_if_any(window)  # after a crash or kill: offer the work that was autosaved
    if problem is not None:
        from . import dialogs

        dialogs.show_error(window, "Could not open the session", problem)
    elif session_path is not None:
        window.add_recent(session_path)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else None))
