"""Math panel: follows cursor, phase, unit and notation; writes them; copies its text.
In the backward phase it shows the backward step with the engine's gradients."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from rnnviz import presets
from rnnviz.engine.spec import Spec
from rnnviz.mathtext import fmt
from rnnviz.session import Session
from rnnviz.ui.colors import diverging_rgb
from rnnviz.ui.math_panel import MathPanel, chip_color


def make(qtbot, spec, width=500, height=700) -> MathPanel:
    panel = MathPanel(Session(spec))
    qtbot.addWidget(panel)
    panel.resize(width, height)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


@pytest.fixture
def ai_planet(qtbot):
    return make(qtbot, presets.get("ai-planet"))


@pytest.fixture
def big(qtbot):
    return make(qtbot, Spec(text="the cat sat on the mat and the dog sat", hidden_size=16))


def shown(panel: MathPanel) -> str:
    return panel.browser.toPlainText()


def test_ai_planet_t1_shows_the_correct_numbers(ai_planet):
    text = shown(ai_planet)
    assert "Timestep t = 1 of 9" in text
    for value in ("0.48", "0.76", "0.44624361", "0.64107696", "0.58157181", "0.71075134"):
        assert value in text
    assert "0.61614087" not in text


def test_the_panel_follows_the_cursor(ai_planet):
    tr = ai_planet.state.analysis.trace
    ai_planet.session.set_cursor(4)
    text = shown(ai_planet)
    assert "Timestep t = 5 of 9" in text and "“free”" in text
    assert fmt(tr.hs[4, 0]) in text and fmt(tr.zs[4, 1]) in text
    ai_planet.session.last()
    assert "→ target “positive”" in shown(ai_planet)


def test_notation_combo_calls_set_notation_and_follows_the_state(ai_planet):
    combo, state = ai_planet.notation_combo, ai_planet.state
    combo.setCurrentIndex(combo.findData("ax"))
    assert state.notation == "ax"
    assert "W_aa" in ai_planet.text() and "W_hh" not in ai_planet.text()
    assert "a<1>" in shown(ai_planet)  # a^<1> rendered with a superscript
    ai_planet.session.set_notation("uvw")
    assert combo.currentData() == "uvw"
    assert "U · x" in ai_planet.text()


def test_copy_button_and_ctrl_c_put_the_worked_step_on_the_clipboard(ai_planet, qtbot):
    clipboard = QApplication.clipboard()
    clipboard.setText("")
    qtbot.mouseClick(ai_planet.copy_button, Qt.MouseButton.LeftButton)
    copied = clipboard.text()
    assert copied == ai_planet.text()
    assert "0.44624361" in copied and "0.4462436102487796" in copied  # shown and full precision
    assert "⎡0.1 0.2⎤" in copied
    ai_planet.session.set_cursor(1)
    clipboard.setText("")
    ai_planet.browser.setFocus()
    qtbot.keyClick(ai_planet.browser, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert "Timestep t = 2 of 9" in clipboard.text()
    clipboard.setText("")
    qtbot.keyClick(ai_planet.notation_combo, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert "Timestep t = 2 of 9" in clipboard.text()


def test_numbers_have_full_precision_tooltips(ai_planet):
    browser = ai_planet.browser
    cursor = browser.document().find("0.44624361")
    assert not cursor.isNull()
    cursor.setPosition(cursor.selectionStart() + 2)
    pos = browser.cursorRect(cursor).center()
    assert browser.tip_at(pos) == "0.4462436102487796"


def test_unit_box_only_for_large_networks(ai_planet, big):
    assert not ai_planet.unit_spin.isVisibleTo(ai_planet)
    assert big.unit_spin.isVisibleTo(big)
    assert (big.unit_spin.minimum(), big.unit_spin.maximum()) == (1, 16)


def test_selecting_a_unit_changes_the_row_shown(big):
    tr = big.state.analysis.trace
    big.session.set_cursor(2)
    assert "row 1 of W_hh" in big.text()
    big.unit_spin.setValue(5)  # widget -> state
    assert big.state.selected_unit == 4
    text = big.text()
    assert "row 5 of W_hh" in text and "row 1 of W_hh" not in text
    assert f"tanh({fmt(tr.zs[2, 4], 5)}) = {fmt(tr.hs[2, 4], 5)}" in text
    big.session.set_selected_unit(10)  # state -> widget
    assert big.unit_spin.value() == 11 and "row 11 of Whh" in shown(big)


def test_a_new_analysis_redraws_the_text(qtbot):
    panel = make(qtbot, presets.get("hello"))
    assert "Timestep t = 1 of 4" in shown(panel)
    panel.session.set_text("hell")
    assert panel.state.error is None and panel.state.analysis.length == 3
    assert "Timestep t = 1 of 3" in shown(panel)


@pytest.mark.parametrize("name", ["hello", "ai-planet"])
def test_nothing_is_clipped_at_500_px(qtbot, name):
    panel = make(qtbot, presets.get(name), width=500)
    for t in range(panel.state.analysis.length):
        panel.session.set_cursor(t)
        assert panel.browser.horizontalScrollBar().maximum() == 0, t
    assert panel.worked.full  # the small tutorial networks still get full matrices


def test_a_wide_panel_shows_full_matrices_where_a_narrow_one_cannot(qtbot):
    narrow = make(qtbot, presets.get("harry-potter"), width=320)
    wide = make(qtbot, presets.get("harry-potter"), width=1000)
    assert not narrow.worked.full and wide.worked.full
    assert narrow.browser.horizontalScrollBar().maximum() == 0


def test_hidden_values_carry_the_shared_colour_map():
    bg, fg = chip_color(0.9)
    assert bg == "#{:02x}{:02x}{:02x}".format(*(int(c) for c in diverging_rgb(0.9, 1.0)))
    assert fg == "#ffffff"  # dark red behind: white text
    assert chip_color(0.0)[1] == "#000000"


def test_a_hidden_panel_catches_up_when_shown(ai_planet):
    ai_planet.hide()
    ai_planet.session.set_cursor(6)
    assert "Timestep t = 7 of 9" in ai_planet.text()  # the copy is never stale
    ai_planet.show()
    assert "Timestep t = 7 of 9" in shown(ai_planet)


# -- the backward pass (issue 4) ---------------------------------------------------------------
def test_backward_phase_shows_the_backward_step_with_the_engines_numbers(ai_planet):
    tr, session = ai_planet.state.analysis.trace, ai_planet.session
    session.last()
    session.set_phase("backward")  # state -> widget
    assert ai_planet.phase_combo.currentData() == "backward"
    text = shown(ai_planet)
    assert "Backward pass, timestep t = 9 of 9" in text and "Timestep t = 9" not in text
    d = ai_planet.worked.digits
    for v in (*tr.dlogits[8], *tr.dh[8], *tr.dz[8], *tr.fprime[8]):
        assert fmt(v, d) in text
    assert "f′(z9) = 1 − h9² (tanh)" in text  # subscripts rendered as HTML
    session.set_cursor(3)
    text = shown(ai_planet)
    assert "Backward pass, timestep t = 4 of 9" in text and "is not scored" in text
    assert all(fmt(v, d) in text for v in tr.dh_carried[3])
    assert "Backward pass, timestep t = 4 of 9" in ai_planet.text()  # the copy follows


def test_phase_combo_calls_set_phase(ai_planet):
    combo, state = ai_planet.phase_combo, ai_planet.state
    combo.setCurrentIndex(combo.findData("backward"))
    assert state.phase == "backward" and ai_planet.worked.phase == "backward"
    combo.setCurrentIndex(combo.findData("forward"))
    assert state.phase == "forward" and "Timestep t = 1 of 9" in shown(ai_planet)


def test_notation_switch_works_in_the_backward_phase(ai_planet):
    session = ai_planet.session
    session.set_phase("backward")
    session.set_notation("uvw")
    assert "Wᵀ·∂L/∂z" in ai_planet.text() and "W_hh" not in ai_planet.text()
    assert "∂L/∂V += " in ai_planet.text()
    ai_planet.notation_combo.setCurrentIndex(ai_planet.notation_combo.findData("ax"))
    assert "W_aaᵀ" in ai_planet.text() and "∂L/∂a^<1>" in ai_planet.text()


def test_backward_rows_follow_the_unit_box(big):
    tr = big.state.analysis.trace
    big.session.set_phase("backward")
    big.session.set_cursor(2)
    big.unit_spin.setValue(5)
    text = big.text()
    assert f"∂L/∂z_3[5] = {fmt(tr.fprime[2, 4], 5)} · " in text and "row 5:" in text


@pytest.mark.parametrize("name", ["hello", "ai-planet"])
def test_backward_text_is_not_clipped_at_500_px(qtbot, name):
    panel = make(qtbot, presets.get(name), width=500)
    panel.session.set_phase("backward")
    for t in range(panel.state.analysis.length):
        panel.session.set_cursor(t)
        assert panel.browser.horizontalScrollBar().maximum() == 0, t
    assert panel.worked.full
