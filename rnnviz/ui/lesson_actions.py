"""Lessons in the window: the Lessons menu, the Lesson dock and the panel's host.

``install_lessons(window)`` adds a Lessons menu (each built-in lesson with its
number and title, then Open lesson file…, Restart lesson, Close lesson) and
returns the controller (kept as ``window.lessons``). The "Lesson" dock holding
``LessonPanel`` is made when a lesson first starts, at the top of the left
column above the input panel (the panels a lesson talks about stay where they
are, and at 1280x800 the diagram keeps its width). The controller is the
panel's host: ``show(name)`` raises ``window.docks[name]``, ``highlight(name)``
draws a theme-aware frame around that dock for a few seconds (or until the step
changes) and
``ui_facts()`` reads what the State does not hold: the clipping lab panel's
threshold spin box and run history (its public ``threshold_spin`` and
``history``), and which docks are in front.

A lesson file is checked completely before it starts: the loader's checks,
then every step's set-up rehearsed on a scratch session. A broken file gets
an error dialog naming the file and the problem; the running lesson and the
session stay as they were.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QPainter, QPen
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

from ..lessons import library
from ..lessons.format import Lesson, LessonError, load
from ..lessons.runner import rehearse
from . import dialogs
from .lesson_check import GOOD, theme_of
from .lesson_panel import LessonPanel

HIGHLIGHT_MS = 4000
LAB_RUNS = ("no clipping", "value clipping", "norm clipping")


class HighlightFrame(QWidget):
    """A thick rounded frame over a dock; clicks go through to the dock."""

    def __init__(self, dock: QWidget) -> None:
        super().__init__(dock)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setObjectName("lesson_highlight")
        dock.installEventFilter(self)
        self.setGeometry(dock.rect())
        self.raise_()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(obj.rect())
            self.raise_()
        return False

    def color(self) -> QColor:
        return QColor(GOOD[theme_of(self)])

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(self.color(), 5))
        painter.drawRoundedRect(self.rect().adjusted(3, 3, -3, -3), 6, 6)
        painter.end()


class LessonController(QObject):
    """The Lessons menu, the Lesson dock and the host the panel asks for UI facts."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.frames: dict[str, HighlightFrame] = {}
        self._panel: LessonPanel | None = None
        self._dock: QDockWidget | None = None
        self._build_menu()
        self._update_actions(None)

    # -- building -------------------------------------------------------------
    @property
    def panel(self) -> LessonPanel:
        self._ensure_dock()
        return self._panel

    @property
    def dock(self) -> QDockWidget:
        self._ensure_dock()
        return self._dock

    def _ensure_dock(self) -> None:
        """The Lesson dock is made when first needed: a window without lessons has none."""
        if self._dock is not None:
            return
        self._panel = LessonPanel(self.window.session)
        self._panel.setObjectName("lesson_panel")
        self._panel.set_host(self)
        self._dock = QDockWidget("Lesson", self.window)
        self._dock.setObjectName("lesson_dock")
        self._dock.setWidget(self._panel)
        self._place_dock()
        self._add_view_toggle()
        self._panel.sig_lesson_changed.connect(self._update_actions)
        for dock in self.window.docks.values():  # "visible" facts follow the docks at once
            dock.visibilityChanged.connect(lambda _v: self._panel.refresh())

    def _place_dock(self) -> None:
        """Top of the left column, above the input panel; hidden until a lesson starts."""
        w, docks = self.window, self.window.docks
        w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        if "input" in docks:
            w.splitDockWidget(self.dock, docks["input"], Qt.Orientation.Vertical)
        self.dock.hide()

    def _size_dock(self) -> None:
        """Room to read: three fifths of the left column; the input panel scrolls below."""
        height = max(self.window.height(), 600)
        docks = [self.dock] + [d for n, d in self.window.docks.items() if n == "input"]
        sizes = [int(height * 0.6), int(height * 0.4)][: len(docks)]
        self.window.resizeDocks(docks, sizes, Qt.Orientation.Vertical)

    def _build_menu(self) -> None:
        bar = self.window.menuBar()
        self.menu = QMenu("&Lessons", self.window)
        self.menu.setObjectName("lessons_menu")
        help_action = next((a for a in bar.actions() if a.text() == "&Help"), None)
        bar.insertMenu(help_action, self.menu) if help_action else bar.addMenu(self.menu)
        self.lesson_actions: dict[str, QAction] = {}
        for entry in library.entries():
            action = self.menu.addAction(entry.filename)
            action.setObjectName(f"lesson_{os.path.splitext(entry.filename)[0]}")
            try:
                lesson = entry.load()
            except LessonError as e:  # a bug in a shipped file: show it, do not crash
                action.setEnabled(False)
                action.setToolTip(str(e))
            else:
                number = f"{entry.number}. " if entry.number is not None else ""
                action.setText(f"{number}{lesson.title}")
                action.setToolTip(lesson.summary)
                action.triggered.connect(lambda _c=False, e=entry: self.start(e.load()))
            self.lesson_actions[entry.filename] = action
        self.menu.addSeparator()
        self.open_action = self._add("Open lesson file…", self.open_file, "lesson_open")
        self.restart_action = self._add("Restart lesson", self.restart, "lesson_restart")
        self.close_action = self._add("Close lesson", self.close, "lesson_close")

    def _add_view_toggle(self) -> None:
        """View ▸ Lesson, with the other docks' toggles."""
        bar = self.window.menuBar()
        view = next((m for m in bar.findChildren(QMenu) if m.title() == "&View"), None)
        if view is not None:
            toggle = self._dock.toggleViewAction()
            toggle.setObjectName("view_lesson")
            anchor = next((a for a in view.actions() if a.isSeparator()), None)
            view.insertAction(anchor, toggle) if anchor else view.addAction(toggle)

    def _add(self, text: str, slot, name: str) -> QAction:
        action = self.menu.addAction(text)
        action.setObjectName(name)
        action.triggered.connect(lambda _c=False: slot())
        return action

    def _update_actions(self, lesson) -> None:
        running = self._panel is not None and self._panel.run is not None
        self.restart_action.setEnabled(running)
        self.close_action.setEnabled(running)

    # -- lessons --------------------------------------------------------------
    def start(self, lesson: Lesson) -> bool:
        """Check ``lesson``'s set-ups on a scratch session, then run it from step 1."""
        problems = rehearse(lesson)
        if problems:
            self._refuse(lesson.source, problems[0])
            return False
        self.window.session.set_playing(False)
        if not self.dock.isVisible():
            self.dock.show()
            QTimer.singleShot(0, self, self._size_dock)  # once the dock is in the layout
        self.dock.raise_()
        self.panel.start(lesson)
        return True

    def open_file(self, path: str | None = None) -> bool:
        """Open a lesson file (asking for it when ``path`` is None)."""
        if path is None:
            path = dialogs.open_lesson_path(self.window)
            if not path:
                return False
        try:
            lesson = load(path)
        except LessonError as e:
            self._refuse(path, str(e))
            return False
        return self.start(lesson)

    def _refuse(self, path: str, problem: str) -> None:
        dialogs.show_error(
            self.window,
            "Could not open the lesson",
            f"{path}\n\n{problem}\n\nThe lesson that was running, if any, goes on unchanged.",
        )

    def restart(self) -> None:
        if self._panel is not None:
            self._panel.restart()

    def close(self) -> None:
        if self._panel is not None:
            self._panel.close_lesson()
            self._dock.hide()

    # -- the panel's host -----------------------------------------------------
    def ui_facts(self) -> dict:
        facts: dict = {"visible": self.visible_docks()}
        lab = self.window.panels.get("lab")
        if lab is not None:
            history = lab.history
            facts["lab_threshold"] = float(lab.threshold_spin.value())
            facts["lab_steps_run"] = history.steps if history is not None else 0
            runs = history.runs if history is not None else {}
            facts["lab_diverged"] = [n for n in LAB_RUNS if n in runs and runs[n].stop is not None]
        return facts

    def visible_docks(self) -> list[str]:
        """The central diagram and every dock that is shown and not behind another tab."""
        names = ["diagram"] if "diagram" in self.window.panels else []
        return names + [
            name
            for name, dock in self.window.docks.items()
            if dock.isVisible() and not dock.visibleRegion().isEmpty()
        ]

    def show(self, name: str) -> None:
        dock = self.window.docks.get(name)
        if dock is not None:
            dock.show()
            dock.raise_()

    def highlight(self, name: str) -> None:
        """A frame around dock ``name`` (the diagram: the central widget) for a few seconds."""
        target = self.window.docks.get(name)
        if target is None and name == "diagram":
            target = self.window.centralWidget()
        if target is None:
            return
        self._drop_frame(name)
        frame = HighlightFrame(target)
        frame.show()
        self.frames[name] = frame
        QTimer.singleShot(HIGHLIGHT_MS, frame, lambda: self._drop_frame(name, frame))

    def _drop_frame(self, name: str, only=None) -> None:
        frame = self.frames.get(name)
        if frame is None or (only is not None and frame is not only):
            return
        del self.frames[name]
        frame.hide()
        frame.deleteLater()

    def clear_highlight(self) -> None:
        for name in list(self.frames):
            self._drop_frame(name)


def install_lessons(window) -> LessonController:
    window.lessons = LessonController(window)
    return window.lessons
