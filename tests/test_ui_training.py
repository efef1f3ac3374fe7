"""The training panel, driven through its real buttons (pytest-qt).

Training runs in the runner's worker thread; every test waits for the state
to change (never for a fixed time) and stops every thread in teardown.
"""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from rnnviz import presets
from rnnviz.engine.spec import Example
from rnnviz.engine.trace import run
from rnnviz.engine.train import train
from rnnviz.session import Session
from rnnviz.ui.training_panel import TrainingPanel, parse_tags, parse_value

LONG = 20_000  # ms: generous for a loaded 2-core machine; the runs take well under 2 s


@pytest.fixture
def make_panel(qtbot):
    panels = []

    def make(preset: str):
        session = Session(presets.get(preset))
        panel = TrainingPanel(session)
        qtbot.addWidget(panel)
        panel.resize(1000, 600)
        panel.show()
        panels.append(panel)
        return session, panel

    yield make
    for panel in panels:  # no worker thread outlives its test
        panel.shutdown()
        for runner in [panel.runner, *panel._retired]:
            assert runner is None or runner.wait()


def click(qtbot, button):
    assert button.isEnabled(), f"{button.text()} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_empty_state_asks_to_press_train(make_panel):
    _session, panel = make_panel("sentiment")
    assert panel.plots.stack.currentIndex() == 0
    assert "Press Train to start" in panel.plots.empty_label.text()
    assert panel.train_button.isEnabled() and not panel.stop_button.isEnabled()
    assert not panel.reset_button.isEnabled()  # nothing to reset yet
    assert panel.banner.isHidden()


def test_sentiment_learns_its_sentences_with_the_real_buttons(qtbot, make_panel):
    session, panel = make_panel("sentiment")
    state = session.state
    analyses = []
    state.events.analysis.connect(analyses.append)
    steps = session.train_settings().steps
    click(qtbot, panel.train_button)
    assert state.training == "running"
    assert not panel.settings_box.isEnabled()  # settings locked while a run is active
    qtbot.waitUntil(lambda: len(state.history) == steps and state.training == "idle", timeout=LONG)
    assert panel.runner is None
    # every training sentence is classified correctly by the weights on screen
    built, params = state.analysis.built, state.current_params
    assert params is state.history[-1].params
    for sample in built.samples:
        ys = run(params, sample, built.config).ys
        assert np.argmax(ys[-1]) == np.argmax(sample.targets[-1])
    # ... and the sentence on screen, "this movie is not good", is negative
    assert state.spec.text == "this movie is not good"
    assert built.output_names[int(np.argmax(state.analysis.trace.ys[-1]))] == "negative"
    # snapshots were coalesced: far fewer analyses than updates, but more than one (live)
    assert 1 < len(analyses) < steps
    # the plots draw exactly the history
    losses = [s.loss for s in state.history]
    np.testing.assert_array_equal(panel.plots.loss_raw.yData, losses)
    np.testing.assert_array_equal(panel.plots.loss_raw.xData, np.arange(1, steps + 1))
    ema = [losses[0]]
    for loss in losses[1:]:
        ema.append(0.9 * ema[-1] + 0.1 * loss)
    np.testing.assert_allclose(panel.plots.loss_smooth.yData, ema, rtol=1e-12)
    norms = [s.grad_norm_before for s in state.history]
    np.testing.assert_array_equal(panel.plots.norm_before.yData, norms)
    np.testing.assert_array_equal(panel.plots.accuracy_curve.yData[-1], 1.0)
    w_hh = [s.param_grad_norms["W_hh"] for s in state.history]
    np.testing.assert_array_equal(panel.plots.param_curves["W_hh"].yData, w_hh)
    assert panel.plots.stack.currentIndex() == 1
    assert "Done" in panel.status_label.text() and "100%" in panel.status_label.text()
    assert panel.settings_box.isEnabled() and panel.reset_button.isEnabled()


def test_exploding_run_stops_with_an_explanation_and_the_app_stays_usable(qtbot, make_panel):
    session, panel = make_panel("exploding")
    state = session.state
    assert session.train_settings().clip_mode == "off"
    click(qtbot, panel.train_button)
    qtbot.waitUntil(lambda: state.training == "stopped", timeout=LONG)
    last = state.history[-1]
    assert last.stopped is not None
    banner = panel.banner.text()
    assert panel.banner.isVisible()
    failed = last.step + 1  # the attempt that blew up
    assert f"Step {failed}:" in banner and f"after step {failed - 1}" in banner
    assert "clipping" in banner
    # the last finite weights are kept and shown
    assert state.current_params is last.params and state.current_params.all_finite()
    assert all(
        line.isVisible() and line.value() == len(state.history) for line in panel.plots.stop_lines
    )
    assert not np.isfinite(panel.plots.loss_raw.yData[-1])  # the blown-up loss is a gap
    # clipping off: no threshold and no "after clipping" curve (it would equal "before")
    assert not panel.plots.threshold_line.isVisible() and "after" not in panel.plots.legend.text()
    # the app still responds
    session.set_cursor(5)
    assert state.cursor == 5
    assert session.set_text("hello hello") and state.analysis.built.tokens[:3] == ("h", "e", "l")
    assert state.error is None
    assert panel.train_button.isEnabled() and panel.reset_button.isEnabled()
    click(qtbot, panel.reset_button)
    assert state.history == () and state.current_params is None and state.training == "idle"
    assert panel.banner.isHidden()


def test_step_once_pause_resume_stop_and_reset(qtbot, make_panel):
    session, panel = make_panel("sentiment")
    state = session.state
    initial = state.analysis
    click(qtbot, panel.step_button)
    qtbot.waitUntil(lambda: len(state.history) == 1, timeout=LONG)
    assert state.training == "paused"
    qtbot.wait(150)
    assert len(state.history) == 1  # exactly one update
    click(qtbot, panel.step_button)
    qtbot.waitUntil(lambda: len(state.history) == 2, timeout=LONG)
    qtbot.wait(100)
    assert len(state.history) == 2
    assert panel.train_button.text() == "Resume"
    click(qtbot, panel.train_button)
    assert state.training == "running"
    qtbot.waitUntil(lambda: len(state.history) > 5, timeout=LONG)
    click(qtbot, panel.pause_button)
    assert state.training == "paused"
    qtbot.wait(100)  # snapshots already made still arrive; then nothing more
    n = len(state.history)
    qtbot.wait(150)
    assert len(state.history) == n < session.train_settings().steps + 2
    click(qtbot, panel.stop_button)
    qtbot.waitUntil(lambda: panel.runner is None, timeout=LONG)
    assert state.training == "idle" and len(state.history) == n
    assert state.current_params is state.history[-1].params
    click(qtbot, panel.reset_button)
    assert state.history == () and state.current_params is None and state.training == "idle"
    # the same initial weights and the same numbers as before any training
    assert state.analysis.built.params.equals(initial.built.params)
    np.testing.assert_array_equal(state.analysis.trace.hs, initial.trace.hs)
    np.testing.assert_array_equal(state.analysis.trace.ys, initial.trace.ys)
    assert state.analysis.trace.loss == initial.trace.loss
    assert panel.plots.stack.currentIndex() == 0


def test_reset_while_running_abandons_the_run(qtbot, make_panel):
    session, panel = make_panel("sentiment")
    state = session.state
    panel.steps_spin.setValue(100_000)
    click(qtbot, panel.train_button)
    qtbot.waitUntil(lambda: len(state.history) > 3, timeout=LONG)
    click(qtbot, panel.reset_button)
    assert panel.runner is None and state.training == "idle"
    qtbot.wait(150)  # whatever the old run still had queued is never applied
    assert state.history == () and state.current_params is None


def test_a_new_preset_elsewhere_stops_the_run(qtbot, make_panel):
    session, panel = make_panel("sentiment")
    state = session.state
    panel.steps_spin.setValue(100_000)
    click(qtbot, panel.train_button)
    qtbot.waitUntil(lambda: len(state.history) > 3, timeout=LONG)
    session.load_preset("hello")
    assert panel.runner is None and state.training == "idle"
    qtbot.wait(150)
    assert state.history == () and state.error is None
    assert state.spec.text == "hello"


def test_typing_new_training_text_stops_the_run_with_a_message(qtbot, make_panel):
    session, panel = make_panel("hello")  # no separate data: the text is what it trains on
    state = session.state
    panel.steps_spin.setValue(100_000)
    click(qtbot, panel.train_button)
    qtbot.waitUntil(lambda: len(state.history) > 3, timeout=LONG)
    assert session.set_text("hell")
    assert panel.runner is None and state.training == "idle"
    assert "Training stopped" in panel.messages.error_label.text()
    n = len(state.history)
    qtbot.wait(150)
    assert len(state.history) == n  # nothing more from the old run
    assert panel.settings_box.isEnabled() and panel.train_button.isEnabled()


def test_clipping_draws_the_threshold_and_the_clipped_norm(qtbot, make_panel):
    session, panel = make_panel("clipping")
    state = session.state
    panel.steps_spin.setValue(20)
    assert session.train_settings().steps == 20
    click(qtbot, panel.train_button)
    qtbot.waitUntil(lambda: len(state.history) == 20 and state.training == "idle", timeout=LONG)
    plots = panel.plots
    assert plots.threshold_line.isVisible()
    assert plots.threshold_line.value() == pytest.approx(np.log10(1.0))
    np.testing.assert_array_equal(
        plots.norm_after.yData, [s.grad_norm_after for s in state.history]
    )
    clipped = sum(s.clipped for s in state.history)
    assert clipped > 0
    assert f"clipped: {clipped} of 20 updates" in plots.norm_title.toolTip()
    key = plots.legend.text().replace("&nbsp;", " ")
    assert "after" in key and "threshold" in key


def test_settings_widgets_write_the_spec_and_follow_it(qtbot, make_panel):
    session, panel = make_panel("sentiment")
    state = session.state
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findText("RMSProp"))
    assert state.spec.training["optimizer"] == "rmsprop"
    panel.clip_combo.setCurrentIndex(2)
    assert state.spec.training["clip_mode"] == "norm" and panel.threshold_edit.isEnabled()
    panel.threshold_edit.clear()
    qtbot.keyClicks(panel.threshold_edit, "2.5")
    qtbot.keyClick(panel.threshold_edit, Qt.Key.Key_Return)
    assert state.spec.training["clip_threshold"] == 2.5
    panel.lr_edit.clear()
    qtbot.keyClicks(panel.lr_edit, "fast")
    qtbot.keyClick(panel.lr_edit, Qt.Key.Key_Return)
    assert state.spec.training["learning_rate"] == 0.05  # refused: the previous value stays
    assert panel.messages.error_label.isVisible()
    assert "learning rate" in panel.messages.error_label.text()
    panel.lr_edit.clear()
    qtbot.keyClicks(panel.lr_edit, "0.01")
    qtbot.keyClick(panel.lr_edit, Qt.Key.Key_Return)
    assert state.spec.training["learning_rate"] == 0.01 and state.error is None
    assert panel.messages.error_label.isHidden()
    panel.truncation_spin.setValue(3)
    assert state.spec.config.truncation == 3 and state.analysis.trace.config.truncation == 3
    panel.truncation_spin.setValue(0)
    assert state.spec.config.truncation is None
    panel.batch_combo.setCurrentIndex(1)
    assert state.spec.training["batch"] == "single"
    # state -> widgets
    session.set_training(optimizer="sgd", steps=42, clip_mode="off")
    assert panel.optimizer_combo.currentText() == "SGD" and panel.steps_spin.value() == 42
    assert not panel.threshold_edit.isEnabled()
    session.set_model(truncation=5)
    assert panel.truncation_spin.value() == 5


def test_dataset_editor_edits_adds_and_removes_examples(qtbot, make_panel):
    session, panel = make_panel("sentiment")
    state = session.state
    table = panel.dataset.table
    original = state.spec.dataset
    assert table.rowCount() == len(original) == 12
    assert [table.item(r, 1).text() for r in range(3)] == [e.label for e in original[:3]]
    table.item(0, 1).setText("negative")  # the user edits a label
    assert state.spec.dataset[0] == Example("this movie is good", "negative")
    assert state.spec.dataset[1:] == original[1:]
    table.item(1, 1).setText("meh")  # not a class: refused, the previous data kept
    assert state.spec.dataset[1] == original[1]
    assert "not one of the classes" in panel.messages.error_label.text()
    assert panel.messages.error_label.isVisible()
    table.item(1, 1).setText("negative")
    assert state.error is None and panel.messages.error_label.isHidden()
    click(qtbot, panel.dataset.add_button)
    assert table.rowCount() == 13 and len(state.spec.dataset) == 12  # empty until typed
    table.item(12, 0).setText("the food is great")
    table.item(12, 1).setText("positive")
    assert state.spec.dataset[-1] == Example("the food is great", "positive")
    table.selectRow(0)
    click(qtbot, panel.dataset.remove_button)
    assert len(state.spec.dataset) == 12 and state.spec.dataset[0] == original[1]
    assert table.rowCount() == 12


def test_next_token_data_can_be_pasted(qtbot, make_panel):
    session, panel = make_panel("ice-cream")
    editor = panel.dataset
    assert editor.paste_edit.isVisible() and editor.table.isColumnHidden(1)
    editor.paste_edit.setPlainText("it is cold\n\n  it is hot  \nI want tea\n")
    click(qtbot, editor.paste_button)
    assert session.state.spec.dataset == (
        Example("it is cold"),
        Example("it is hot"),
        Example("I want tea"),
    )
    assert editor.table.rowCount() == 3 and len(session.state.analysis.built.samples) == 3
    # and the panel trains on them
    click(qtbot, panel.train_button)
    steps = session.train_settings().steps
    state = session.state
    qtbot.waitUntil(lambda: len(state.history) == steps and state.training == "idle", timeout=LONG)
    assert state.history[-1].loss < state.history[0].loss


def test_tags_are_edited_as_text():
    assert parse_tags("1, 1, 0, -", ("name",)) == (1, 1, 0, None)
    assert parse_tags("1 0 0.5", ()) == (1, 0, 0.5)
    assert parse_tags("", ()) is None
    assert parse_value("positive", ("negative", "positive")) == "positive"
    assert parse_value("0, 1", ("negative", "positive")) == (0, 1)
    assert parse_value("", ("a",)) is None
    assert parse_value("maybe", ("a",)) == "maybe"  # passed on for the engine to refuse


def test_harry_potter_tags_round_trip(make_panel):
    session, panel = make_panel("harry-potter")
    table = panel.dataset.table
    assert table.item(0, 1).text() == "1, 1, 0, 1, 1, 0, 0, 0, 0"
    table.item(2, 1).setText("1, 1, 0, 0, 0, 1")
    assert session.state.spec.dataset[2].tags == (1, 1, 0, 0, 0, 1)
    table.item(2, 1).setText("1, 1")  # wrong count: refused with the session's message
    assert session.state.spec.dataset[2].tags == (1, 1, 0, 0, 0, 1)
    assert "tags" in panel.messages.error_label.text()


def test_engine_and_panel_agree_on_a_run(qtbot, make_panel):
    """The panel trains exactly what the engine trains (same settings, same weights)."""
    session, panel = make_panel("hello")
    built = session.state.analysis.built
    expected = list(train(built.params, built.samples, built.config, session.train_settings()))
    click(qtbot, panel.train_button)
    state = session.state
    qtbot.waitUntil(
        lambda: len(state.history) == len(expected) and state.training == "idle", timeout=LONG
    )
    assert [s.loss for s in state.history] == [s.loss for s in expected]
    assert state.current_params.equals(expected[-1].params)


def test_small_docks_keep_the_loss_and_the_gradient_norm(qtbot, make_panel):
    _session, panel = make_panel("sentiment")
    plots = panel.plots
    assert plots.mode == "grid" and plots.accuracy_plot.isVisible()
    plots.resize(400, 500)  # narrow: one above the other
    qtbot.waitUntil(lambda: plots.mode == "column")
    assert not plots.accuracy_plot.isVisible() and not plots.params_plot.isVisible()
    assert plots.loss_plot.isVisible() and plots.norm_plot.isVisible()
    plots.resize(700, 300)  # short: side by side
    qtbot.waitUntil(lambda: plots.mode == "row")
    plots.resize(700, 500)
    qtbot.waitUntil(lambda: plots.mode == "grid")
    assert plots.accuracy_plot.isVisible() and plots.params_plot.isVisible()
