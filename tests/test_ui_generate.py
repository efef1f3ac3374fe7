"""The generation panel (one-to-many), driven through its real widgets (pytest-qt)."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from rnnviz import presets
from rnnviz.engine.generate import generate
from rnnviz.engine.train import train
from rnnviz.session import Session
from rnnviz.ui.generate_panel import GeneratePanel


@pytest.fixture
def make_panel(qtbot):
    def make(preset: str):
        session = Session(presets.get(preset))
        panel = GeneratePanel(session)
        qtbot.addWidget(panel)
        panel.resize(640, 400)
        panel.show()
        return session, panel

    return make


def click(qtbot, button):
    assert button.isEnabled(), f"{button.text()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def set_seed(qtbot, panel, text: str) -> None:
    panel.seed_edit.clear()
    qtbot.keyClicks(panel.seed_edit, text)


def test_greedy_generation_is_followed_by_every_panel_and_back_restores(qtbot, make_panel):
    session, panel = make_panel("ice-cream")
    state = session.state
    original_tokens = state.analysis.built.tokens
    assert "untrained" in panel.weights_note.text()
    set_seed(qtbot, panel, "it is very")
    panel.steps_spin.setValue(6)
    panel.greedy_check.setChecked(True)
    assert not panel.temperature_spin.isEnabled() and not panel.rng_spin.isEnabled()
    click(qtbot, panel.generate_button)
    gen = state.generation
    assert gen is not None and gen.seed_tokens == ("it", "is", "very") and len(gen.tokens) == 6
    # the analysis follows the fed sequence: the seed, then each generated token but the last
    tokens = state.analysis.built.tokens
    assert tokens[:3] == ("it", "is", "very")
    assert tokens[3:] == gen.tokens[:-1]
    np.testing.assert_array_equal(state.analysis.trace.hs, gen.hs)
    # the same call to the engine gives the same text (greedy needs no random numbers)
    built = state.analysis.built
    expected = generate(built.params, built.config, built, "it is very", 6, greedy=True)
    assert gen.tokens == expected.tokens
    shown = panel.output.toPlainText()
    assert shown == "it is very " + " ".join(gen.tokens)
    html = panel.output.toHtml().replace("&lt;", "<").replace("&gt;", ">")
    seed_span = html[: html.index("it is very</span>")]
    assert "color:#808080" in seed_span[seed_span.rindex("<span") :]  # the seed is grey
    bold = html[html.index("font-weight:700;") :]
    assert bold.startswith(f'font-weight:700;">{" ".join(gen.tokens)}</span>')  # generated: bold
    assert panel.back_button.isEnabled()
    click(qtbot, panel.back_button)
    assert state.generation is None and state.analysis.built.tokens == original_tokens
    assert not panel.back_button.isEnabled()


def test_sampling_is_reproducible_with_its_seed(qtbot, make_panel):
    session, panel = make_panel("ice-cream")
    state = session.state
    set_seed(qtbot, panel, "i want")
    panel.steps_spin.setValue(8)
    panel.temperature_spin.setValue(1.5)
    panel.rng_spin.setValue(7)
    click(qtbot, panel.generate_button)
    first = state.generation.tokens
    built = state.analysis.built
    expected = generate(
        built.params, built.config, built, "i want", 8, 1.5, rng=np.random.default_rng(7)
    )
    assert first == expected.tokens
    click(qtbot, panel.back_button)
    click(qtbot, panel.generate_button)
    assert state.generation.tokens == first
    assert panel.temperature_spin.minimum() == 0.05 and panel.temperature_spin.maximum() == 5.0


def test_generation_uses_the_trained_weights(qtbot, make_panel):
    session, panel = make_panel("ice-cream")
    built = session.state.analysis.built
    snaps = list(train(built.params, built.samples, built.config, session.train_settings()))
    session.apply_snapshots(snaps)
    trained = session.state.current_params
    assert "trained" in panel.weights_note.text() and "untrained" not in panel.weights_note.text()
    set_seed(qtbot, panel, "it is very cold so i want some")
    panel.steps_spin.setValue(2)
    panel.greedy_check.setChecked(True)
    click(qtbot, panel.generate_button)
    expected = generate(
        trained, built.config, built, "it is very cold so i want some", 2, greedy=True
    )
    assert session.state.generation.tokens == expected.tokens
    assert session.state.current_params is trained  # generating never changes the weights
    assert session.state.generation.tokens[0] == "hot"  # it learnt "cold ... hot tea"


def test_only_next_token_models_can_generate(make_panel):
    session, panel = make_panel("sentiment")
    assert not panel.generate_button.isEnabled()
    assert panel.explanation.isVisible() and "next-token" in panel.explanation.text()
    assert "many-to-one" in panel.explanation.text()
    session.load_preset("hello")
    assert panel.generate_button.isEnabled() and panel.explanation.isHidden()
    assert panel.seed_edit.text() == "h"  # a seed from the new experiment's own text


def test_a_bad_seed_shows_the_engine_message(qtbot, make_panel):
    session, panel = make_panel("hello")  # letters h, e, l, o and no <unk>
    set_seed(qtbot, panel, "hex")
    click(qtbot, panel.generate_button)
    assert session.state.generation is None
    assert panel.messages.error_label.isVisible()
    assert "not in the vocabulary" in panel.messages.error_label.text()
    set_seed(qtbot, panel, "he")
    qtbot.keyClick(panel.seed_edit, Qt.Key.Key_Return)  # Enter generates too
    assert session.state.generation is not None
    assert panel.messages.error_label.isHidden()
