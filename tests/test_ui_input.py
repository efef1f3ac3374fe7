"""Input panel: typing re-runs the network (debounced), tokens as chips, bad input survives.

Every refused change must leave the app alive, say why inline, keep what the
user typed in the text box, and keep showing the previous valid analysis.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from rnnviz import presets
from rnnviz.engine.spec import Spec
from rnnviz.session import Session
from rnnviz.ui.input_panel import ExampleNotes, InputPanel


def make_panel(qtbot, spec: Spec) -> InputPanel:
    panel = InputPanel(Session(spec))
    qtbot.addWidget(panel)
    panel.resize(380, 900)
    panel.show()
    return panel


@pytest.fixture
def hello(qtbot):
    return make_panel(
        qtbot, Spec(name="hello", text="hello", level="char", hidden_size=3, use_unk=False)
    )


@pytest.fixture
def planet(qtbot):
    return make_panel(qtbot, presets.get("ai-planet"))


def chip_texts(panel) -> list[str]:
    return [c.text() for c in panel.chips.chips()]


def retype(panel, qtbot, text: str) -> None:
    panel.text_edit.selectAll()
    qtbot.keyClick(panel.text_edit, Qt.Key.Key_Backspace)
    for i, line in enumerate(text.split("\n")):  # QTest cannot type "\n": press Return
        if i:
            qtbot.keyClick(panel.text_edit, Qt.Key.Key_Return)
        qtbot.keyClicks(panel.text_edit, line)


def test_typing_updates_tokens_chips_and_analysis_after_the_debounce(planet, qtbot):
    state = planet.state
    before = state.analysis
    retype(planet, qtbot, "AI are free")
    assert state.analysis is before  # debounced: nothing re-ran while typing
    qtbot.waitUntil(lambda: state.spec.text == "AI are free", timeout=2000)
    assert state.analysis.built.tokens == ("AI", "are", "free")
    assert state.analysis.trace.hs.shape == (3, 2)
    assert list(state.analysis.built.sample.ids) == [1, 4, 5]
    texts = chip_texts(planet)
    assert len(texts) == 3 and "AI" in texts[0] and "1" in texts[0] and "free" in texts[2]
    assert "3 input tokens" in planet.tokens_title.text()
    assert state.dirty


def test_a_burst_of_keys_runs_the_network_once(hello, qtbot):
    runs = []
    hello.state.events.analysis.connect(lambda a: runs.append(a))
    hello.text_edit.setFocus()
    hello.text_edit.moveCursor(hello.text_edit.textCursor().MoveOperation.End)
    qtbot.keyClicks(hello.text_edit, " world")
    qtbot.waitUntil(lambda: hello.state.spec.text == "hello world", timeout=2000)
    qtbot.wait(200)
    assert len(runs) == 1
    assert hello.state.analysis.built.tokens == tuple("hello worl")  # next-token: T + 1 chars
    assert any("␣" in t for t in chip_texts(hello))  # the space is visible


def test_clicking_a_chip_moves_the_cursor_and_the_cursor_highlights_a_chip(planet, qtbot):
    chips = planet.chips.chips()
    qtbot.mouseClick(chips[4], Qt.MouseButton.LeftButton)
    assert planet.state.cursor == 4
    assert chips[4].property("current") and not chips[0].property("current")
    planet.session.set_cursor(1)
    assert chips[1].property("current") and not chips[4].property("current")


def test_empty_text_is_refused_with_the_previous_state_shown(planet, qtbot):
    before = planet.state.analysis
    retype(planet, qtbot, "")
    qtbot.waitUntil(lambda: planet.state.error is not None, timeout=2000)
    assert planet.state.analysis is before
    assert planet.text_edit.toPlainText() == ""  # what the user typed stays
    message = planet.messages.error_label
    assert message.isVisible() and "empty" in message.text()
    assert "Showing the last valid input: “AI Planet Bootcamps" in message.text()
    assert len(planet.chips.chips()) == 9  # still the previous tokens
    retype(planet, qtbot, "AI")
    qtbot.waitUntil(lambda: planet.state.error is None, timeout=2000)
    assert not message.isVisible()


def test_only_unknown_words_are_valid_and_marked_unk(planet, qtbot):
    retype(planet, qtbot, "hello wonderful world")
    qtbot.waitUntil(lambda: planet.state.spec.text == "hello wonderful world", timeout=2000)
    assert planet.state.error is None
    assert planet.state.analysis.built.sample.ids.tolist() == [0, 0, 0]  # <unk> has id 0
    chips = planet.chips.chips()
    assert all(c.property("unk") for c in chips)
    assert "hello" in chips[0].text() and "&lt;unk&gt;" in chips[0].text()
    assert "not in the vocabulary" in chips[0].toolTip()
    assert "3 unknown" in planet.tokens_title.text()


def test_five_thousand_tokens_are_refused(planet, qtbot):
    before = planet.state.analysis
    planet.text_edit.setPlainText("AI " * 5000)
    qtbot.waitUntil(lambda: planet.state.error is not None, timeout=3000)
    assert "5000 tokens" in planet.state.error
    assert planet.state.analysis is before
    assert planet.messages.error_label.isVisible()
    assert "5000" in planet.messages.error_label.text()
    assert len(planet.chips.chips()) == 9


def test_absurd_hidden_size_is_refused_with_a_message(planet):
    assert planet.session.set_model(hidden_size=100000) is False
    assert planet.messages.error_label.isVisible()
    assert "hidden size" in planet.messages.error_label.text()
    assert planet.model.hidden.value() == 2
    assert planet.state.analysis.trace.hs.shape[1] == 2


def test_non_numbers_in_a_numeric_series_name_the_step_and_value(hello, qtbot):
    combo = hello.encoding_combo
    combo.setCurrentIndex(combo.findData("numeric"))
    combo.activated.emit(combo.currentIndex())
    assert hello.state.spec.encoding == "numeric"
    assert hello.state.error is None  # "hello" is no series: a sample series replaced it
    retype(hello, qtbot, "1, 2, x")
    qtbot.waitUntil(lambda: hello.state.error is not None, timeout=2000)
    text = hello.messages.error_label.text()
    assert "step 3" in text and "'x'" in text
    retype(hello, qtbot, "1\n2\n4")
    qtbot.waitUntil(lambda: hello.state.error is None, timeout=2000)
    assert hello.state.analysis.trace.xs.tolist() == [[1.0], [2.0]]  # next-token: 2 steps
    assert len(hello.chips.chips()) == 2
    combo.setCurrentIndex(combo.findData("onehot"))
    combo.activated.emit(combo.currentIndex())
    assert hello.state.spec.text == "hello"  # the sentence comes back


def test_switching_words_and_characters_retokenizes(planet, qtbot):
    qtbot.mouseClick(planet.char_radio, Qt.MouseButton.LeftButton)
    assert planet.state.spec.level == "char"
    assert planet.state.analysis.built.tokens[:3] == ("A", "I", " ")
    assert set(planet.state.analysis.built.sample.ids.tolist()) == {0}  # a word vocabulary
    assert len(planet.chips.chips()) == len("AI Planet Bootcamps are free and available to all.")
    qtbot.mouseClick(planet.word_radio, Qt.MouseButton.LeftButton)
    assert planet.state.analysis.built.tokens[:2] == ("AI", "Planet")


def test_vocabulary_table_lists_ids_and_tokens(planet):
    table = planet.vocab.table
    assert table.rowCount() == 10
    assert [table.item(i, 1).text() for i in range(3)] == ["<unk>", "AI", "Planet"]
    assert table.item(9, 0).text() == "9"


def test_label_combo_sets_the_many_to_one_target(planet):
    combo = planet.targets.label_combo
    assert combo.isVisible() and combo.currentData() == "positive"
    combo.setCurrentIndex(combo.findData("negative"))
    combo.activated.emit(combo.currentIndex())
    assert planet.state.spec.label == "negative"
    assert planet.state.analysis.built.target_tokens[-1] == "negative"


def test_tags_field_sets_many_to_many_targets(qtbot):
    panel = make_panel(
        qtbot,
        Spec(
            name="tags",
            text="the cat sat",
            task="many-to-many",
            classes=("DET", "NOUN", "VERB"),
            hidden_size=4,
        ),
    )
    edit = panel.targets.tags_edit
    assert edit.isVisible()
    edit.setText("DET, NOUN, -")
    edit.editingFinished.emit()
    assert panel.state.spec.tags == ("DET", "NOUN", None)
    assert list(panel.state.analysis.trace.sample.scored) == [True, True, False]
    edit.setText("DET, NOUN")  # wrong count: refused with a message, field kept
    edit.editingFinished.emit()
    assert "3 tokens but 2 tags" in panel.messages.error_label.text()
    assert panel.state.spec.tags == ("DET", "NOUN", None)


def test_numeric_tags_of_the_harry_potter_preset(qtbot):
    panel = make_panel(qtbot, presets.get("harry-potter"))
    edit = panel.targets.tags_edit
    assert edit.text() == "1, 1, 0, 1, 1, 0, 0, 0, 0"
    edit.setText("1, 1, 0, 1, 1, 0, 0, 0, 1")
    edit.editingFinished.emit()
    assert panel.state.error is None
    assert panel.state.spec.tags == (1, 1, 0, 1, 1, 0, 0, 0, 1)
    assert panel.state.analysis.trace.sample.targets[-1].tolist() == [1.0]


def test_next_tokens_are_shown_read_only(hello):
    assert hello.targets.next_tokens.isVisible()
    assert "h→e" in hello.targets.next_tokens.text()
    assert "l→o" in hello.targets.next_tokens.text()


def test_model_settings_apply_at_once(hello):
    model = hello.model
    model.hidden.setValue(5)
    assert hello.state.analysis.trace.hs.shape == (4, 5)
    model.activation.setCurrentIndex(model.activation.findData("relu"))
    model.activation.activated.emit(model.activation.currentIndex())
    assert hello.state.spec.config.activation == "relu"
    # identity head is incompatible with cross-entropy: the loss follows to squared error
    model.head.setCurrentIndex(model.head.findData("identity"))
    model.head.activated.emit(model.head.currentIndex())
    assert (hello.state.spec.config.head, hello.state.spec.config.loss) == ("identity", "mse")
    assert model.loss.currentData() == "mse"
    model.seed.setValue(7)
    assert hello.state.spec.seed == 7


def test_explicit_weights_switch_to_random_when_a_size_changes(planet):
    assert planet.model.random_button.isVisible()  # the tutorial's weights are in use
    assert not planet.model.seed.isEnabled()
    planet.model.hidden.setValue(3)
    assert planet.state.analysis.trace.hs.shape[1] == 3
    assert planet.messages.notice_label.isVisible()
    assert "random weights" in planet.messages.notice_label.text()
    assert planet.state.spec.params is None
    assert not planet.model.random_button.isVisible() and planet.model.seed.isEnabled()


def test_about_this_example_shows_the_description(qtbot):
    panel = make_panel(qtbot, presets.get("ai-planet"))
    assert panel.about_text.isVisible()
    text = panel.about_text.text()
    assert "AI Planet" in text and "worked out by hand" in text
    assert "errata" in text  # a link to the full notes
    asked = []
    panel.sig_show_notes.connect(lambda: asked.append(True))
    panel.about_text.linkActivated.emit("notes")
    assert asked == [True]
    panel.about_button.click()
    assert not panel.about_text.isVisible()


def test_example_notes_show_the_errata(qtbot):
    session = Session(presets.get("ai-planet"))
    notes = ExampleNotes(session)
    qtbot.addWidget(notes)
    text = notes.toPlainText()
    assert "Errata" in text and "tanh([0.21, 0.46])" in text
    session.load_preset("hello")
    assert "Understanding a Recurrent Neuron" in notes.toPlainText()


def test_unknown_words_do_not_push_the_panel_wider_than_its_dock(qtbot):
    # the panel scrolls only vertically: anything wider than the dock would be cut off
    from PySide6.QtWidgets import QScrollArea

    panel = make_panel(qtbot, presets.get("ai-planet"))
    panel.resize(300, 800)
    panel.session.set_text("AI Planet bootcamps are free for everyone")
    assert "3 unknown" in panel.tokens_title.text()
    scroll = panel.findChild(QScrollArea)
    qtbot.wait(50)  # the relayout after the new tokens
    assert scroll.widget().width() <= scroll.viewport().width()
    chips = panel.chips.chips()
    assert max(c.geometry().right() for c in chips) <= scroll.viewport().width()
