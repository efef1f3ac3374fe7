"""Smoke test of the whole main window: type, play, keys, presets, title, settings, files.

QSettings always point into tmp_path, so tests never touch the user's settings.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDockWidget

from rnnviz.engine.spec import Spec
from rnnviz.session import Session
from rnnviz.ui import dialogs
from rnnviz.ui.main_window import MainWindow
from rnnviz.ui.theme import apply_theme, current_theme

HELLO = Spec(name="hello", text="hello", level="char", hidden_size=3, use_unk=False)


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "rnnviz.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def open_window(show_window):
    def make(settings=None, spec=HELLO) -> MainWindow:
        return show_window(MainWindow(Session(spec), settings=settings))

    return make


@pytest.fixture
def window(open_window):
    return open_window()


def focus(qtbot, widget) -> None:
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=1000)


def test_window_composes_the_panels_as_docks(window):
    docks = {d.objectName() for d in window.findChildren(QDockWidget)}
    assert {"input_dock", "timeline_dock"} <= docks
    for dock in window.findChildren(QDockWidget):
        features = dock.features()
        assert features & QDockWidget.DockWidgetFeature.DockWidgetClosable
        assert features & QDockWidget.DockWidgetFeature.DockWidgetMovable
        assert features & QDockWidget.DockWidgetFeature.DockWidgetFloatable
        assert dock.isVisible()
    # the View menu toggles each dock
    toggle = window.docks["input"].toggleViewAction()
    toggle.trigger()
    assert not window.docks["input"].isVisible()
    toggle.trigger()
    assert window.docks["input"].isVisible()
    window.reset_layout_action.trigger()
    assert all(d.isVisible() and not d.isFloating() for d in window.docks.values())


def test_title_and_unsaved_mark(window, qtbot):
    assert window.windowTitle() == "hello — rnnviz"
    input_panel = window.panels["input"]
    input_panel.text_edit.setFocus()
    input_panel.text_edit.moveCursor(input_panel.text_edit.textCursor().MoveOperation.End)
    qtbot.keyClicks(input_panel.text_edit, "!")
    qtbot.waitUntil(lambda: window.state.spec.text == "hello!", timeout=2000)
    assert window.windowTitle() == "hello* — rnnviz"
    window.session.mark_saved("/tmp/lesson.rnnviz.json")
    assert window.windowTitle() == "lesson.rnnviz.json — rnnviz"


def test_status_bar_shows_timestep_token_and_loss(window):
    window.session.set_cursor(2)
    assert window.position_label.text() == "t = 3 / 4 · token 'l'"
    loss = window.state.analysis.trace.loss
    assert window.loss_label.text() == f"loss {loss:.4g}"
    window.session.set_text("")
    assert "empty" in window.message_label.text()
    assert window.position_label.text() == "t = 3 / 4 · token 'l'"  # previous valid state


def test_arrow_home_end_keys_step_when_a_panel_has_focus(window, qtbot):
    target = window.panels["timeline"].play_button  # a non-text widget
    focus(qtbot, target)
    state = window.state
    qtbot.keyClick(target, Qt.Key.Key_Right)
    assert state.cursor == 1
    qtbot.keyClick(target, Qt.Key.Key_Right)
    qtbot.keyClick(target, Qt.Key.Key_Left)
    assert state.cursor == 1
    qtbot.keyClick(target, Qt.Key.Key_End)
    assert state.cursor == 3
    qtbot.keyClick(target, Qt.Key.Key_Home)
    assert state.cursor == 0
    diagram = window.panels["diagram"]  # a QGraphicsView would scroll on →: here it steps
    focus(qtbot, diagram)
    qtbot.keyClick(diagram, Qt.Key.Key_Right)
    assert state.cursor == 1


def test_space_plays_and_the_timer_advances_the_cursor(window, qtbot):
    window.panels["timeline"].speed.setValue(20)
    target = window.panels["input"].chips  # any non-text widget
    target.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    focus(qtbot, target)
    qtbot.keyClick(target, Qt.Key.Key_Space)
    assert window.state.playing
    assert window.play_action.text() == "Pause"
    qtbot.waitUntil(lambda: not window.state.playing, timeout=3000)  # stops at the end
    assert window.state.cursor == 3
    window.play_action.trigger()  # the toolbar button plays too (from the start again)
    assert window.state.playing and window.state.cursor == 0
    qtbot.keyClick(target, Qt.Key.Key_Space)
    assert not window.state.playing


def test_a_text_box_keeps_space_and_arrows_for_typing(window, qtbot):
    edit = window.panels["input"].text_edit
    focus(qtbot, edit)
    edit.moveCursor(edit.textCursor().MoveOperation.End)
    qtbot.keyClick(edit, Qt.Key.Key_Space)
    assert edit.toPlainText() == "hello "  # a space was typed...
    assert not window.state.playing  # ...and playback did not start
    qtbot.keyClick(edit, Qt.Key.Key_Left)
    qtbot.keyClick(edit, Qt.Key.Key_Left)
    assert edit.textCursor().position() == 4  # → and ← move the text cursor
    qtbot.keyClick(edit, Qt.Key.Key_Home)
    assert edit.textCursor().position() == 0
    assert window.state.cursor == 0  # the timestep did not move
    spin = window.panels["input"].model.hidden
    focus(qtbot, spin)
    qtbot.keyClick(spin, Qt.Key.Key_End)
    assert window.state.cursor == 0


def test_a_combo_box_in_a_floating_or_late_dock_keeps_home_and_end(window, qtbot):
    # a combo box does not claim Home/End itself; the key guard must see floating docks
    # (windows of their own) and docks made after the window (the Lesson dock)
    window.session.set_cursor(2)
    dock = window.docks["input"]
    dock.setFloating(True)
    qtbot.waitExposed(dock)
    combo = window.panels["input"].model.activation
    focus(qtbot, combo)
    qtbot.keyClick(combo, Qt.Key.Key_End)
    assert window.state.cursor == 2  # End went to the combo box, not to the timestep
    late = QDockWidget("late", window)
    box = QComboBox(late)
    box.addItems(["a", "b", "c"])
    late.setWidget(box)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, late)
    late.setFloating(True)
    late.show()
    qtbot.waitExposed(late)
    focus(qtbot, box)
    qtbot.keyClick(box, Qt.Key.Key_End)
    assert box.currentText() == "c" and window.state.cursor == 2


def test_a_combo_box_keeps_home_end_but_not_left_right(window, qtbot):
    combo = window.panels["input"].model.activation
    focus(qtbot, combo)
    qtbot.keyClick(combo, Qt.Key.Key_End)  # picks the last activation, as a combo should
    assert window.state.spec.config.activation == combo.itemData(combo.count() - 1)
    assert window.state.cursor == 0
    qtbot.keyClick(combo, Qt.Key.Key_Right)  # a combo has no use for →: the timestep moves
    assert window.state.cursor == 1


def test_presets_menu_loads_every_preset(window):
    from rnnviz import presets

    assert set(window.preset_actions) == set(presets.names())
    name = presets.names()[-1]
    window.session.set_text("hello there")
    window.preset_actions[name].trigger()
    assert window.state.spec == presets.get(name)
    assert not window.state.dirty
    assert window.windowTitle() == f"{presets.get(name).name} — rnnviz"
    assert window.preset_combo.currentData() == name
    about = window.panels["input"].about_text.text()
    assert presets.get(name).description.split("\n")[0][:20] in about


def test_settings_remember_layout_theme_and_recent_files(
    open_window, qtbot, settings, tmp_path, monkeypatch
):
    import pyqtgraph as pg

    plot_colors = {k: pg.getConfigOption(k) for k in ("background", "foreground")}
    window = open_window(settings)
    right = Qt.DockWidgetArea.RightDockWidgetArea
    window.addDockWidget(right, window.docks["input"])  # the user moved a panel
    window.set_theme("dark")
    try:
        assert current_theme() == "dark"
        assert QApplication.instance().palette().window().color().lightness() < 80
        path = tmp_path / "mine.rnnviz.json"
        monkeypatch.setattr(dialogs, "save_session_path", lambda *a: str(path))
        assert window.save_session_as()
        assert path.exists() and window.windowTitle() == "mine.rnnviz.json — rnnviz"
        window.close()
        assert settings.value("theme") == "dark"
        again = open_window(settings)
        assert again.dockWidgetArea(again.docks["input"]) == right  # the layout came back
        assert again.recent_files() == [str(path)]
        assert [a.text() for a in again.recent_menu.actions()] == ["mine.rnnviz.json"]
    finally:  # leave the process as other tests expect it
        apply_theme(QApplication.instance(), "light")
        pg.setConfigOptions(**plot_colors)


def test_open_session_and_a_bad_file(open_window, qtbot, settings, tmp_path, monkeypatch):
    from rnnviz.io.session_file import save_session

    good = tmp_path / "words.rnnviz.json"
    save_session(good, Spec(name="words", text="the cat sat on the mat", hidden_size=4))
    window = open_window(settings)
    monkeypatch.setattr(dialogs, "open_session_path", lambda *a: str(good))
    window.open_action.trigger()
    assert window.state.spec.text == "the cat sat on the mat"
    assert window.state.path == str(good) and not window.state.dirty
    bad = tmp_path / "bad.rnnviz.json"
    bad.write_text('{"format": "rnnviz-session", "version": 1, "input": {"text": ')
    errors = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: errors.append(text))
    assert not window.open_path(str(bad))
    assert len(errors) == 1 and "bad.rnnviz.json" in errors[0]
    assert window.state.spec.text == "the cat sat on the mat"  # nothing changed
    assert window.state.error is None


def test_a_missing_panel_module_leaves_the_window_working(open_window, qtbot, monkeypatch):
    import rnnviz.ui.main_window as mw

    panels = (
        *mw.PANELS,
        ("no_such_panel", "Nothing", "Nothing", "nothing", Qt.DockWidgetArea.RightDockWidgetArea),
    )
    monkeypatch.setattr(mw, "PANELS", panels)
    window = open_window()
    assert "nothing" not in window.docks and "input" in window.docks


def test_unsaved_changes_are_not_thrown_away_silently(qtbot, monkeypatch):
    window = MainWindow(Session(HELLO), confirm_close=True)
    qtbot.addWidget(window)
    window.session.set_text("hello hello")
    answers = iter(["cancel", "discard"])
    asked = []

    def ask(parent, name):
        asked.append(name)
        return next(answers)

    monkeypatch.setattr(dialogs, "ask_save_changes", ask)
    combo = window.preset_combo
    combo.setCurrentIndex(combo.findData("ai-planet"))
    combo.activated.emit(combo.currentIndex())  # chosen in the toolbar...
    assert window.state.spec.text == "hello hello"  # ...cancelled: nothing lost
    assert combo.currentIndex() == -1  # and the picker does not claim the other example
    window.load_preset("ai-planet")
    assert window.state.spec.name.startswith("AI Planet") and asked == ["hello", "hello"]
    window.confirm_close = False  # let qtbot close it


LAUNCH = """
import runpy, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
app = QApplication(["rnnviz"])
from rnnviz.ui import dialogs
dialogs.show_error = lambda parent, title, text: print("BOX", title, "|", " ".join(text.split()))
def report():
    window = next(w for w in app.topLevelWidgets() if w.isVisible() and w.windowTitle())
    print("TITLE", window.windowTitle())
    window.close()
QTimer.singleShot(200, report)
sys.argv = ["app.py", sys.argv[1]]
runpy.run_path("app.py", run_name="__main__")
"""


def test_app_py_survives_a_bad_session_file(tmp_path):
    import os
    import subprocess
    import sys

    bad = tmp_path / "broken.rnnviz.json"
    bad.write_text('{"format": "rnnviz-session", "version": 1, "input": {"text": ')
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH, str(bad)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "BOX Could not open the session | " in done.stdout
    assert "broken.rnnviz.json" in done.stdout and "Showing the default example" in done.stdout
    assert "TITLE AI Planet: one step by hand — rnnviz" in done.stdout
    assert (tmp_path / "rnnviz" / "rnnviz.conf").exists()  # settings went to the temp home


def test_sentiment_learns_negation_in_the_open_window_with_the_real_buttons(open_window, qtbot):
    """Issue 4: the preset trains from the Training dock of the main window, and afterwards
    the window classifies every training sentence and "not good" as negative."""
    import numpy as np

    from rnnviz import presets
    from rnnviz.engine.trace import run

    window = open_window(spec=presets.get("sentiment"))
    state = window.state
    window.docks["training"].raise_()
    panel = window.panels["training"]
    qtbot.waitUntil(panel.train_button.isVisible, timeout=2000)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(state.history) > 0, timeout=10_000)
    qtbot.waitUntil(lambda: state.training == "idle", timeout=30_000)
    built = state.analysis.built
    names = built.output_names
    for example, sample in zip(state.spec.dataset, built.samples, strict=True):
        ys = run(state.current_params, sample, built.config).ys
        assert names[int(np.argmax(ys[-1]))] == example.label, example.text
    window.panels["input"].text_edit.setPlainText("this movie is not good")
    qtbot.waitUntil(lambda: state.spec.text == "this movie is not good", timeout=2000)
    assert names[int(np.argmax(state.analysis.trace.ys[-1]))] == "negative"
