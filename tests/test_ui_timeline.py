"""Timeline panel: slider <-> cursor both ways, buttons, playback that stops or loops."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from rnnviz.engine.spec import Spec
from rnnviz.session import Session
from rnnviz.ui.timeline_panel import TimelinePanel


@pytest.fixture
def panel(qtbot):
    session = Session(Spec(name="hello", text="hello", level="char", hidden_size=3))
    panel = TimelinePanel(session)
    qtbot.addWidget(panel)
    panel.resize(900, 60)
    panel.show()
    return panel


def test_slider_spans_the_timesteps_and_moves_the_cursor(panel):
    state = panel.state
    assert (panel.slider.minimum(), panel.slider.maximum()) == (0, state.analysis.length - 1)
    panel.slider.setValue(2)
    assert state.cursor == 2
    assert panel.position_label.text().startswith("t = 3 / 4")  # labelled 1..T
    assert "“l”" in panel.position_label.text()


def test_cursor_moves_the_slider(panel):
    panel.session.set_cursor(3)
    assert panel.slider.value() == 3
    assert "t = 4 / 4" in panel.position_label.text()
    panel.session.set_cursor(0)
    assert panel.slider.value() == 0


def test_dragging_the_slider_with_the_mouse_moves_the_cursor(panel, qtbot):
    slider = panel.slider
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=slider.rect().center())
    # a click on the groove pages by one step towards the click
    assert panel.state.cursor == slider.value() == 1


def test_buttons_step_and_jump(panel, qtbot):
    state = panel.state
    qtbot.mouseClick(panel.forward_button, Qt.MouseButton.LeftButton)
    assert state.cursor == 1
    qtbot.mouseClick(panel.last_button, Qt.MouseButton.LeftButton)
    assert state.cursor == 3
    qtbot.mouseClick(panel.back_button, Qt.MouseButton.LeftButton)
    assert state.cursor == 2
    qtbot.mouseClick(panel.first_button, Qt.MouseButton.LeftButton)
    assert state.cursor == 0
    assert panel.slider.value() == 0


def test_play_walks_to_the_end_and_stops(panel, qtbot):
    panel.speed.setValue(20)  # 50 ms per step
    assert panel._timer.interval() == 50
    seen = []
    panel.state.events.cursor.connect(lambda t: seen.append(t))
    qtbot.mouseClick(panel.play_button, Qt.MouseButton.LeftButton)
    assert panel.state.playing
    qtbot.waitUntil(lambda: not panel.state.playing, timeout=3000)
    assert seen == [1, 2, 3]
    assert panel.state.cursor == 3
    assert not panel._timer.isActive()


def test_play_at_the_end_starts_from_the_beginning(panel, qtbot):
    panel.speed.setValue(20)
    panel.session.last()
    panel.session.set_playing(True)
    assert panel.state.cursor == 0
    qtbot.waitUntil(lambda: not panel.state.playing, timeout=3000)
    assert panel.state.cursor == 3


def test_loop_wraps_around_until_paused(panel, qtbot):
    panel.speed.setValue(20)
    panel.loop.setChecked(True)
    seen = []
    panel.state.events.cursor.connect(lambda t: seen.append(t))
    panel.toggle_playing()
    qtbot.waitUntil(lambda: seen[-3:] == [3, 0, 1] if len(seen) >= 5 else False, timeout=3000)
    panel.toggle_playing()
    assert not panel.state.playing and not panel._timer.isActive()
    stopped_at = panel.state.cursor
    qtbot.wait(150)
    assert panel.state.cursor == stopped_at


def test_new_text_resizes_the_slider(panel):
    panel.session.set_text("hello world")
    assert panel.slider.maximum() == panel.state.analysis.length - 1 == 9
