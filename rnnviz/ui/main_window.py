"""The main window: composes the panels as dock widgets and holds no logic.

Panels never talk to each other; the window only creates them on the one
session, wires menus/toolbar/keys to session intents, and shows the state in
the title and status bar. Each panel module is imported defensively, so the
window still opens (without that panel) when one is missing or broken.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

from PySide6.QtCore import QEvent, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QScrollArea,
    QWidget,
)

from ..session import Session
from . import dialogs
from .readout import Readout
from .theme import THEMES, apply_theme, current_theme, media_icon
from .timeline_panel import install_step_keys, token_text

_LEFT, _RIGHT, _BOTTOM = (
    Qt.DockWidgetArea.LeftDockWidgetArea,
    Qt.DockWidgetArea.RightDockWidgetArea,
    Qt.DockWidgetArea.BottomDockWidgetArea,
)
_H, _V = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
# (module, class, dock title, object name, default area); "diagram" is the central widget
PANELS = (
    ("diagram_panel", "DiagramPanel", "Unrolled network", "diagram", None),
    ("input_panel", "InputPanel", "Input", "input", _LEFT),
    ("math_panel", "MathPanel", "Show the math", "math", _RIGHT),
    ("input_panel", "ExampleNotes", "About this example", "notes", _RIGHT),
    ("hidden_panel", "HiddenStatePanel", "Hidden state", "hidden", _BOTTOM),
    ("output_panel", "OutputPanel", "Output", "output", _BOTTOM),
    ("timeline_panel", "TimelinePanel", "Timeline", "timeline", _BOTTOM),
    ("gradients_panel", "GradientsPanel", "Gradients", "gradients", _BOTTOM),
    ("clipping_lab_panel", "ClippingLabPanel", "Clipping lab", "lab", _BOTTOM),
    ("training_panel", "TrainingPanel", "Training", "training", _RIGHT),
    ("generate_panel", "GeneratePanel", "Generate", "generate", _RIGHT),
)
# Docks that share a place as tabs, first one in front: (front, behind...)
TABS = (("hidden", "gradients", "lab"), ("math", "training", "generate", "notes"))
# Large panels that share a tab group: in a scroll area their minimum size stays inside
# their dock (otherwise one tab's minimum squeezes every other dock of a 1280x800 window).
SCROLLED = ("training", "generate", "lab", "gradients", "notes")
STATE_VERSION = 2  # bump when PANELS change, so an old saved layout cannot hide new docks
MAX_RECENT = 8


def _scrolled(panel: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)  # the panel fills the dock when there is room
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(panel)
    return area


def load_panel(module: str, cls: str, session: Session) -> QWidget | None:
    """The panel, or None while its module does not exist yet (or fails to build)."""
    try:
        mod = importlib.import_module(f"rnnviz.ui.{module}")
    except ModuleNotFoundError as e:
        if e.name == f"rnnviz.ui.{module}":
            return None
        raise
    try:
        return getattr(mod, cls)(session)
    except Exception:  # a broken panel must not take the whole app down
        traceback.print_exc(file=sys.stderr)
        return None


class MainWindow(QMainWindow):
    def __init__(
        self, session: Session, settings: QSettings | None = None, confirm_close: bool = False
    ) -> None:
        super().__init__()
        self.session = session
        self.state = session.state
        self.settings = settings  # None: remember nothing (tests, screenshots, benchmarks)
        self.confirm_close = confirm_close
        self.panels: dict[str, QWidget] = {}
        self.docks: dict[str, QDockWidget] = {}
        self._sized = False
        # the input panel is long: it takes the full height on the left
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.AllowNestedDocks
        )
        self._build_panels()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status()
        self._build_keys()
        for field in ("spec", "path", "dirty", "analysis", "cursor", "error", "notice", "playing"):
            getattr(self.state.events, field).connect(getattr(self, f"_on_{field}_changed"))
        self._on_spec_changed(self.state.spec)
        self._update_status()
        self._on_playing_changed(self.state.playing)
        self._restore_settings()
        self._install_features()

    def _install_features(self) -> None:
        """Menus and behaviours that span panels, each owned by its own module."""
        from .animation_actions import install_animation_actions
        from .export_actions import install_export_actions
        from .help import install_help
        from .lesson_actions import install_lessons
        from .lesson_lock_ui import install_lesson_lock
        from .presenter import install_presenter
        from .session_actions import install_session_actions

        install_session_actions(self)
        install_export_actions(self)  # File ▸ Export; the animation entries join its submenu
        install_animation_actions(self)
        install_presenter(self)
        install_lesson_lock(self)
        install_lessons(self)  # the Lessons menu and the Lesson dock
        install_help(self)  # last: its tooltip pass covers every control added above

    # -- panels ---------------------------------------------------------------
    def _build_panels(self) -> None:
        for module, cls, title, name, area in PANELS:
            panel = load_panel(module, cls, self.session)
            if panel is None:
                continue
            panel.setObjectName(f"{name}_panel")
            # opaque: a redraw inside the panel does not repaint the dock frame beneath it
            panel.setAutoFillBackground(True)
            self.panels[name] = panel
            if area is None:
                self.setCentralWidget(panel)
                continue
            dock = QDockWidget(title, self)
            dock.setObjectName(f"{name}_dock")
            dock.setWidget(_scrolled(panel) if name in SCROLLED else panel)
            if hasattr(panel, "on_shown"):  # costly panels redraw only when in front
                dock.visibilityChanged.connect(panel.on_shown)
            self.docks[name] = dock
        if self.centralWidget() is None:
            placeholder = QLabel("The unrolled-network diagram is not available.")
            placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.setCentralWidget(placeholder)
        if "input" in self.panels and "notes" in self.docks:
            self.panels["input"].sig_show_notes.connect(self.show_notes)
        self._apply_default_layout()

    def show_notes(self) -> None:
        dock = self.docks["notes"]
        dock.show()
        dock.raise_()

    def _apply_default_layout(self) -> None:
        """Input left, math right, hidden | output below the diagram, the timeline under them."""
        for _module, _cls, _title, name, area in PANELS:
            dock = self.docks.get(name)
            if dock is not None:
                dock.setFloating(False)
                self.addDockWidget(area, dock)
                dock.show()
        d = self.docks
        if "hidden" in d and "timeline" in d:
            self.splitDockWidget(d["hidden"], d["timeline"], Qt.Orientation.Vertical)
        if "hidden" in d and "output" in d:
            self.splitDockWidget(d["hidden"], d["output"], Qt.Orientation.Horizontal)
        for front, *behind in TABS:  # e.g. the notes wait one click behind the math
            if front in d:
                for name in (n for n in behind if n in d):
                    self.tabifyDockWidget(d[front], d[name])
                d[front].raise_()
        self._sized = False
        if self.isVisible():
            self._apply_default_sizes()

    def _apply_default_sizes(self) -> None:
        """Proportions that suit 1280x800 and 1920x1080: the diagram keeps the most room."""
        w, h = max(self.width(), 800), max(self.height(), 600)
        d = self.docks
        fractions = {"input": 0.24, "math": 0.31}
        sides = [n for n in fractions if n in d]
        self.resizeDocks([d[n] for n in sides], [int(w * fractions[n]) for n in sides], _H)
        bottom = [d[n] for n in ("hidden", "output") if n in d]
        self.resizeDocks(bottom, [int(h * 0.33)] * len(bottom), _V)
        if len(bottom) == 2:  # output sits under the math panel, as wide as it
            rest = w * (1 - fractions["input"])
            self.resizeDocks(bottom, [int(rest * 0.6), int(rest * 0.4)], _H)
        if "timeline" in d:
            self.resizeDocks([d["timeline"]], [d["timeline"].minimumSizeHint().height()], _V)
        self._sized = True

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the theme changed: redraw the icons
            for action in (
                self.first_action,
                self.prev_action,
                self.play_action,
                self.next_action,
                self.last_action,
            ):
                action.setIcon(media_icon(action.data(), self))

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        if not self._sized:
            QTimer.singleShot(0, self._apply_default_sizes)
            self._sized = True

    # -- actions, menus, toolbar, status bar ------------------------------------
    def _action(self, text: str, slot, shortcut=None, icon=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setData(icon)
            action.setIcon(media_icon(icon, self))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip or text)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        s = self.session
        self.open_action = self._action(
            "&Open session…", self.open_session, QKeySequence.StandardKey.Open
        )
        self.save_action = self._action("&Save", self.save_session, QKeySequence.StandardKey.Save)
        self.save_as_action = self._action(
            "Save &As…", self.save_session_as, QKeySequence.StandardKey.SaveAs
        )
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.first_action = self._action(
            "First step", s.first, None, "first", "First timestep (Home)"
        )
        self.prev_action = self._action(
            "Previous step", lambda: s.step(-1), None, "prev", "Previous timestep (←)"
        )
        self.play_action = self._action(
            "Play", self.toggle_playing, None, "play", "Play / pause (Space)"
        )
        self.next_action = self._action(
            "Next step", lambda: s.step(1), None, "next", "Next timestep (→)"
        )
        self.last_action = self._action("Last step", s.last, None, "last", "Last timestep (End)")
        self.reset_layout_action = self._action("&Reset layout", self._apply_default_layout)
        self.about_action = self._action("&About rnnviz", lambda: dialogs.show_about(self))
        # F1: the live sheet of every key the window has (rnnviz.ui.help, installed later)
        self.shortcuts_action = self._action(
            "&Keyboard shortcuts", lambda: self.help.show_shortcuts(), "F1"
        )

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        view = bar.addMenu("&View")
        for name, dock in self.docks.items():
            toggle = dock.toggleViewAction()
            toggle.setObjectName(f"view_{name}")
            view.addAction(toggle)
        view.addSeparator()
        theme_menu = view.addMenu("&Theme")
        self.theme_actions = QActionGroup(self)
        for name in THEMES:
            action = theme_menu.addAction(name.capitalize())
            action.setCheckable(True)
            action.setData(name)
            action.setChecked(name == current_theme())
            action.triggered.connect(lambda _c=False, n=name: self.set_theme(n))
            self.theme_actions.addAction(action)
        view.addAction(self.reset_layout_action)
        self.presets_menu = bar.addMenu("&Presets")
        self.preset_actions = {}
        for name, title in self._preset_titles():
            action = self.presets_menu.addAction(title)
            action.setObjectName(f"preset_{name}")
            action.setData(name)
            action.triggered.connect(lambda _c=False, n=name: self.load_preset(n))
            self.preset_actions[name] = action
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.shortcuts_action, self.about_action])
        self._update_recent_menu()

    def _preset_titles(self) -> list[tuple[str, str]]:
        from .. import presets

        return [(name, presets.title(name)) for name in presets.names()]

    def _preset_key(self, spec) -> str | None:
        from .. import presets

        return presets.key_of(spec)

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Playback")
        bar.setObjectName("playback_toolbar")
        bar.addActions(
            [
                self.first_action,
                self.prev_action,
                self.play_action,
                self.next_action,
                self.last_action,
            ]
        )
        bar.addSeparator()
        bar.addWidget(QLabel(" Example: "))
        self.preset_combo = QComboBox()
        self.preset_combo.setToolTip("Load one of the worked examples")
        self.preset_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for name, title in self._preset_titles():
            self.preset_combo.addItem(title, name)
        self.preset_combo.activated.connect(
            lambda i: self.load_preset(self.preset_combo.itemData(i))
        )
        bar.addWidget(self.preset_combo)

    def _build_status(self) -> None:
        self.message_label = QLabel()
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.position_label = Readout()  # changes with every cursor move
        self.loss_label = QLabel()
        status = self.statusBar()
        status.addWidget(self.message_label, 1)
        status.addPermanentWidget(self.position_label)
        status.addPermanentWidget(self.loss_label)

    def _build_keys(self) -> None:
        """←/→ Home End Space move the cursor whichever panel has focus (not in a text box)."""
        self.shortcuts = install_step_keys(self, self.session)

    # -- state -> window ------------------------------------------------------
    def _on_spec_changed(self, spec) -> None:
        self._update_title()
        # an edited preset keeps its name in the picker; a session of one's own shows none
        self.preset_combo.setCurrentIndex(self.preset_combo.findData(self._preset_key(spec)))

    def _on_path_changed(self, path) -> None:
        self._update_title()

    def _on_dirty_changed(self, dirty) -> None:
        self._update_title()

    def _on_analysis_changed(self, analysis) -> None:
        self._update_status()

    def _on_cursor_changed(self, cursor) -> None:
        self._update_position()

    def _on_error_changed(self, error) -> None:
        self._update_message()

    def _on_notice_changed(self, notice) -> None:
        self._update_message()

    def _on_playing_changed(self, playing) -> None:
        self.play_action.setData("pause" if playing else "play")
        self.play_action.setIcon(media_icon(self.play_action.data(), self))
        self.play_action.setText("Pause" if playing else "Play")

    def session_name(self) -> str:
        path = self.state.path
        return os.path.basename(path) if path else self.state.spec.name

    def _update_title(self) -> None:
        mark = "*" if self.state.dirty else ""
        self.setWindowTitle(f"{self.session_name()}{mark} — rnnviz")

    def _update_status(self) -> None:
        self._update_position()
        trace = self.state.analysis.trace
        if not trace.sample.scored.any():
            self.loss_label.setText("loss —  (no target)")
            self.loss_label.setToolTip("No timestep has a target, so there is no loss")
        else:
            self.loss_label.setText(f"loss {trace.loss:.4g}")
            self.loss_label.setToolTip(f"total loss L = {trace.loss!r}")
        self._update_message()

    def _update_position(self) -> None:
        t, analysis = self.state.cursor, self.state.analysis
        token = analysis.built.tokens[t] if t < len(analysis.built.tokens) else ""
        self.position_label.setText(
            f"t = {t + 1} / {analysis.length} · token '{token_text(token, 24)}'"
        )

    def _update_message(self) -> None:
        error, notice = self.state.error, self.state.notice
        if error is not None:
            self.message_label.setStyleSheet("color: #c0392b; font-weight: bold;")
            self.message_label.setText(f"⚠ {error} — showing the last valid input")
        else:
            self.message_label.setStyleSheet("")
            self.message_label.setText(f"ℹ {notice}" if notice else "")

    # -- intents from menus ---------------------------------------------------
    def toggle_playing(self) -> None:
        self.session.set_playing(not self.state.playing)

    def load_preset(self, name: str) -> None:
        if self._may_discard():
            self.session.set_playing(False)
            self.session.load_preset(name)
        self._on_spec_changed(self.state.spec)  # a cancelled choice shows the example in use

    def set_theme(self, name: str) -> None:
        name = apply_theme(QApplication.instance(), name, root=self)
        for action in self.theme_actions.actions():
            action.setChecked(action.data() == name)
        if self.settings is not None:
            self.settings.setValue("theme", name)

    def open_session(self) -> None:
        if self._may_discard():
            path = dialogs.open_session_path(self, os.path.dirname(self.state.path or ""))
            if path:
                self.open_path(path)

    def open_path(self, path: str) -> bool:
        """Load a session file; a bad file gets a message box and changes nothing."""
        from .session_actions import open_path

        return open_path(self, path)

    def save_session(self) -> bool:
        return self._save_to(self.state.path) if self.state.path else self.save_session_as()

    def save_session_as(self) -> bool:
        suggested = self.state.path or f"{self.state.spec.name}.rnnviz.json"
        path = dialogs.save_session_path(self, suggested)
        return self._save_to(path) if path else False

    def _save_to(self, path: str) -> bool:
        """Spec, weights, history and view, atomically; on failure say why and stay dirty."""
        from .session_actions import save_to

        return save_to(self, path)

    def _may_discard(self) -> bool:
        """Ask before unsaved changes are thrown away (only in the real app)."""
        if not (self.confirm_close and self.state.dirty):
            return True
        answer = dialogs.ask_save_changes(self, self.session_name())
        return answer == "discard" or (answer == "save" and self.save_session())

    # -- settings -------------------------------------------------------------
    def recent_files(self) -> list[str]:
        if self.settings is None:
            return []
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def add_recent(self, path: str) -> None:
        if self.settings is None:
            return
        path = os.path.abspath(path)
        recent = [path] + [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files():
            action = self.recent_menu.addAction(os.path.basename(path))
            action.setToolTip(path)
            action.triggered.connect(lambda _c=False, p=path: self._open_recent(p))
        self.recent_menu.setEnabled(bool(self.recent_menu.actions()))

    def _open_recent(self, path: str) -> None:
        if self._may_discard():
            self.open_path(path)

    def _restore_settings(self) -> None:
        if self.settings is None:
            return
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window_state")
        if state is not None and self.restoreState(state, STATE_VERSION):
            self._sized = True  # the user's own dock sizes win over the defaults

    def save_settings(self) -> None:
        if self.settings is None:
            return
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState(STATE_VERSION))
        self.settings.setValue("theme", current_theme())
        self.settings.sync()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if not self._may_discard():
            event.ignore()
            return
        self.session.set_playing(False)
        self.save_settings()
        super().closeEvent(event)
