"""Clipping lab panel: the exploding demo pressed through its real buttons, curves equal to
the engine's snapshots, run controls, the threshold helper, and the session left alone."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt

from rnnviz import clipping_lab as lab
from rnnviz import presets
from rnnviz.engine.train import lockstep, train
from rnnviz.session import Session
from rnnviz.ui.clipping_lab_panel import MAX_LAB_STEPS, PLOTS, ClippingLabPanel

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def make_panel(qtbot):
    panels = []

    def make(session: Session) -> ClippingLabPanel:
        panel = ClippingLabPanel(session)
        qtbot.addWidget(panel)
        panel.resize(1000, 600)
        panel.show()
        panels.append(panel)
        return panel

    yield make
    for panel in panels:  # no worker thread outlives its test
        panel.shutdown()
        assert panel.runner is None


def _ys(item) -> np.ndarray:
    """A plot item's y data (pyqtgraph keeps None for an emptied item)."""
    return np.zeros(0) if item.yData is None else np.asarray(item.yData)


def _finish(qtbot, panel, timeout=10_000):
    qtbot.waitUntil(lambda: panel.message.text().startswith("Done"), timeout=timeout)


def _expected(session, threshold, steps):
    """The three runs recomputed independently: name -> successful snapshots."""
    built = session.state.analysis.built
    settings = lab.run_settings(session.train_settings(), threshold, steps)
    seen = {name: [] for name in settings}
    for item in lockstep(built.params, built.samples, built.config, settings):
        for name, snap in item.items():
            done = seen[name] and (snap is seen[name][-1] or seen[name][-1].stopped)
            if not done:
                seen[name].append(snap)
    return {name: [s for s in snaps if not s.stopped] for name, snaps in seen.items()}


def test_exploding_demo_diverges_unclipped_and_learns_clipped(qtbot, make_panel):
    session = Session()
    panel = make_panel(session)
    qtbot.mouseClick(panel.demo_button, LEFT)
    state = session.state
    assert presets.key_of(state.spec) == lab.DEMO_PRESET
    assert panel.threshold_spin.value() == 1.0
    assert panel.steps_spin.value() == session.train_settings().steps == 200
    analysis, params = state.analysis, state.analysis.built.params
    W_hh = np.array(params.W_hh)
    qtbot.mouseClick(panel.run_button, LEFT)
    _finish(qtbot, panel)
    no_clip = panel.run_labels["no clipping"].text()
    assert no_clip == "⚠ no clipping diverged at step 3: the loss became nan"
    assert "Training stopped" in panel.run_labels["no clipping"].toolTip()
    assert panel.plots.diverged_text.isVisible()
    assert "no clipping: diverged at step 3" in panel.plots.diverged_text.toPlainText()
    for name in ("value clipping", "norm clipping"):
        x, y = panel.plots.curves["loss"][name].xData, panel.plots.curves["loss"][name].yData
        assert len(x) == 200 and x[-1] == 200
        assert y[-1] < 1e-3 * y[0]  # far below the initial loss
        assert not panel.run_labels[name].text().startswith("⚠")
    # the lab is a side experiment: the session's weights, history and status are untouched
    assert state.analysis is analysis and state.analysis.built.params is params
    np.testing.assert_array_equal(params.W_hh, W_hh)
    assert state.current_params is None and state.history == () and state.training == "idle"
    assert not state.dirty


def test_plotted_curves_equal_the_snapshots(qtbot, make_panel):
    session = Session()
    session.load_preset(lab.DEMO_PRESET)
    panel = make_panel(session)
    qtbot.mouseClick(panel.run_button, LEFT)
    _finish(qtbot, panel)
    expected = _expected(session, 1.0, 200)
    for name, snaps in expected.items():
        step = np.array([s.step for s in snaps], dtype=float)
        for key, field in (("loss", "loss"), ("norm", "grad_norm_before"), ("cosine", "cosine")):
            curve = panel.plots.curves[key][name]
            np.testing.assert_array_equal(curve.xData, step)
            np.testing.assert_array_equal(curve.yData, [getattr(s, field) for s in snaps])
    # the diverged run ends in a marker at its last finite step; the others have none
    marker = panel.plots.markers["loss"]["no clipping"]
    assert marker.xData.tolist() == [2.0]
    assert _ys(panel.plots.markers["loss"]["norm clipping"]).size == 0
    bars = panel.plots.bars.opts["height"]
    rates = [np.mean([s.clipped for s in expected[n]]) for n in lab.RUNS]
    np.testing.assert_array_equal(bars, rates)
    assert rates[0] == 0 and 0 < rates[1] < 1 and 0 < rates[2] < 1
    assert panel.plots.rate_texts[2].toPlainText() == f"{100 * rates[2]:.4g} %"
    assert panel.plots.threshold_line.value() == pytest.approx(0.0)  # log10(tau = 1)


def test_threshold_and_steps_come_from_the_spin_boxes(qtbot, make_panel):
    session = Session()
    session.load_preset("hello")
    panel = make_panel(session)
    panel.threshold_spin.setValue(0.25)
    panel.steps_spin.setValue(12)
    qtbot.mouseClick(panel.run_button, LEFT)
    _finish(qtbot, panel)
    assert panel.history.threshold == 0.25
    assert panel.plots.threshold_line.value() == pytest.approx(math.log10(0.25))
    expected = _expected(session, 0.25, 12)
    for name in lab.RUNS:
        assert len(panel.plots.curves["loss"][name].yData) == 12
        np.testing.assert_array_equal(
            panel.plots.curves["norm"][name].yData, [s.grad_norm_before for s in expected[name]]
        )
    assert panel.plots.curves["cosine"]["norm clipping"].yData == pytest.approx(1.0, abs=1e-12)


def test_pause_resume_stop_and_reset(qtbot, make_panel):
    session = Session()
    session.load_preset("hello")
    panel = make_panel(session)
    panel.steps_spin.setValue(100_000)  # long enough to be caught running
    qtbot.mouseClick(panel.run_button, LEFT)
    qtbot.waitUntil(lambda: panel.history.steps > 5, timeout=5000)
    assert not panel.run_button.isEnabled() and not panel.threshold_spin.isEnabled()
    qtbot.mouseClick(panel.pause_button, LEFT)
    qtbot.wait(150)  # let queued items arrive
    paused_at = panel.history.steps
    qtbot.wait(200)
    assert panel.history.steps == paused_at
    assert panel.run_button.text() == "Resume" and not panel.pause_button.isEnabled()
    qtbot.mouseClick(panel.run_button, LEFT)
    qtbot.waitUntil(lambda: panel.history.steps > paused_at + 5, timeout=5000)
    qtbot.mouseClick(panel.stop_button, LEFT)
    qtbot.waitUntil(lambda: panel.message.text().startswith("Stopped after"), timeout=5000)
    kept = len(panel.plots.curves["loss"]["norm clipping"].yData)
    assert kept == panel.history.steps > paused_at
    assert panel.run_button.text() == "Run" and panel.threshold_spin.isEnabled()
    qtbot.mouseClick(panel.reset_button, LEFT)
    assert panel.history is None
    assert all(_ys(panel.plots.curves[k][n]).size == 0 for k in PLOTS for n in lab.RUNS)
    assert panel.run_labels["norm clipping"].text() == "norm clipping"


def test_suggest_probes_then_applies_the_low_and_middle_values(qtbot, make_panel):
    session = Session()
    session.load_preset("hello")
    panel = make_panel(session)
    assert not panel.use_low_button.isEnabled()
    qtbot.mouseClick(panel.suggest_button, LEFT)
    built = session.state.analysis.built
    expected = lab.probe(built.params, built.samples, built.config, session.train_settings())
    assert panel.suggestion == expected
    assert panel.suggestion_label.text().startswith(expected.text)
    assert "10 probe steps without clipping" in panel.suggestion_label.toolTip()
    qtbot.mouseClick(panel.use_low_button, LEFT)
    assert panel.threshold_spin.value() == pytest.approx(expected.low, abs=1e-4)
    assert panel.plots.threshold_line.value() == pytest.approx(
        math.log10(panel.threshold_spin.value())
    )
    qtbot.mouseClick(panel.use_middle_button, LEFT)
    assert panel.threshold_spin.value() == pytest.approx(expected.middle, abs=1e-4)


def test_after_a_run_the_helper_uses_the_labs_own_norms(qtbot, make_panel):
    session = Session()
    session.load_preset(lab.DEMO_PRESET)
    panel = make_panel(session)
    qtbot.mouseClick(panel.run_button, LEFT)
    _finish(qtbot, panel)
    assert panel.suggestion == panel.history.suggestion()
    assert panel.suggestion_label.text() == panel.suggestion.text
    assert "from 400 lab steps (value clipping, norm clipping)" in panel.suggestion_label.toolTip()


def test_the_lab_starts_from_trained_weights_and_leaves_them(qtbot, make_panel):
    session = Session()
    session.load_preset("hello")
    built = session.state.analysis.built
    settings = session.train_settings()
    from dataclasses import replace

    session.apply_snapshots(list(train(built.params, built.samples, built.config, replace(
        settings, steps=5))))  # fmt: skip
    trained, history = session.state.current_params, session.state.history
    assert trained is not None and len(history) == 5
    panel = make_panel(session)
    panel.steps_spin.setValue(8)
    qtbot.mouseClick(panel.run_button, LEFT)
    _finish(qtbot, panel)
    assert panel.history.initial is trained
    assert session.state.current_params is trained and session.state.history == history
    assert "changed since" not in panel.message.text()
    session.reset_weights()  # the session moves on: the lab says its run is from before
    assert "The session's network has changed since this lab run" in panel.message.text()


def test_a_failing_run_is_reported_not_raised(qtbot, make_panel, monkeypatch):
    session = Session()
    session.load_preset("hello")
    panel = make_panel(session)
    real_start = lab.start

    def broken(*args):
        history, generator = real_start(*args)

        def fail():
            yield next(generator)
            raise ValueError("a bug in a run")

        return history, fail()

    monkeypatch.setattr(lab, "start", broken)
    qtbot.mouseClick(panel.run_button, LEFT)
    qtbot.waitUntil(lambda: "error" in panel.message.text(), timeout=5000)
    assert "a bug in a run" in panel.message.text()
    assert panel.history.steps == 1 and panel.run_button.isEnabled()


def test_the_steps_box_follows_a_new_experiment_but_keeps_the_users_count(make_panel):
    session = Session(presets.get("ai-planet"))
    panel = make_panel(session)
    first = session.train_settings().steps
    assert panel.steps_spin.value() == min(first, MAX_LAB_STEPS)
    for name in presets.names():  # a preset with another step count
        if presets.get(name).training.get("steps", first) != first:
            break
    session.load_preset(name)
    assert panel.steps_spin.value() == min(session.train_settings().steps, MAX_LAB_STEPS)
    panel.steps_spin.setValue(37)  # the user's own count survives editing the text
    session.set_text(session.state.spec.text + " again")
    assert panel.steps_spin.value() == 37
