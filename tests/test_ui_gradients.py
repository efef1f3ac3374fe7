"""Gradient views: every plotted number is the engine's, both directions of every binding,
the σ_max knob, the loss-to-state heatmap with its truncation band, and training history."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from rnnviz import presets
from rnnviz.engine.spec import Spec
from rnnviz.engine.trace import Config
from rnnviz.engine.train import train
from rnnviz.session import Session
from rnnviz.ui import colors
from rnnviz.ui import gradient_plots as gp
from rnnviz.ui.gradients_panel import DEBOUNCE_MS, TABS, GradientsPanel, dh_words

TIME, LOSS, PARAMS = (TABS.index(name) for name in ("time", "loss", "params"))


@pytest.fixture
def make_panel(qtbot):
    def make(spec: Spec | str, size=(900, 600), tab: int = TIME) -> GradientsPanel:
        session = Session(presets.get(spec) if isinstance(spec, str) else spec)
        panel = GradientsPanel(session)
        qtbot.addWidget(panel)
        panel.resize(*size)
        panel.tabs.setCurrentIndex(tab)
        panel.show()
        qtbot.waitExposed(panel)
        QApplication.processEvents()
        return panel

    return make


def trace_of(panel):
    return panel.state.analysis.trace


def hello_spec(**changes) -> Spec:
    spec = Spec(text="hello", level="char", vocab=("h", "e", "l", "o"), use_unk=False)
    return spec.with_(hidden_size=3, seed=1, **changes)


def click(panel, view, plot, x: float, y: float, qtbot) -> None:
    """A real left click on the data point (x, y) of ``plot`` inside the graphics ``view``."""
    pos = view.mapFromScene(plot.vb.mapViewToScene(QPointF(x, y)))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def bar_tops(bars) -> np.ndarray:
    return np.asarray(bars.opts["y1"] if bars.opts.get("y1") is not None else bars.opts["x1"])


# -- 1. ||dL/dh_t|| against t --------------------------------------------------------
@pytest.mark.parametrize("name", ["vanishing", "exploding", "sentiment", "hello", "ai-planet"])
def test_dh_bars_are_the_engine_norms_on_a_log_scale(make_panel, name):
    panel = make_panel(name)
    trace = trace_of(panel)
    T = trace.length
    opts = panel.dh_bars.opts
    np.testing.assert_array_equal(opts["x"], np.arange(1, T + 1))
    np.testing.assert_array_equal(opts["y1"], np.log10(trace.dh_norms))
    lo, hi = gp.decades(np.log10(trace.dh_norms))
    assert np.all(opts["y0"] == lo) and lo <= np.log10(trace.dh_norms).min()
    for t in (0, T // 2, T - 1):  # coloured with the sequential map by magnitude
        color = opts["brushes"][t].color()
        expected = colors.sequential_rgb(np.log10(trace.dh_norms[t]), lo, hi)
        assert (color.red(), color.green(), color.blue()) == tuple(expected)
    assert len(panel.token_axis.labels) == T
    assert panel.token_axis.labels[0].endswith("\n1")


def test_captions_compare_first_and_last_in_plain_words(make_panel):
    panel = make_panel("vanishing")
    assert panel.dh_caption.text() == (
        "The gradient that reaches the first word (“the”) is 3.99 × 10⁻⁵ of the one at the "
        "last word."
    )
    exploding = make_panel("exploding")
    norms = trace_of(exploding).dh_norms
    assert f"is {norms[0] / norms[-1]:.3g} times the one at the last character" in (
        exploding.dh_caption.text()
    )


def test_dh_words_covers_zero_one_step_and_truncation():
    assert dh_words(np.array([0.0, 0.5]), ("a", "b"), "word", 1) == (
        "No gradient at all reaches the first word (“a”): truncated BPTT (k = 1) cuts it off."
    )
    assert dh_words(np.array([0.3]), ("a",), "word", None).startswith("One step only")
    assert "not finite" in dh_words(np.array([np.inf, 1.0]), ("a", "b"), "word", None)
    assert gp.sci(3.994e-5) == "3.99 × 10⁻⁵" and gp.sci(978.2) == "978"
    assert gp.sci(9.999e-6) == "1 × 10⁻⁵" and gp.sci(2.5e12) == "2.5 × 10¹²"
    assert [gp.power_label(k) for k in (-5, -1, 0, 1, 2)] == ["10⁻⁵", "0.1", "1", "10", "10²"]


# -- 2. ||dh_T/dh_t|| against the lag, and its bound -----------------------------------
@pytest.mark.parametrize(
    "spec",
    ["vanishing", "exploding", hello_spec(config=Config(activation="sigmoid"))],
    ids=["vanishing", "exploding", "sigmoid"],
)
def test_jacobian_curve_and_bound_come_from_the_trace(make_panel, spec):
    panel = make_panel(spec)
    trace = trace_of(panel)
    T = trace.length
    lag, actual = panel.jac_curve.getData()
    np.testing.assert_array_equal(lag, np.arange(T))  # T - t for t = T .. 1
    np.testing.assert_array_equal(actual, trace.jacobian_log10_norms[::-1])
    lag, bound = panel.bound_curve.getData()
    factor = trace.gamma * trace.sigma_max
    np.testing.assert_allclose(10**bound, factor**lag, rtol=1e-12)
    assert np.all(actual <= bound + 1e-12)  # the engine's norms never beat the bound
    assert panel.bound_curve.opts["pen"].style() == Qt.PenStyle.DashLine
    assert f"γ·σ_max = {factor:.4g}" in panel.jac_caption.text()


@pytest.mark.parametrize(
    ("name", "verdict", "rgb"),
    [("vanishing", "vanishing is guaranteed", "#0072B2"), ("exploding", "exploding is", "#E69F00")],
)
def test_badge_says_the_condition_in_words_and_colour(make_panel, name, verdict, rgb):
    panel = make_panel(name)
    assert panel.badge.text() == trace_of(panel).condition["text"]
    assert verdict in panel.badge.text()
    assert panel.badge.styleSheet().startswith(f"background: {rgb}")


# -- 3. the σ_max knob -------------------------------------------------------------------
def test_knob_shows_the_current_sigma_max(make_panel):
    panel = make_panel("vanishing")
    assert panel.sigma_box.value() == pytest.approx(0.8)
    assert panel.sigma_slider.value() == 80
    assert panel.sigma_box.toolTip() == f"σ_max(W_hh) = {trace_of(panel).sigma_max!r}"
    panel.session.scale_recurrent(1.7)  # state -> widgets, without asking back
    assert panel.sigma_box.value() == pytest.approx(1.7) and panel.sigma_slider.value() == 170
    assert not panel._debounce.isActive() and panel._pending_sigma is None


def test_knob_moves_the_same_sentence_from_vanishing_to_exploding(make_panel, qtbot):
    panel = make_panel("vanishing")
    text = panel.state.spec.text
    panel.sigma_box.setValue(1.3)  # as typed: debounced, then one intent
    qtbot.waitUntil(lambda: abs(trace_of(panel).sigma_max - 1.3) < 1e-9, timeout=2000)
    assert "exploding is possible" in panel.badge.text()
    assert panel.state.spec.text == text
    _, bound = panel.bound_curve.getData()
    np.testing.assert_allclose(10 ** bound[1], 1.3, rtol=1e-9)  # the plots follow
    np.testing.assert_array_equal(panel.dh_bars.opts["y1"], np.log10(trace_of(panel).dh_norms))
    panel.sigma_slider.setValue(45)  # as dragged, then released
    panel.sigma_slider.sliderReleased.emit()
    assert trace_of(panel).sigma_max == pytest.approx(0.45, abs=1e-9)
    assert "vanishing is guaranteed" in panel.badge.text()
    assert panel.sigma_box.value() == pytest.approx(0.45)


def test_dragging_the_slider_is_debounced(make_panel, qtbot):
    panel = make_panel("exploding")
    analyses = []
    panel.state.events.analysis.connect(analyses.append)
    for v in range(100, 140, 4):  # ten positions within a few ms
        panel.sigma_slider.setValue(v)
    assert analyses == []  # nothing yet: still dragging
    qtbot.wait(DEBOUNCE_MS + 150)
    assert len(analyses) == 1
    assert trace_of(panel).sigma_max == pytest.approx(1.36, abs=1e-9)


def test_knob_is_locked_while_training_runs_and_shows_a_trained_sigma(make_panel):
    panel = make_panel("sentiment")
    panel.session.set_training_status("running")
    assert not panel.sigma_slider.isEnabled() and not panel.sigma_box.isEnabled()
    panel.session.set_training_status("paused")
    assert panel.sigma_box.isEnabled()
    panel.session.scale_recurrent(4.25)  # beyond the knob's usual 3: shown, not clamped
    assert panel.sigma_box.value() == pytest.approx(4.25)


# -- cursor, both ways ------------------------------------------------------------------
def test_cursor_moves_lines_only(make_panel):
    panel = make_panel("vanishing")
    T = trace_of(panel).length
    bars_y1 = panel.dh_bars.opts["y1"]
    for t in (0, 7, T - 1):
        panel.session.set_cursor(t)
        assert panel.dh_cursor.value() == t + 1
        assert panel.jac_cursor.value() == T - 1 - t  # the same step as a lag
        assert f"‖dL/dh_t‖ = {float(trace_of(panel).dh_norms[t])!r}" in panel.time_readout.text()
    assert panel.dh_bars.opts["y1"] is bars_y1  # nothing rebuilt


def test_clicking_a_bar_or_a_lag_moves_the_cursor(make_panel, qtbot):
    panel = make_panel("exploding")
    T = trace_of(panel).length
    plots = panel.time_plots
    click(panel, panel.time_view, plots["dh"], 12, panel.dh_bars.opts["y0"][0] + 0.2, qtbot)
    assert panel.state.cursor == 11
    click(panel, panel.time_view, plots["jacobian"], 5, 1.0, qtbot)
    assert panel.state.cursor == T - 1 - 5


def test_dragging_the_cursor_line_moves_the_cursor(make_panel):
    panel = make_panel("exploding")
    panel.dh_cursor.setValue(6.4)  # as pyqtgraph does while dragging
    assert panel.state.cursor == 5
    assert panel.dh_cursor.value() == 6  # snapped onto the step
    panel.dh_cursor.setValue(6.2)  # the same step: the line still snaps
    assert panel.dh_cursor.value() == 6
    T = trace_of(panel).length
    panel.jac_cursor.setValue(2)
    assert panel.state.cursor == T - 3
    assert panel.dh_cursor.value() == T - 2  # the other line follows through the state


# -- 4. the T x T loss-to-state heatmap -----------------------------------------------
def loss_view(panel):
    panel.tabs.setCurrentIndex(LOSS)
    return panel.views["loss"]


def test_loss_to_state_is_computed_only_when_its_tab_is_shown(make_panel):
    panel = make_panel("exploding")
    assert "loss_to_state" not in vars(trace_of(panel))  # a cached_property not yet touched
    panel.session.set_cursor(4)
    panel.session.scale_recurrent(1.1)
    assert "loss_to_state" not in vars(trace_of(panel))
    loss_view(panel)
    assert "loss_to_state" in vars(trace_of(panel))


@pytest.mark.parametrize("name", ["exploding", "vanishing", "hello"])
def test_heatmap_image_is_loss_to_state_with_blanks(make_panel, name):
    panel = make_panel(name)
    view = loss_view(panel)
    trace = trace_of(panel)
    T, M, scored = trace.length, trace.loss_to_state, trace.sample.scored
    shown = np.tril(np.ones((T, T), dtype=bool)) & scored[:, None]
    image = view.image.image
    assert image.shape == (T, T)
    np.testing.assert_array_equal(image[shown], np.log10(M[shown]))
    assert np.isnan(image[~shown]).all()  # upper triangle and unscored rows stay blank
    unscored = int((~scored).sum())
    assert view.blank.path().elementCount() == 5 * unscored  # one grey rect per such row
    assert view.image.levels[0] <= np.nanmin(image) and view.image.levels[1] >= np.nanmax(image)
    assert list(view.color_bar.levels()) == list(view.image.levels)


def test_selecting_a_loss_row_highlights_and_plots_it(make_panel, qtbot):
    panel = make_panel("exploding")
    view = loss_view(panel)
    M = trace_of(panel).loss_to_state
    assert view.row == trace_of(panel).length - 1  # the last scored step to start with
    view.row_box.setValue(10)  # the spin box
    x, y = view.row_curve.getData()
    np.testing.assert_array_equal(x, np.arange(1, 11))
    np.testing.assert_array_equal(y, np.log10(M[9, :10]))
    assert view.row_frame.rect().center().y() == pytest.approx(10)
    assert "(t = 10)" in view.row_title.text()
    click(panel, view.view, view.plots["heatmap"], 3, 20, qtbot)  # a click on a cell
    assert view.row == 19 and view.row_box.value() == 20
    assert panel.state.cursor == 2  # ... and the state it reaches
    np.testing.assert_array_equal(view.row_curve.getData()[1], np.log10(M[19, :20]))
    assert view.readout.text() == f"‖∂L_20/∂h_3‖ = {float(M[19, 2])!r}"
    panel.session.set_cursor(25)  # state -> widget: a later state is out of reach
    assert view.cursor_line.value() == 26 and view.row_cursor.value() == 26
    assert "cannot reach the later state h_26" in view.readout.text()


def test_an_unscored_row_says_so(make_panel):
    panel = make_panel("vanishing")
    view = loss_view(panel)
    view.row_box.setValue(3)
    x, _ = view.row_curve.getData()
    assert x is None or len(x) == 0
    assert "not scored" in view.row_title.text() and "no loss" in view.readout.text()


def test_truncation_band_appears_when_truncation_is_set(make_panel):
    panel = make_panel("exploding")
    view = loss_view(panel)
    assert not view.discarded.isVisible() and not view.row_region.isVisible()
    assert panel.session.set_model(truncation=5)
    T = trace_of(panel).length
    assert view.discarded.isVisible()
    box = view.discarded.path().boundingRect()  # the staircase of cells s <= t - 5
    assert (box.left(), box.top(), box.right(), box.bottom()) == (0.5, 5.5, T - 5 + 0.5, T + 0.5)
    assert view.discarded.path().contains(QPointF(1, 7))  # t = 7, s = 1: dropped
    assert not view.discarded.path().contains(QPointF(3, 7))  # t = 7, s = 3: kept
    view.row_box.setValue(20)
    assert view.row_region.isVisible() and view.row_region.getRegion() == (0.5, 15.5)
    assert "k = 5" in view.caption.text()
    # the bars show what truncated BPTT really returns
    panel.tabs.setCurrentIndex(TIME)
    np.testing.assert_array_equal(panel.dh_bars.opts["y1"], gp.log10(trace_of(panel).dh_norms))
    assert panel.session.set_model(truncation=None)
    loss_view(panel)
    assert not view.discarded.isVisible()


def test_new_analysis_rebuilds_only_the_visible_tab(make_panel):
    panel = make_panel("hello")
    view = loss_view(panel)
    panel.tabs.setCurrentIndex(TIME)
    assert panel.session.set_text("hellohello")
    T = trace_of(panel).length
    assert T == 9  # next-token: ten characters, nine predictions
    assert view.image.image.shape == (4, 4)  # hidden: still the old picture
    assert panel.dh_bars.opts["x"].shape == (T,)
    loss_view(panel)
    assert view.image.image.shape == (T, T)


# -- 5. per-parameter norms and history -------------------------------------------------
def test_parameter_bars_are_the_trace_grad_norms_and_the_pre_clip_total(make_panel):
    panel = make_panel("ai-planet", tab=PARAMS)
    view = panel.views["params"]
    trace = trace_of(panel)
    names = ["W_xh", "W_hh", "W_hy", "b_h", "b_y", "E", "h0"]
    assert list(view.values) == [*names, gp.TOTAL_BEFORE]
    expected = [trace.grad_norms[n] for n in names] + [trace.clip.norm_before]
    np.testing.assert_array_equal(bar_tops(view.bars), np.log10(expected))
    assert view.name_axis.labels == (*names, gp.TOTAL_BEFORE)
    assert view.value_axis.labels[-1] == f"{trace.clip.norm_before:.4g}"
    assert "what PyTorch's clip_grad_norm_ returns" in view.caption.text()
    assert not view.threshold.isVisible()
    assert view.history_stack.currentWidget() is view.empty
    assert view.empty.text() == "Train the network to see how these change"


def test_norm_clipping_adds_the_post_clip_total_and_the_threshold(make_panel):
    panel = make_panel("clipping", tab=PARAMS)
    view = panel.views["params"]
    clip = trace_of(panel).clip
    assert clip.clipped
    assert list(view.values)[-2:] == [gp.TOTAL_BEFORE, gp.TOTAL_AFTER]
    np.testing.assert_array_equal(
        bar_tops(view.bars)[-2:], np.log10([clip.norm_before, clip.norm_after])
    )
    assert view.threshold.isVisible() and view.threshold.value() == np.log10(clip.threshold)
    assert "after norm clipping" in view.caption.text().lower()


def test_history_fills_from_training_snapshots(make_panel):
    panel = make_panel("sentiment", tab=PARAMS)
    view = panel.views["params"]
    built = panel.state.analysis.built
    settings = panel.session.train_settings()
    snaps = list(itertools.islice(train(built.params, built.samples, built.config, settings), 30))
    panel.session.apply_snapshots(snaps[:20])
    panel.session.apply_snapshots(snaps[20:])  # appended, not redrawn from scratch
    assert view.history_stack.currentWidget() is view.history_view
    steps, before = view.curves[gp.TOTAL_BEFORE].getData()
    np.testing.assert_array_equal(steps, [s.step for s in snaps])
    np.testing.assert_array_equal(before, np.log10([s.grad_norm_before for s in snaps]))
    for name in ("W_xh", "W_hh", "b_y"):
        np.testing.assert_array_equal(
            view.curves[name].getData()[1], np.log10([s.param_grad_norms[name] for s in snaps])
        )
    assert gp.TOTAL_AFTER not in view.curves  # no clipping in this run
    assert "h0" not in view.curves  # h0 is not trained here
    trace = trace_of(panel)  # the bars show the trained weights' pass
    np.testing.assert_array_equal(bar_tops(view.bars)[0], np.log10(trace.grad_norms["W_xh"]))
    panel.session.reset_weights()
    assert view.history_stack.currentWidget() is view.empty


def test_history_shows_the_clipped_total_when_training_clips(make_panel):
    panel = make_panel("clipping")  # history arrives while another tab is shown
    built = panel.state.analysis.built
    settings = panel.session.train_settings()
    snaps = list(itertools.islice(train(built.params, built.samples, built.config, settings), 5))
    panel.session.apply_snapshots(snaps)
    panel.tabs.setCurrentIndex(PARAMS)
    view = panel.views["params"]
    _, after = view.curves[gp.TOTAL_AFTER].getData()
    np.testing.assert_array_equal(after, np.log10([s.grad_norm_after for s in snaps]))
    assert view.history_threshold.isVisible()


# -- robustness ---------------------------------------------------------------------------
def test_an_exploding_run_leaves_a_gap_not_a_crash(make_panel, qtbot):
    panel = make_panel("exploding", tab=PARAMS)
    built = panel.state.analysis.built
    settings = panel.session.train_settings()
    snaps = list(train(built.params, built.samples, built.config, settings))
    assert snaps[-1].stopped and not np.isfinite(snaps[-1].grad_norm_before)
    panel.session.apply_snapshots(snaps)
    view = panel.views["params"]
    steps, before = view.curves[gp.TOTAL_BEFORE].getData()
    assert len(steps) == len(snaps) and np.isnan(before[-1])  # drawn as a gap
    np.testing.assert_array_equal(before[:-1], np.log10([s.grad_norm_before for s in snaps[:-1]]))
    lo, hi = view.history_plot.viewRange()[1]
    assert np.isfinite(lo) and np.isfinite(hi)
    for tab in (TIME, LOSS):  # the last finite weights: every view still draws
        panel.tabs.setCurrentIndex(tab)
    qtbot.wait(10)
    panel.grab()


def test_zero_gradients_are_left_out_not_crashed(make_panel):
    spec = presets.get("vanishing")
    spec = spec.with_(config=Config(**{**spec.config.__dict__, "truncation": 2}))
    panel = make_panel(spec)
    trace = trace_of(panel)
    assert trace.dh_norms[0] == 0.0  # nothing reaches further back than 2 steps
    y1 = panel.dh_bars.opts["y1"]
    assert np.isfinite(y1).all() and y1[0] == panel.dh_bars.opts["y0"][0]  # no bar
    assert "truncated BPTT (k = 2) cuts it off" in panel.dh_caption.text()
    for tab in (LOSS, PARAMS):
        panel.tabs.setCurrentIndex(tab)
    QApplication.processEvents()
    panel.grab()


def test_log_axis_labels_powers_of_ten():
    ticks = gp.log_ticks(-5.0, 1.0, 300, 22)
    assert ticks[0][1] == [-5, -4, -3, -2, -1, 0, 1]
    axis = gp.LogAxis("left")
    assert axis.tickStrings([-3.0, np.log10(2), 0.0], 1, 1) == ["10⁻³", "", "1"]
    wide = gp.log_ticks(-60.0, 0.0, 200, 22)  # 60 decades on 200 px: thinned
    assert wide[0][0] >= 10 and len(wide[0][1]) <= 200 / 22 + 1


def test_a_covered_gradients_tab_catches_up_when_its_dock_comes_to_the_front(qtbot):
    # tabbed behind "Hidden state" it skips the Jacobian SVDs; brought to the front it
    # must show the current analysis, not the one before the edit
    from rnnviz.ui.main_window import MainWindow

    window = MainWindow(Session(presets.get("hello")))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    panel = window.panels["gradients"]
    window.session.set_text("hello hello")
    qtbot.wait(20)
    assert panel.visibleRegion().isEmpty()  # covered by the Hidden state tab
    before = getattr(panel, "dh_log", None)  # never drawn while covered, or drawn for "hello"
    assert before is None or len(before) != window.state.analysis.length
    window.docks["gradients"].raise_()
    qtbot.waitUntil(lambda: len(getattr(panel, "dh_log", ())) == window.state.analysis.length)
    np.testing.assert_allclose(panel.dh_log, gp.log10(window.state.analysis.trace.dh_norms))
