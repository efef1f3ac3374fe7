"""Lesson lock: the Qt-free spec, the file round trip, and the locked window."""

from __future__ import annotations

import json

import pytest

from rnnviz.io import session_network, session_schema, session_writer
from rnnviz.lesson_lock import (
    CONTROLS,
    NO_LOCK,
    LessonLock,
    check_lock,
    lock_from_view,
    parse_lock,
    view_with_lock,
)

# -- the spec (no Qt) ---------------------------------------------------------------


def test_a_lock_round_trips_through_its_json_value():
    lock = LessonLock(hidden={"model", "training"}, locked={"input_text", "tokenizer"})
    value = lock.to_dict()
    assert value == {"hidden": ["model", "training"], "locked": ["input_text", "tokenizer"]}
    assert parse_lock(json.loads(json.dumps(value))) == lock
    assert lock.state_of("model") == "hidden"
    assert lock.state_of("tokenizer") == "locked"
    assert lock.state_of("encoding") == "open"


def test_hidden_wins_over_locked_and_no_lock_is_inactive():
    lock = LessonLock(hidden={"model"}, locked={"model", "encoding"})
    assert lock.locked == {"encoding"}
    assert not NO_LOCK.active and lock.active
    assert view_with_lock({"cursor": 2, "lock": {"hidden": ["model"]}}, NO_LOCK) == {"cursor": 2}
    assert view_with_lock({"cursor": 2}, lock)["lock"] == lock.to_dict()
    assert lock_from_view({"cursor": 1}) == NO_LOCK
    assert lock_from_view(None) == NO_LOCK


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "expected {"),
        ({"hidden": "model"}, "state.view.lock.hidden: expected a list"),
        ({"hidden": ["modle"]}, "unknown control 'modle'"),
        ({"locked": [3]}, "state.view.lock.locked item 1: expected a control name"),
        ({"hiden": []}, "state.view.lock.hiden: unknown key"),
    ],
)
def test_bad_locks_are_refused_with_a_message_saying_where(value, message):
    with pytest.raises(ValueError, match=None) as info:
        parse_lock(value)
    assert message in str(info.value)
    if "unknown control" in message:
        assert "known: " + ", ".join(CONTROLS) in str(info.value)


def test_check_lock_gives_the_plain_value_for_the_schema():
    assert check_lock({"locked": ["model", "input_text"]}) == {
        "hidden": [],
        "locked": ["input_text", "model"],
    }


# -- the session file ----------------------------------------------------------------


@pytest.fixture
def lock_schema(monkeypatch):
    """The schema change asked of the lead, applied here until it lands (then a no-op).

    session_schema.VIEW_KEYS gains "lock", session_network._read_view checks it with
    lesson_lock.check_lock, and session_writer._plain writes a dict as a table.
    """
    if "lock" in session_schema.VIEW_KEYS:
        return
    read_view, plain = session_network._read_view, session_writer._plain

    def _read_view(v, built):
        lock = v.pop("lock", None) if isinstance(v, dict) else None
        out = read_view(v, built)
        if lock is not None:
            out["lock"] = check_lock(lock)
        return out

    def _plain(v, path):
        if isinstance(v, dict):
            return {k: _plain(v[k], f"{path}.{k}") for k in sorted(v)}
        return plain(v, path)

    monkeypatch.setattr(session_network, "_read_view", _read_view)
    monkeypatch.setattr(session_writer, "_plain", _plain)


def test_a_lesson_file_keeps_its_lock(tmp_path, lock_schema):
    from rnnviz.engine.spec import Spec
    from rnnviz.io.session_file import SessionFile, load_session, save_session

    lock = LessonLock(hidden={"training"}, locked={"input_text"})
    path = tmp_path / "lesson.rnnviz.json"
    spec = Spec(name="hello", text="hello", level="char", hidden_size=3, use_unk=False)
    save_session(path, SessionFile(spec, view=view_with_lock({"cursor": 1}, lock)))
    loaded = load_session(path)
    assert lock_from_view(loaded.view) == lock
    assert loaded.view["cursor"] == 1
    doc = json.loads(path.read_text())
    assert doc["state"]["view"]["lock"] == {"hidden": ["training"], "locked": ["input_text"]}
    doc["state"]["view"]["lock"] = {"hidden": ["nope"]}
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=r"state.view.lock.hidden item 1: unknown control"):
        load_session(path)


# -- the window ------------------------------------------------------------------------


HELLO_TEXT = "hello"


def make_window(qtbot):
    from PySide6.QtWidgets import QApplication

    from rnnviz.engine.spec import Spec
    from rnnviz.session import Session
    from rnnviz.ui.lesson_lock_ui import install_lesson_lock
    from rnnviz.ui.main_window import MainWindow

    spec = Spec(name="hello", text=HELLO_TEXT, level="char", hidden_size=3, use_unk=False)
    window = MainWindow(Session(spec))
    qtbot.addWidget(window)
    install_lesson_lock(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    return window


def shown(widget) -> bool:
    return widget.isVisibleTo(widget.window())


def test_a_saved_lesson_reopens_with_exactly_the_chosen_controls_hidden_and_locked(
    qtbot, tmp_path, monkeypatch, lock_schema
):
    from PySide6.QtCore import Qt

    from rnnviz.ui import dialogs, lesson_lock_ui

    teacher = make_window(qtbot)
    inp = teacher.panels["input"]
    chosen = LessonLock(hidden={"model", "clipping_lab"}, locked={"input_text", "tokenizer"})
    monkeypatch.setattr(lesson_lock_ui, "choose_lock", lambda parent, current: chosen)
    teacher.lesson_lock.lock_action.trigger()
    assert teacher.lesson_lock.lock == chosen
    path = str(tmp_path / "lesson.rnnviz.json")
    monkeypatch.setattr(dialogs, "save_session_path", lambda parent, suggested: path)
    teacher.lesson_lock.save_action.trigger()
    assert teacher.state.path == path and not teacher.state.dirty

    student = make_window(qtbot)
    assert student.open_path(path)
    lock, inp = student.lesson_lock, student.panels["input"]
    assert lock.lock == chosen
    # hidden: model settings and the clipping lab (its dock and its View toggle)
    assert inp.model.isHidden()
    assert student.docks["lab"].isHidden()
    assert not student.docks["lab"].toggleViewAction().isVisible()
    # locked: shown but disabled
    for w in (inp.text_edit, inp.word_radio, inp.char_radio, inp.lowercase_check):
        assert shown(w) and not w.isEnabled()
    # every other control is untouched
    assert inp.encoding_combo.isEnabled() and shown(inp.encoding_combo)
    assert student.preset_combo.isEnabled()
    assert student.docks["training"].toggleViewAction().isVisible()
    # a student cannot change them
    before = student.state.spec
    qtbot.mouseClick(inp.word_radio, Qt.MouseButton.LeftButton)
    inp.text_edit.setFocus()
    qtbot.keyClicks(inp.text_edit, "xyz")
    qtbot.wait(50)
    assert student.state.spec == before
    assert inp.text_edit.toPlainText() == HELLO_TEXT
    # ...but can still step through the timesteps
    student.session.step(1)
    assert student.state.cursor == 1


def test_the_lock_holds_when_a_panel_re_enables_its_widgets(qtbot):
    window = make_window(qtbot)
    inp = window.panels["input"]
    window.lesson_lock.set_lock(LessonLock(locked={"encoding", "presets"}, hidden={"tokenizer"}))
    window.session.set_text("hello there")  # the input panel refreshes its widgets
    assert not inp.encoding_combo.isEnabled()
    assert not window.preset_combo.isEnabled()
    assert not window.presets_menu.menuAction().isEnabled()
    assert inp.word_radio.isHidden() and inp.punctuation_check.isHidden()
    window.lesson_lock.unlock_action.trigger()  # View ▸ Remove lesson lock
    assert inp.encoding_combo.isEnabled() and window.preset_combo.isEnabled()
    assert not inp.word_radio.isHidden() and not inp.punctuation_check.isHidden()
    assert window.presets_menu.menuAction().isEnabled()


def test_every_control_name_reaches_a_widget_and_hides_and_comes_back(qtbot):
    window = make_window(qtbot)
    lock = window.lesson_lock
    targets = {name: lock.targets(name) for name in CONTROLS}
    for name, (widgets, actions, dock) in targets.items():
        assert widgets or actions or dock is not None, name
    lock.set_lock(LessonLock(hidden=set(CONTROLS)))
    for name, (widgets, actions, dock) in targets.items():
        assert all(w.isHidden() for w in widgets), name
        assert all(not a.isVisible() for a in actions), name
        assert dock is None or dock.isHidden(), name
    # the toolbar's combo goes too (a toolbar lays out its widgets on the next event loop)
    qtbot.waitUntil(lambda: not window.preset_combo.isVisibleTo(window), timeout=1000)
    lock.set_lock(NO_LOCK)
    for name, (widgets, actions, dock) in targets.items():
        assert all(not w.isHidden() for w in widgets), name
        assert all(a.isVisible() for a in actions), name
        assert dock is None or not dock.isHidden(), name


def test_the_dialog_reads_back_the_chosen_lock(qtbot):
    from rnnviz.ui.lesson_lock_ui import LessonLockDialog

    dialog = LessonLockDialog(None, LessonLock(locked={"model"}))
    qtbot.addWidget(dialog)
    assert dialog.combos["model"].currentData() == "locked"
    dialog.combos["training"].setCurrentIndex(2)  # hidden
    dialog.combos["model"].setCurrentIndex(0)  # open
    assert dialog.lock() == LessonLock(hidden={"training"})
