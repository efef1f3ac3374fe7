"""Output panel: bars equal y_t, the prediction, the target and the losses, read from the
trace, for a softmax language model, a sigmoid classifier, a big vocabulary and an
identity head."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from tutorial_specs import ai_planet_spec

from rnnviz.engine.spec import Spec
from rnnviz.engine.trace import Config
from rnnviz.session import Session
from rnnviz.ui import plot_util as pu
from rnnviz.ui.colors import diverging_rgb
from rnnviz.ui.output_panel import TOP_K, OutputPanel


def hello_spec() -> Spec:
    return Spec(
        name="hello",
        text="hello",
        level="char",
        vocab=("h", "e", "l", "o"),
        use_unk=False,
        hidden_size=3,
        seed=1,
    )


def vocab40_spec() -> Spec:
    rng = np.random.default_rng(2)
    letters = list("abcdefghijklmnopqrstuvwxyz0123456789.,!?")  # 40 symbols
    text = "".join(rng.permutation(letters)) + "".join(rng.choice(letters, 40))
    return Spec(name="v40", text=text, level="char", use_unk=False, hidden_size=8, seed=2)


def series_spec() -> Spec:
    return Spec(
        name="series",
        text="0.1, 0.5\n0.3, -0.2\n0.6, 0.1\n-0.4, 0.9\n0.2, 0.2",
        encoding="numeric",
        hidden_size=4,
        config=Config(head="identity", loss="mse"),
    )


@pytest.fixture
def make_panel(qtbot):
    def make(spec: Spec, size=(800, 500)) -> OutputPanel:
        panel = OutputPanel(Session(spec))
        qtbot.addWidget(panel)
        panel.resize(*size)
        panel.show()
        qtbot.waitExposed(panel)
        return panel

    return make


def bar_values(panel) -> np.ndarray:
    return np.asarray(panel.bars.opts["x0"]) + np.asarray(panel.bars.opts["x1"])


def brush_rgb(panel, row: int) -> tuple[int, int, int]:
    c = panel.bars.opts["brushes"][row].color()
    return c.red(), c.green(), c.blue()


def test_hello_bars_equal_y_t_at_every_step(make_panel):
    panel = make_panel(hello_spec())
    trace = panel.state.analysis.trace
    assert panel.name_axis.labels == ("h", "e", "l", "o")  # the vocabulary, in its order
    for t in range(trace.length):
        panel.session.set_cursor(t)
        np.testing.assert_array_equal(bar_values(panel), trace.ys[t])
        pred = int(np.argmax(trace.ys[t]))
        assert brush_rgb(panel, pred) == pu.HIGHLIGHT
        assert all(brush_rgb(panel, i) == pu.ACCENT for i in range(4) if i != pred)
    x_range = panel.plot.vb.viewRange()[0]
    assert x_range[0] < 0 < 1 < x_range[1] < 1.1  # probabilities on 0..1


def test_hello_text_names_prediction_target_and_losses(make_panel):
    panel = make_panel(hello_spec())
    analysis = panel.state.analysis
    trace = analysis.trace
    for t, target in enumerate("ello"):
        panel.session.set_cursor(t)
        i = int(np.argmax(trace.ys[t]))
        name = analysis.built.output_names[i]
        expected = (
            f"predicted: '{name}' (p = {trace.ys[t, i]:.4g}) · target: '{target}' · "
            f"step loss {trace.step_losses[t]:.4g} · total loss {trace.loss:.4g}"
        )
        assert panel.summary.text() == expected
        labels = panel.value_axis.labels
        target_row = "helo".index(target)
        assert labels[target_row].endswith(" · target")
        assert sum(label.endswith(" · target") for label in labels) == 1
        assert panel.bars.opts["pens"][target_row].widthF() == 3
    assert repr(float(trace.loss)) in panel.summary.toolTip()


def test_ai_planet_scores_only_the_last_step(make_panel):
    panel = make_panel(ai_planet_spec())
    trace = panel.state.analysis.trace
    # the tutorial's first hidden state, for the record: the panel draws these numbers
    np.testing.assert_allclose(trace.hs[0], [0.44624361, 0.64107696], atol=1e-8)
    panel.session.set_cursor(0)
    text = panel.summary.text()
    assert "this step is not scored (many-to-one scores only the last step)" in text
    assert "step loss" not in text and "target" not in text
    assert text.endswith(f"total loss {trace.loss:.4g}")
    assert panel.name_axis.labels == ("negative", "positive")
    assert not any(label.endswith("target") for label in panel.value_axis.labels)
    assert panel.threshold.isVisible()  # sigmoid: the 0.5 line
    panel.session.last()
    t = trace.length - 1
    np.testing.assert_array_equal(bar_values(panel), trace.ys[t])
    i = int(np.argmax(trace.ys[t]))
    name = ("negative", "positive")[i]
    assert panel.summary.text() == (
        f"predicted: '{name}' (p = {trace.ys[t, i]:.4g}) · target: 'positive' · "
        f"step loss {trace.step_losses[t]:.4g} · total loss {trace.loss:.4g}"
    )
    assert panel.value_axis.labels[1].endswith(" · target")
    assert trace.step_losses[t] == pytest.approx(trace.loss)


def test_forty_outputs_show_the_top_ten_sorted_and_the_target(make_panel):
    panel = make_panel(vocab40_spec())
    analysis = panel.state.analysis
    trace, names = analysis.trace, analysis.built.output_names
    assert len(names) == 40
    seen_missing_target = False
    for t in range(trace.length):
        panel.session.set_cursor(t)
        y = trace.ys[t]
        values = bar_values(panel)
        top = values[:TOP_K]
        np.testing.assert_array_equal(top, np.sort(y)[::-1][:TOP_K])  # sorted, largest first
        target = names.index(analysis.built.target_tokens[t])
        rows = list(panel.order)
        assert target in rows
        np.testing.assert_array_equal(values, y[panel.order])
        assert panel.name_axis.labels == tuple(pu.display_token(names[i]) for i in rows)
        assert "showing the 10 most likely of 40 outputs" in panel.note.text()
        if len(rows) == TOP_K + 1:
            seen_missing_target = True
            assert rows[-1] == target
            rank = int(np.sum(y > y[target])) + 1
            assert f"the target is ranked {rank} and added last" in panel.note.text()
    assert seen_missing_target  # an untrained model misses some targets


def test_identity_head_shows_signed_outputs_and_target_marks(make_panel):
    panel = make_panel(series_spec())
    trace = panel.state.analysis.trace
    panel.session.set_cursor(1)
    y = trace.ys[1]
    np.testing.assert_array_equal(bar_values(panel), y)
    vmax = panel.levels[1]
    assert panel.levels == (-vmax, vmax)
    assert vmax == pytest.approx(
        pu.symmetric_vmax(
            np.concatenate([trace.ys.ravel(), trace.sample.targets[trace.sample.scored].ravel()])
        )
    )
    assert brush_rgb(panel, 0) == tuple(int(c) for c in diverging_rgb(y[0], vmax))
    xs, ys = panel.target_marks.getData()
    np.testing.assert_array_equal(xs, trace.sample.targets[1])  # the next row of the series
    np.testing.assert_array_equal(ys, [1.0, 2.0])
    assert panel.summary.text().startswith(
        "output y = " + ", ".join(pu.fmt(v) for v in y) + " · target: 0.6, 0.1 · step loss"
    )
    assert not panel.threshold.isVisible()
    lo, hi = panel.plot.vb.viewRange()[0]
    assert lo < 0 < hi and lo == pytest.approx(-hi)  # symmetric: signed values


def test_a_new_analysis_rebuilds_rows_and_text(make_panel):
    panel = make_panel(hello_spec())
    assert panel.session.set_model(head="sigmoid", loss="bce")
    trace = panel.state.analysis.trace
    np.testing.assert_array_equal(bar_values(panel), trace.ys[panel.state.cursor])
    assert panel.threshold.isVisible()
    assert f"total loss {trace.loss:.4g}" in panel.summary.text()


def test_hovering_a_row_reads_out_the_full_value(make_panel):
    panel = make_panel(hello_spec())
    scene = panel.plot.vb.mapViewToScene(QPointF(0.05, 3))
    pos: QPoint = panel.view.mapFromScene(scene)
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(pos),
        panel.view.mapToGlobal(QPointF(pos)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(panel.view.viewport(), event)
    y = float(panel.state.analysis.trace.ys[0, 2])
    assert panel.view.toolTip() == f"'l': y = {y!r}"


def test_a_single_yes_no_output_predicts_yes_or_no_and_marks_the_target_value(make_panel):
    spec = Spec(
        name="names",
        text="harry met hermione at hogwarts",
        task="many-to-many",
        classes=("name",),
        tags=(1, 0, 1, None, 0),
        hidden_size=3,
        seed=0,
        config=Config(head="sigmoid", loss="bce"),
    )
    panel = make_panel(spec)
    trace = panel.state.analysis.trace
    assert (trace.ys[:, 0] >= 0.5).any() and (trace.ys[:, 0] < 0.5).any()  # both answers
    for t, tag in enumerate((1, 0, 1, None, 0)):
        panel.session.set_cursor(t)
        p = float(trace.ys[t, 0])
        text = panel.summary.text()
        said = (
            f"predicted: 'name' (p = {p:.4g})"
            if p >= 0.5
            else (f"predicted: not 'name' (p = {p:.4g} < 0.5)")
        )
        assert text.startswith(said)
        xs, _ = panel.target_marks.getData()
        if tag is None:
            assert "this step is not scored (this token has no tag)" in text
            assert len(xs) == 0
        else:
            assert f"target: {tag} · step loss {trace.step_losses[t]:.4g}" in text
            np.testing.assert_array_equal(xs, [float(tag)])  # the tick sits at the target value
        yes = brush_rgb(panel, 0) == pu.HIGHLIGHT
        assert yes == (p >= 0.5)


def test_overflowed_outputs_are_reported_not_drawn(make_panel):
    spec = Spec(
        text="a b " * 40,
        hidden_size=4,
        init="orthogonal",
        sigma_max=1e8,
        config=Config(activation="identity"),
    )
    panel = make_panel(spec)
    trace = panel.state.analysis.trace
    panel.session.last()
    assert not np.isfinite(trace.ys[-1]).all()
    assert panel.summary.text().startswith("output y = not finite")
    assert panel.summary.text().endswith("total loss not finite")
    assert np.isfinite(bar_values(panel)).all()
    panel.view.grab()
