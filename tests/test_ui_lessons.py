"""Lessons in the real main window: every built-in lesson (and the documented example)
runs start to finish through the real widgets (tests/lesson_driver.py), with each step's
set-up checked; Back/Restart, wrong answers, broken files and the empty state."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lesson_driver import LessonDriver
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from rnnviz import presets
from rnnviz.lessons import facts as F
from rnnviz.lessons import library, load
from rnnviz.session import Session
from rnnviz.ui import dialogs
from rnnviz.ui.lesson_panel import EMPTY, FINISHED
from rnnviz.ui.main_window import PANELS, MainWindow

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "example-lesson.json"
BAD = Path(__file__).parent / "data" / "lessons" / "bad"
# every built-in lesson (picked up from rnnviz/lessons/builtin automatically) and the example
LESSONS = [pytest.param(e.load, id=e.filename) for e in library.entries()] + [
    pytest.param(lambda: load(EXAMPLE), id="example-lesson.json")
]


@pytest.fixture
def window(show_window):
    window = show_window(MainWindow(Session(presets.get("hello"))))
    yield window
    for name in ("training", "lab"):  # no worker thread outlives the test
        panel = window.panels.get(name)
        if panel is not None and hasattr(panel, "shutdown"):
            panel.shutdown()


@pytest.fixture
def errors(monkeypatch):
    shown = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: shown.append(text))
    return shown


@pytest.mark.parametrize("make", LESSONS)
def test_a_lesson_runs_start_to_finish_through_the_widgets(qtbot, window, make):
    lesson = make()
    assert window.lessons.start(lesson)
    driver = LessonDriver(qtbot, window)
    assert window.lessons.dock.isVisible() and driver.panel.stack.currentIndex() == 1
    for i in range(len(lesson)):
        driver.run_step(i)
    assert driver.panel.run is None and driver.panel.empty_label.text() == FINISHED


def test_the_panel_names_match_the_main_window():
    assert tuple(name for _m, _c, _t, name, _a in PANELS) == F.PANEL_NAMES


def test_the_lessons_menu_lists_the_builtins_and_starts_one(window):
    menu = window.lessons.menu
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    entries = library.entries()
    for entry, text in zip(entries, texts, strict=False):
        assert text == f"{entry.number}. {entry.load().title}"
    assert texts[len(entries) :] == ["Open lesson file…", "Restart lesson", "Close lesson"]
    assert not window.lessons.restart_action.isEnabled()
    if entries:
        menu.actions()[0].trigger()
        assert window.lessons.panel.run.lesson.source == entries[0].filename
        assert window.lessons.restart_action.isEnabled()


def test_the_empty_state(window):
    panel = window.lessons.panel
    assert panel.run is None and panel.stack.currentIndex() == 0
    assert panel.empty_label.text() == EMPTY == "Choose a lesson from the Lessons menu."
    window.lessons.start(load(EXAMPLE))
    window.lessons.close_action.trigger()
    assert panel.stack.currentIndex() == 0 and panel.empty_label.text() == EMPTY
    assert not window.lessons.dock.isVisible()


def test_back_and_restart_apply_the_setups_again(qtbot, window):
    lessons, state = window.lessons, window.state
    lessons.start(load(EXAMPLE))
    driver = LessonDriver(qtbot, window)
    driver.run_step(0)  # presses → to t = 3, then Next
    assert lessons.panel.run.index == 1 and state.cursor == 0 and state.selected_unit == 0
    driver.click(lessons.panel.next_button)
    driver.do_phase("backward")
    window.session.load_preset("hello")
    driver.click(lessons.panel.back_button)  # step 2: cursor 0, unit 0 again
    driver.check_setup(lessons.panel.run.step, 1)
    driver.click(lessons.panel.restart_button)  # step 1: the preset is loaded again
    driver.check_setup(lessons.panel.run.step, 0)
    assert F.fact(state, "preset") == "ai-planet" and state.phase == "forward"
    assert not lessons.panel.back_button.isEnabled()
    assert "Waiting" in lessons.panel.task_status.text()  # a new visit: the task again


def test_a_wrong_answer_shows_a_cross_and_the_hint(qtbot, window):
    lessons = window.lessons
    lessons.start(load(EXAMPLE))
    driver = LessonDriver(qtbot, window)
    for _ in range(3):
        driver.click(lessons.panel.next_button)
    box = lessons.panel.self_check
    driver.type_into(box.answer_edit, "0.9")
    driver.click(box.check_button)
    assert "✗ Not quite" in box.feedback.text() and "Show the math" in box.feedback.text()
    assert not box.explain.isVisible()
    driver.type_into(box.answer_edit, "nonsense")
    driver.click(box.check_button)
    assert "not a number" in box.feedback.text()
    driver.click(box.show_button)
    assert "0.4462" in box.feedback.text() and box.explain.isVisible()


def test_a_broken_file_leaves_the_lesson_and_the_session_alone(qtbot, window, errors, monkeypatch):
    lessons, state = window.lessons, window.state
    lessons.start(load(EXAMPLE))
    window.session.set_cursor(2)
    before = (lessons.panel.run, lessons.panel.run.index, state.spec, state.analysis, state.cursor)
    for bad in (BAD / "unknown_fact.json", BAD / "missing_comma.json"):
        monkeypatch.setattr(dialogs, "open_lesson_path", lambda parent, d="", p=bad: str(p))
        lessons.open_action.trigger()
        assert errors and str(bad) in errors[-1] and bad.name in errors[-1]
        after = (lessons.panel.run, lessons.panel.run.index, state.spec, state.analysis)
        assert after == before[:4] and state.cursor == before[4]
    assert 'unknown fact "cursr"' in errors[0]


def test_a_lesson_whose_setup_cannot_run_is_refused_before_it_starts(tmp_path, window, errors):
    d = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    d["steps"][2]["setup"] = {"preset": "sentiment", "input": {"label": "neutral"}}
    path = tmp_path / "refused.json"
    path.write_text(json.dumps(d), encoding="utf-8")
    spec = window.state.spec
    assert not window.lessons.open_file(str(path))
    assert "refused.json, step 3" in errors[0] and "setup.input" in errors[0]
    assert window.lessons.panel.run is None and window.state.spec is spec


def test_highlight_frames_follow_the_step_and_ui_facts_read_the_widgets(qtbot, window):
    lessons = window.lessons
    lessons.start(load(EXAMPLE))
    assert set(lessons.frames) == {"math"} and lessons.frames["math"].isVisible()
    assert "math" in lessons.visible_docks() and "diagram" in lessons.visible_docks()
    LessonDriver(qtbot, window).click(lessons.panel.next_button)
    LessonDriver(qtbot, window).click(lessons.panel.next_button)  # step 3 shows the diagram
    assert set(lessons.frames) == {"diagram"}
    lab = window.panels["lab"]
    lab.threshold_spin.setValue(2.5)
    facts = lessons.ui_facts()
    assert facts["lab_threshold"] == 2.5 and facts["lab_steps_run"] == 0
    assert facts["lab_diverged"] == []


def test_a_running_lesson_fits_a_1280_px_window(qtbot, window):
    # the Lesson dock takes a column of its own: the other docks must make room for it,
    # in the app's own font (make_app raises it to at least 10 pt)
    app = QApplication.instance()
    font = app.font()
    bigger = QFont(font)
    bigger.setPointSizeF(max(10.0, font.pointSizeF()))
    app.setFont(bigger)
    try:
        assert window.lessons.start(library.get("05-vanishing-and-exploding.json"))
        window.lessons.panel.go_to(1)  # backward phase, the unit box shown in Show the math
        qtbot.wait(50)
        assert window.width() == 1280 and window.minimumSizeHint().width() <= 1280
    finally:
        app.setFont(font)
