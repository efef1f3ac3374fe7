"""Lesson lock in the window: View ▸ Lesson lock… / Save as lesson… / Remove lesson lock.

``install_lesson_lock(window)`` adds the actions and returns the controller
(also kept as ``window.lesson_lock``). The spec of a lock (which control
names exist, the file format) is Qt-free in ``rnnviz.lesson_lock``; here each
control name is mapped to the widgets of the panels that show it, found
through the panels' public attributes (``window.panels[...]``):

==================  ==========================================================
control             widgets
==================  ==========================================================
input_text          input panel ``text_edit``
tokenizer           input panel ``word_radio``, ``char_radio``, ``lowercase_check``,
                    ``punctuation_check``
encoding            input panel ``encoding_combo``
targets             input panel ``targets`` (label / tags editor)
model               input panel ``model`` (the Model settings group)
presets             window ``preset_combo`` (toolbar) and ``presets_menu``
training            training panel: the column of controls (``settings_box``'s parent)
clipping_lab        the "lab" dock (hidden) or the whole lab panel (locked)
generate            the "generate" dock (hidden) or the whole panel (locked)
gradient_controls   gradients panel ``sigma_slider``, ``sigma_box``
==================  ==========================================================

A hidden widget is hidden with its form label; a locked one is disabled.
The lock is re-applied after every spec or analysis change, because panels
enable their own widgets as the input changes (e.g. the numeric encoding).
"""

from __future__ import annotations

import os

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMenu,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ..lesson_lock import CONTROLS, NO_LOCK, LessonLock, lock_from_view, view_with_lock
from . import dialogs

STATES = ("open", "locked", "hidden")
STATE_LABELS = {"open": "Open", "locked": "Locked (shown, cannot change)", "hidden": "Hidden"}


class LessonLockDialog(QDialog):
    """One row per control: open / locked / hidden."""

    def __init__(self, parent: QWidget | None, current: LessonLock) -> None:
        super().__init__(parent)
        self.setWindowTitle("Lesson lock")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Choose what students may change. Hidden controls are not shown; locked ones are "
            "shown greyed out. Students can still step through the timesteps. Save with "
            "View ▸ Save as lesson…"
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.combos: dict[str, QComboBox] = {}
        for name, (label, what) in CONTROLS.items():
            combo = QComboBox()
            for state in STATES:
                combo.addItem(STATE_LABELS[state], state)
            combo.setCurrentIndex(STATES.index(current.state_of(name)))
            combo.setToolTip(f"{label}: {what}")
            combo.setObjectName(f"lock_{name}")
            self.combos[name] = combo
            form.addRow(label, combo)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def lock(self) -> LessonLock:
        chosen = {name: combo.currentData() for name, combo in self.combos.items()}
        return LessonLock(
            hidden=frozenset(n for n, s in chosen.items() if s == "hidden"),
            locked=frozenset(n for n, s in chosen.items() if s == "locked"),
        )


def choose_lock(parent: QWidget | None, current: LessonLock) -> LessonLock | None:
    """The teacher's choice, or None when cancelled (tests patch this)."""
    dialog = LessonLockDialog(parent, current)
    return dialog.lock() if dialog.exec() == QDialog.DialogCode.Accepted else None


def menu_named(window, title: str) -> QMenu:
    """The menu bar's menu called ``title`` (ignoring the & of its shortcut), made if missing."""
    for menu in window.menuBar().findChildren(QMenu):
        if menu.title().replace("&", "") == title and menu.parent() is window.menuBar():
            return menu
    return window.menuBar().addMenu(f"&{title}")


class LessonLockController:
    def __init__(self, window) -> None:
        self.window = window
        self.lock = NO_LOCK
        self._hidden: list = []  # widgets/actions this lock hid (to show again)
        self._disabled: list = []  # widgets/actions this lock disabled
        view = menu_named(window, "View")
        view.addSeparator()
        self.lock_action = self._action(view, "Lesson &lock…", self.edit_lock)
        self.save_action = self._action(view, "Save as &lesson…", self.save_as_lesson)
        self.unlock_action = self._action(
            view, "Remove lesson lock", lambda: self.set_lock(NO_LOCK)
        )
        self.lock_action.setToolTip("Choose which controls students see and may change")
        self.save_action.setToolTip("Save this session with its lesson lock")
        state = window.state
        state.events.spec.connect(self._on_spec_changed)
        state.events.analysis.connect(self._on_analysis_changed)
        state.events.path.connect(self._on_path_changed)
        self._update_actions()

    def _action(self, menu, text: str, slot) -> QAction:
        action = QAction(text, self.window)
        action.triggered.connect(lambda _c=False: slot())
        menu.addAction(action)
        return action

    # -- intents --------------------------------------------------------------
    def edit_lock(self) -> None:
        chosen = choose_lock(self.window, self.lock)
        if chosen is not None:
            self.set_lock(chosen)

    def save_as_lesson(self, path: str | None = None) -> bool:
        """Write the session with the lock; returns whether a file was written."""
        state = self.window.state
        if path is None:
            base = os.path.splitext(state.path or f"{state.spec.name}.json")[0]
            base = base.removesuffix(".rnnviz")
            path = dialogs.save_session_path(self.window, f"{base}.lesson.rnnviz.json")
            if not path:
                return False
        from ..io.session_file import SessionFile, save_session

        view = {k: getattr(state, k) for k in ("cursor", "phase", "notation")}
        if state.selected_unit is not None:
            view["selected_unit"] = state.selected_unit
        try:
            save_session(path, SessionFile(state.spec, view=view_with_lock(view, self.lock)))
        except Exception as e:  # a disk or validation problem: say why
            dialogs.show_error(self.window, "Could not save the lesson", f"{path}\n\n{e}")
            return False
        self.window.session.mark_saved(path)
        return True

    def set_lock(self, lock: LessonLock) -> None:
        self._lift()
        self.lock = lock
        self._apply()
        self._update_actions()

    # -- state -> widgets -----------------------------------------------------
    def _on_spec_changed(self, _spec) -> None:
        self._reapply()

    def _on_analysis_changed(self, _analysis) -> None:
        self._reapply()

    def _on_path_changed(self, path) -> None:
        """A session was opened (or saved elsewhere): take the lock written in that file."""
        lock = NO_LOCK
        if path and os.path.exists(path):
            try:
                from ..io.session_file import load_session

                lock = lock_from_view(load_session(path).view)
            except Exception:  # the app reports bad files itself; no lock from one
                lock = NO_LOCK
        if lock != self.lock:
            self.set_lock(lock)

    def _reapply(self) -> None:
        if self.lock.active:
            self._lift()
            self._apply()

    def _update_actions(self) -> None:
        self.unlock_action.setEnabled(self.lock.active)
        self.window.lesson_lock_state = self.lock  # read by tests and the status bar

    def _apply(self) -> None:
        for name in CONTROLS:
            kind = self.lock.state_of(name)
            if kind == "open":
                continue
            widgets, actions, dock = self.targets(name)
            if kind == "hidden" and dock is not None:
                widgets, actions = [dock], [dock.toggleViewAction()]
            elif kind == "locked" and dock is not None:
                widgets = [dock.widget()]
            for w in widgets:
                if kind == "hidden":
                    self._hide(w)
                    self._hide(form_label(w))
                else:
                    self._disable(w)
            for a in actions:
                (self._hide if kind == "hidden" else self._disable)(a)

    def _hide(self, item) -> None:
        if item is None:
            return
        shown = item.isVisible() if isinstance(item, QAction) else not item.isHidden()
        if shown:
            item.setVisible(False)
            self._hidden.append(item)

    def _disable(self, item) -> None:
        if item is not None and item.isEnabled():
            item.setEnabled(False)
            self._disabled.append(item)

    def _lift(self) -> None:
        for item in self._hidden:
            item.setVisible(True)
        for item in self._disabled:
            item.setEnabled(True)
        self._hidden, self._disabled = [], []

    def targets(self, name: str) -> tuple[list[QWidget], list[QAction], object]:
        """(widgets, actions, dock) that show control ``name``; empty when not in this window."""
        w, p = self.window, self.window.panels

        def attrs(panel, *names):
            return [getattr(panel, n) for n in names if hasattr(panel, n)] if panel else []

        inp = p.get("input")
        if name == "input_text":
            return attrs(inp, "text_edit"), [], None
        if name == "tokenizer":
            names = ("word_radio", "char_radio", "lowercase_check", "punctuation_check")
            return attrs(inp, *names), [], None
        if name in ("encoding", "targets", "model"):
            return attrs(inp, {"encoding": "encoding_combo"}.get(name, name)), [], None
        if name == "presets":
            actions = [w.presets_menu.menuAction()] if hasattr(w, "presets_menu") else []
            return [], actions + _toolbar_actions(w, getattr(w, "preset_combo", None)), None
        if name == "training":
            box = getattr(p.get("training"), "settings_box", None)
            return ([box.parentWidget()] if box is not None else []), [], None
        if name == "gradient_controls":
            return attrs(p.get("gradients"), "sigma_slider", "sigma_box"), [], None
        dock = w.docks.get({"clipping_lab": "lab", "generate": "generate"}[name])
        return [], [], dock


def form_label(widget) -> QWidget | None:
    """The label a QFormLayout shows beside ``widget`` (or beside the row holding it)."""
    if not isinstance(widget, QWidget) or widget.parentWidget() is None:
        return None
    for form in widget.parentWidget().findChildren(QFormLayout):
        for row in range(form.rowCount()):
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            if field is None or label is None:
                continue
            inner = field.layout()
            held = field.widget() is widget or (inner is not None and inner.indexOf(widget) >= 0)
            if held:
                return label.widget()
    return None


def _toolbar_actions(window, widget) -> list[QAction]:
    """The toolbar actions of ``widget`` and of the label just before it."""
    out = []
    for bar in window.findChildren(QToolBar):
        actions = bar.actions()
        for i, action in enumerate(actions):
            if widget is not None and bar.widgetForAction(action) is widget:
                out.append(action)
                before = bar.widgetForAction(actions[i - 1]) if i else None
                if isinstance(before, QLabel):
                    out.append(actions[i - 1])
    return out


def install_lesson_lock(window) -> LessonLockController:
    """Add View ▸ Lesson lock… / Save as lesson… / Remove lesson lock to ``window`` (once)."""
    if getattr(window, "lesson_lock", None) is not None:
        return window.lesson_lock
    controller = LessonLockController(window)
    window.lesson_lock = controller
    return controller
