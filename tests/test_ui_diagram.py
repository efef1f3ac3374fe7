"""Unrolled network diagram: columns, cursor both ways, unit selection, shared-weight hover,
cell colours, notation, rebuilds, zoom, and a T = 100, H = 64 network; the backward phase:
reversed arrows sized by the engine's gradient norms, the truncation band and its caption."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPalette, QWheelEvent
from PySide6.QtWidgets import QApplication, QToolTip

from rnnviz.engine.spec import Spec
from rnnviz.engine.trace import Config, run
from rnnviz.session import Session
from rnnviz.ui.colors import SEQUENTIAL_LUT, diverging_rgb
from rnnviz.ui.diagram_items import CellRef, CellStrip
from rnnviz.ui.diagram_panel import DiagramPanel
from rnnviz.ui.diagram_tips import grad_label, short

AI_VOCAB = ("<unk>", "AI", "Planet", "Bootcamps", "are", "free", "and", "available", "to", "all")


def ai_planet_spec() -> Spec:
    E = np.zeros((10, 3))
    E[1] = [0.1, 0.2, 0.3]
    E[2:] = np.arange(2, 10)[:, None] * np.array([0.1, -0.05, 0.02])
    return Spec(
        name="AI Planet",
        text="AI Planet Bootcamps are free",
        level="word",
        vocab=AI_VOCAB,
        encoding="embedding",
        embedding_size=3,
        hidden_size=2,
        task="many-to-one",
        classes=("negative", "positive"),
        label="positive",
        config=Config(head="sigmoid", loss="bce"),
        params={
            "W_xh": [[0.5, 0.6, 0.7], [0.8, 0.9, 1.0]],
            "W_hh": [[0.1, 0.2], [0.3, 0.4]],
            "b_h": [0.1, 0.2],
            "W_hy": [[0.2, 0.3], [0.4, 0.5]],
            "b_y": [0.3, 0.4],
            "E": E.tolist(),
        },
    )


def make_panel(qtbot, spec: Spec, size=(1000, 600)) -> DiagramPanel:
    panel = DiagramPanel(Session(spec))
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


@pytest.fixture
def hello(qtbot):
    return make_panel(qtbot, Spec(name="hello", text="hello", level="char", hidden_size=3))


@pytest.fixture
def planet(qtbot):
    return make_panel(qtbot, ai_planet_spec())


def click_scene(qtbot, panel: DiagramPanel, p: QPointF) -> None:
    qtbot.mouseClick(
        panel.view.viewport(), Qt.MouseButton.LeftButton, pos=panel.view.mapFromScene(p)
    )


def brush_rgb(item) -> tuple[int, int, int]:
    c = item.brush().color()
    return (c.red(), c.green(), c.blue())


def test_one_column_per_timestep_with_token_and_vector(planet):
    trace = planet.state.analysis.trace
    assert planet.column_count == trace.length == 5
    texts = planet.column_texts(0)
    assert texts["token"] == "AI"
    assert texts["vector"] == "[0.1, 0.2, 0.3]"  # the embedding row, small, since it fits
    # h_0 has its own cells, left of step 1
    assert planet.unit_item(-1, 0).rect().right() < planet.column_rect(0).left()
    # every column sits to the right of the previous one, without overlap
    rights = [planet.column_rect(t).right() for t in range(5)]
    lefts = [planet.column_rect(t).left() for t in range(5)]
    assert all(r < n for r, n in zip(rights, lefts[1:], strict=False))


def test_cursor_change_moves_the_highlight_and_dims_later_steps(planet):
    session = planet.session
    assert planet.cursor_rect() == planet.column_rect(0)
    session.set_cursor(2)
    assert planet.cursor_rect() == planet.column_rect(2)
    assert [planet.is_dimmed(t) for t in range(5)] == [False, False, False, True, True]
    planet.show_all.setChecked(True)  # the "show all steps" toggle turns dimming off
    assert not any(planet.is_dimmed(t) for t in range(5))
    planet.show_all.setChecked(False)
    session.set_phase("backward")  # the backward playhead has not reached earlier steps yet
    assert [planet.is_dimmed(t) for t in range(5)] == [True, True, False, False, False]
    session.set_phase("forward")
    session.last()
    assert not any(planet.is_dimmed(t) for t in range(5))


def test_stepping_forward_fades_the_new_column_in(planet, qtbot):
    fade = planet._fade
    planet.session.step(1)
    assert fade.opacity() > 0.5 and fade.rect().intersects(planet.column_rect(1))
    qtbot.waitUntil(lambda: fade.opacity() == 0.0, timeout=2000)


def test_cursor_moves_do_not_rebuild_the_scene(planet):
    cell = planet.unit_item(3, 1)
    count = len(planet.scene.items())
    for t in (4, 0, 3):
        planet.session.set_cursor(t)
    assert planet.unit_item(3, 1).strip is cell.strip  # the same scene item, refilled
    assert len(planet.scene.items()) == count


def test_clicking_a_column_moves_the_cursor(planet, qtbot):
    for t in (3, 1, 4):
        click_scene(qtbot, planet, planet.column_rect(t).center())
        assert planet.state.cursor == t
    # a click in the column's caption area (not on a unit) moves the cursor only
    r = planet.column_rect(2)
    click_scene(qtbot, planet, QPointF(r.center().x(), r.bottom() - 6))
    assert planet.state.cursor == 2


def test_clicking_a_unit_selects_it_everywhere(planet, qtbot):
    state = planet.state
    assert state.selected_unit is None
    click_scene(qtbot, planet, planet.unit_item(1, 1).sceneBoundingRect().center())
    assert (state.selected_unit, state.cursor) == (1, 1)
    outline = planet.selection_path()
    for t in range(-1, 5):  # outlined in every column, h_0 included
        assert outline.contains(planet.unit_item(t, 1).sceneBoundingRect().center())
        assert not outline.contains(planet.unit_item(t, 0).sceneBoundingRect().center())
    click_scene(qtbot, planet, planet.unit_item(3, 0).sceneBoundingRect().center())
    assert (state.selected_unit, state.cursor) == (0, 3)
    click_scene(qtbot, planet, planet.unit_item(3, 0).sceneBoundingRect().center())
    assert state.selected_unit is None  # clicking the selected unit again clears it
    assert planet.selection_path().isEmpty()


def test_highlighting_a_matrix_lights_every_use(planet):
    T = planet.column_count
    assert all(len(planet.arrow_items(m)) == T for m in ("W_xh", "W_hh", "W_hy"))
    planet.highlight_matrix("W_hh")
    assert all(a.highlighted for a in planet.arrow_items("W_hh"))
    assert not any(a.highlighted for a in planet.arrow_items("W_xh") + planet.arrow_items("W_hy"))
    assert planet.info.text() == (
        "W_hh (2×2, hidden → hidden, the recurrence) is shared by all 5 steps: "
        "[[0.1, 0.2], [0.3, 0.4]]"
    )
    planet.highlight_matrix(None)
    assert not any(a.highlighted for a in planet.arrow_items("W_hh"))


def test_hovering_an_arrow_highlights_and_explains_the_shared_matrix(planet, qtbot):
    arrow = planet.arrow_items("W_hh")[2]
    mid = arrow.mapToScene(arrow.path().pointAtPercent(0.4))
    viewport = planet.view.viewport()
    qtbot.mouseMove(viewport, planet.view.mapFromScene(mid))
    qtbot.waitUntil(lambda: planet.highlighted_matrix == "W_hh", timeout=2000)
    assert sum(a.highlighted for a in planet.arrow_items("W_hh")) == planet.column_count
    tip = planet.tooltip_at(mid)
    assert "the same W_hh (2×2) is used at every step" in tip
    assert "0.1" in tip and "0.4" in tip  # its values
    # the label names the same matrix
    label = planet.label_items("W_xh")[0]
    tip = planet.tooltip_at(label.sceneBoundingRect().center())
    assert "the same W_xh (2×3) is used at every step" in tip
    qtbot.mouseMove(viewport, planet.view.mapFromScene(planet.column_rect(0).topLeft()))
    qtbot.waitUntil(lambda: planet.highlighted_matrix is None, timeout=2000)


def test_cell_colours_follow_the_shared_map(planet):
    hs = planet.state.analysis.trace.hs
    assert planet.vmax == 1.0  # tanh: the colour scale is the range of tanh
    for t in range(hs.shape[0]):
        for u in range(hs.shape[1]):
            assert brush_rgb(planet.unit_item(t, u)) == tuple(diverging_rgb(hs[t, u], 1.0))


def test_relu_cells_scale_to_the_largest_value(qtbot):
    panel = make_panel(
        qtbot, Spec(text="abcabc", level="char", hidden_size=4, config=Config(activation="relu"))
    )
    trace = panel.state.analysis.trace
    peak = max(np.abs(trace.hs).max(), np.abs(trace.params.h0).max())
    assert panel.vmax == pytest.approx(peak) and peak > 0
    assert f"+{peak:.4g}" in panel.scale_label.text()  # the legend shows the scale
    for t, u in ((0, 0), (2, 3), (4, 1)):
        expected = tuple(diverging_rgb(trace.hs[t, u], panel.vmax))
        assert brush_rgb(panel.unit_item(t, u)) == expected


def test_rendered_cell_shows_its_colour_and_hides_numbers_when_small(hello, qtbot):
    hs = hello.state.analysis.trace.hs
    hello.session.last()  # nothing dimmed
    item = hello.unit_item(1, 0)
    image = hello.view.grab().toImage()
    rect = hello.view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    corner = image.pixelColor(rect.left() + 3, rect.top() + 3)
    assert corner == QColor(*diverging_rgb(hs[1, 0], 1.0))
    row = [image.pixelColor(x, rect.center().y()) for x in range(rect.left() + 3, rect.right() - 3)]
    assert len(set(c.rgb() for c in row)) > 2  # the value is written in the cell
    hello.view.resetTransform()
    hello.view.scale(0.25, 0.25)  # cells 6 px high: numbers would be noise
    hello.view.centerOn(item.sceneBoundingRect().center())
    image = hello.view.grab().toImage()
    rect = hello.view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    inner = [
        image.pixelColor(x, y).rgb()
        for x in range(rect.left() + 2, rect.right() - 1)
        for y in range(rect.top() + 2, rect.bottom() - 1)
    ]
    assert set(inner) == {QColor(*diverging_rgb(hs[1, 0], 1.0)).rgb()}


def test_hover_text_gives_exact_values(planet):
    trace = planet.state.analysis.trace
    tip = planet.tooltip_at(planet.unit_item(0, 0).sceneBoundingRect().center())
    assert repr(float(trace.hs[0, 0])) in tip and repr(float(trace.zs[0, 0])) in tip
    assert trace.hs[0, 0] == pytest.approx(0.44624361, abs=1e-8)  # the tutorial's h_1
    y_last = planet.tooltip_at(planet.box_rect(4, "y").topLeft() + QPointF(4, 4))
    assert repr(float(trace.step_losses[4])) in y_last and "target: positive" in y_last
    assert repr(float(trace.ys[4, 1])) in y_last
    y_first = planet.tooltip_at(planet.box_rect(0, "y").center())
    assert "not scored" in y_first
    x_first = planet.tooltip_at(planet.box_rect(0, "x").center())
    assert "AI" in x_first and "row 1 of E" in x_first and "0.3" in x_first


def test_only_scored_steps_show_target_and_loss(planet):
    trace = planet.state.analysis.trace
    last = planet.column_texts(4)
    assert last["target"] == "target: positive"
    assert last["loss"] == f"loss {float(trace.step_losses[4]):.4g}"
    for t in range(4):
        assert planet.column_texts(t)["target"] == planet.column_texts(t)["loss"] == ""
    # the prediction: the likelier class and its probability, 4 significant digits
    k = int(np.argmax(trace.ys[0]))
    assert planet.column_texts(0)["pred"] == ("negative", "positive")[k]
    assert planet.column_texts(0)["prob"] == f"p = {trace.ys[0, k]:.4g}"


def test_notation_switch_relabels_every_arrow(planet):
    session = planet.session
    expected = {
        "xh": ("W_xh", "W_hh", "W_hy"),
        "uvw": ("U", "W", "V"),
        "ax": ("W_ax", "W_aa", "W_ya"),
    }
    for notation in ("uvw", "ax", "xh"):
        session.set_notation(notation)
        for m, name in zip(("W_xh", "W_hh", "W_hy"), expected[notation], strict=True):
            assert {label.text() for label in planet.label_items(m)} == {name}
    session.set_notation("uvw")
    planet.highlight_matrix("W_hh")
    assert planet.info.toolTip().startswith("W (2×2, hidden → hidden")


def test_a_new_text_rebuilds_the_columns_with_new_values(planet):
    session = planet.session
    assert session.set_text("AI Planet are free and available to all")
    trace = planet.state.analysis.trace
    assert planet.column_count == trace.length == 8
    assert planet.column_texts(7)["token"] == "all"
    assert len(planet.arrow_items("W_hh")) == 8
    for t in range(8):
        assert brush_rgb(planet.unit_item(t, 1)) == tuple(diverging_rgb(trace.hs[t, 1], 1.0))
    assert planet.column_texts(7)["target"] == "target: positive"
    assert planet.column_texts(4)["target"] == ""  # the old last step is no longer scored
    assert session.set_text("AI all")
    assert planet.column_count == 2
    assert planet.scene.sceneRect().right() < planet.column_rect(2).left() + 10
    # a refused change keeps the diagram of the last valid text
    assert not session.set_text("")
    assert planet.column_count == 2 and planet.state.error


def test_new_hidden_size_rebuilds_as_a_strip(planet):
    planet.session.set_model(hidden_size=20, seed=3)
    trace = planet.state.analysis.trace
    assert trace.hs.shape[1] == 20
    assert planet.unit_item(2, 19).rect().height() < 15  # a thin strip, no numbers
    assert brush_rgb(planet.unit_item(2, 19)) == tuple(diverging_rgb(trace.hs[2, 19], 1.0))


def test_zoom_buttons_and_fit(qtbot):
    words = " ".join(["the cat sat on the mat"] * 7)  # T = 41: readable zoom, scrolls
    panel = make_panel(qtbot, Spec(text=words, hidden_size=16, seed=1))
    view = panel.view
    start = view.zoom()
    assert 0.7 <= start <= 1.0  # 13 px labels stay >= 9 px on screen
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert shown.left() <= panel.unit_item(-1, 0).rect().left()  # it starts at h_0
    panel.session.set_cursor(35)  # off screen at first: the view follows the cursor
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert shown.contains(panel.column_rect(35).center())
    qtbot.mouseClick(panel.zoom_in_button, Qt.MouseButton.LeftButton)
    assert view.zoom() == pytest.approx(start * 1.25)
    qtbot.mouseClick(panel.zoom_out_button, Qt.MouseButton.LeftButton)
    assert view.zoom() == pytest.approx(start)
    qtbot.mouseClick(panel.fit_button, Qt.MouseButton.LeftButton)  # the overview
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert shown.contains(panel.column_rect(0)) and shown.contains(panel.column_rect(40))


def test_short_text_fits_the_view(hello):
    shown = hello.view.mapToScene(hello.view.viewport().rect()).boundingRect()
    assert shown.contains(hello.scene.sceneRect().adjusted(2, 2, -2, -2))


def test_long_wide_network_builds_and_follows_the_cursor(qtbot):
    rng = np.random.default_rng(0)
    words = " ".join(rng.choice(["a", "b", "c", "d", "e"], 101))
    panel = make_panel(qtbot, Spec(text=words, hidden_size=64, seed=2))
    trace = panel.state.analysis.trace
    assert panel.column_count == trace.length == 100
    assert len(panel.arrow_items("W_hh")) == 100
    for t, u in ((0, 0), (57, 33), (99, 63)):
        assert brush_rgb(panel.unit_item(t, u)) == tuple(diverging_rgb(trace.hs[t, u], 1.0))
    panel.session.last()
    assert panel.cursor_rect() == panel.column_rect(99)
    shown = panel.view.mapToScene(panel.view.viewport().rect()).boundingRect()
    assert shown.contains(panel.column_rect(99).center())
    tip = panel.tooltip_at(panel.unit_item(99, 63).sceneBoundingRect().center())
    assert repr(float(trace.hs[99, 63])) in tip


def test_ctrl_wheel_zooms_and_plain_wheel_does_not(hello, qtbot):
    view = hello.view
    before = view.zoom()
    viewport = view.viewport()
    centre = QPointF(viewport.rect().center())

    def wheel(modifiers):
        event = QWheelEvent(
            centre,
            QPointF(viewport.mapToGlobal(centre.toPoint())),
            QPoint(),
            QPoint(0, 120),
            Qt.MouseButton.NoButton,
            modifiers,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(viewport, event)

    wheel(Qt.KeyboardModifier.NoModifier)
    assert view.zoom() == pytest.approx(before)
    wheel(Qt.KeyboardModifier.ControlModifier)
    assert view.zoom() == pytest.approx(before * 1.15)
    hello.resize(700, 500)  # the user's zoom survives a resize
    assert view.zoom() == pytest.approx(before * 1.15)


def test_overflowed_values_are_grey_and_explained(qtbot):
    spec = Spec(text="abababab", level="char", hidden_size=2, config=Config(activation="relu"))
    panel = make_panel(qtbot, spec)
    W_hy = panel.state.analysis.built.params.W_hy.tolist()
    huge = {"W_xh": [[1e300] * 3] * 2, "W_hh": 1e300, "W_hy": W_hy}
    assert panel.session.set_spec(spec.with_(params=huge))
    hs = panel.state.analysis.trace.hs
    assert np.isinf(hs[1, 0]) and np.isnan(hs[3, 1])  # the engine overflowed
    assert panel.vmax == 1e300  # the largest finite value
    assert brush_rgb(panel.unit_item(1, 0)) == brush_rgb(panel.unit_item(3, 1)) == (128, 128, 128)
    assert "h₄[2] = nan" in panel.tooltip_at(panel.unit_item(3, 1).sceneBoundingRect().center())


def test_a_new_palette_recolours_the_scene(hello):
    palette = QPalette(hello.palette())
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1f22"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#e8e8e8"))
    hello.setPalette(palette)
    assert hello.scene.backgroundBrush().color() == QColor("#1e1f22")
    assert hello.label_items("W_hh")[0].brush().color() == QColor("#e8e8e8")
    assert hello.column_count == hello.state.analysis.length


def test_dragging_pans_without_moving_the_cursor(qtbot):
    words = " ".join(["the cat sat on the mat"] * 7)
    panel = make_panel(qtbot, Spec(text=words, hidden_size=4, seed=1))
    bar = panel.view.horizontalScrollBar()
    assert bar.maximum() > 0  # too long to fit: it scrolls
    viewport = panel.view.viewport()
    start = viewport.rect().center()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for dx in (20, 60, 120):
        qtbot.mouseMove(viewport, start - QPoint(dx, 0))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start - QPoint(120, 0))
    assert bar.value() > 0  # dragged to the right part of the sequence
    assert panel.state.cursor == 0 and panel.state.selected_unit is None


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen tooltip window
def test_hovering_a_unit_shows_the_exact_values_in_a_tooltip(planet):
    trace = planet.state.analysis.trace
    viewport = planet.view.viewport()
    pos = planet.view.mapFromScene(planet.unit_item(1, 1).sceneBoundingRect().center())
    help_event = QHelpEvent(QEvent.Type.ToolTip, pos, viewport.mapToGlobal(pos))
    QApplication.sendEvent(viewport, help_event)
    text = QToolTip.text()
    assert f"h₂[2] = {float(trace.hs[1, 1])!r}" in text
    assert f"z₂[2] = {float(trace.zs[1, 1])!r}" in text
    QToolTip.hideText()


# -- the backward pass (issue 4) ---------------------------------------------------------------
def lut_position(color: QColor) -> int:
    """Where a colour sits on the sequential map (first matching entry)."""
    rgb = np.array([color.red(), color.green(), color.blue()])
    hits = np.flatnonzero((rgb == SEQUENTIAL_LUT).all(axis=1))
    assert hits.size, f"{rgb} is not a colour of the sequential map"
    return int(hits[0])


def assert_same_order(magnitudes, widths, positions) -> None:
    """Larger gradient, wider and brighter item: the order of the norms is kept."""
    order = np.argsort(magnitudes, kind="stable")
    assert np.all(np.diff(np.asarray(widths)[order]) >= -1e-9)
    assert np.all(np.diff(np.asarray(positions)[order]) >= 0)


def test_backward_phase_reverses_arrows_and_dims_earlier_steps(planet, qtbot):
    session, T = planet.session, planet.column_count
    session.set_cursor(2)
    assert all(a.isVisible() for a in planet.arrow_items("W_hy") + planet.arrow_items("W_hh"))
    session.set_phase("backward")
    assert not any(a.isVisible() for a in planet.arrow_items("W_hy") + planet.arrow_items("W_hh"))
    for t in range(T):
        local, h, y = (
            planet.backward_arrow(t, "local"),
            planet.box_rect(t, "h"),
            planet.box_rect(t, "y"),
        )
        assert local.isVisible()
        # from the output y_t down into h_t (forward it went up from h_t to y_t)
        assert local.p1.y() < local.p2.y()
        assert abs(local.p1.y() - y.bottom()) < 4 and abs(local.p2.y() - h.top()) < 10
        # from h_t back to h_{t-1} (forward it went right, from h_{t-1} to h_t)
        carried = planet.backward_arrow(t - 1, "carried")
        assert carried.isVisible() and carried.p1.x() > carried.p2.x()
        assert abs(carried.p1.x() - h.left()) < 10
        assert abs(carried.p2.x() - planet.box_rect(t - 1, "h").right()) < 10
    assert [planet.is_dimmed(t) for t in range(T)] == [True, True, False, False, False]
    session.step(-1)  # the playhead walks back: step 2 is reached and fades in
    assert [planet.is_dimmed(t) for t in range(T)] == [True, False, False, False, False]
    assert planet._fade.opacity() > 0.5 and planet._fade.rect().intersects(planet.column_rect(1))
    qtbot.waitUntil(lambda: planet._fade.opacity() == 0.0, timeout=2000)
    session.first()
    assert not any(planet.is_dimmed(t) for t in range(T))
    session.set_phase("forward")
    assert planet.arrow_items("W_hh")[0].isVisible()
    assert not planet.backward_arrow(0, "local").isVisible()


def test_phase_buttons_set_the_phase_and_follow_it(planet, qtbot):
    bar, state = planet.controls, planet.state
    assert bar.forward_button.isChecked() and not bar.cells_combo.isEnabled()
    qtbot.mouseClick(bar.backward_button, Qt.MouseButton.LeftButton)
    assert state.phase == "backward" and bar.cells_combo.isEnabled()
    assert "gradient it carries" in planet.info.toolTip()
    qtbot.mouseClick(bar.forward_button, Qt.MouseButton.LeftButton)
    assert state.phase == "forward"
    planet.session.set_phase("backward")  # state -> widget
    assert bar.backward_button.isChecked() and not bar.forward_button.isChecked()


def test_arrow_and_ring_sizes_follow_the_gradient_norms(qtbot):
    panel = make_panel(qtbot, Spec(text="the cat sat on the mat", hidden_size=4, seed=3))
    panel.session.set_phase("backward")
    trace = panel.state.analysis.trace
    T = trace.length
    rings = [panel.gradient_item(t) for t in range(T)]
    # the rings carry the engine's ||dL/dh_t|| and grow with it (width and colour)
    np.testing.assert_array_equal([r.magnitude for r in rings], trace.dh_norms)
    assert len(set(np.round(trace.dh_norms, 12))) == T  # distinct: the order is meaningful
    widths = [r.pen().widthF() for r in rings]
    assert_same_order(trace.dh_norms, widths, [lut_position(r.pen().color()) for r in rings])
    assert max(widths) > min(widths) + 1  # visibly different
    # the largest gradient of the pass is the widest, brightest item
    top = int(np.argmax(trace.dh_norms))
    assert lut_position(rings[top].pen().color()) == 255
    for kind, vectors in (("local", trace.dh_local), ("carried", trace.dh_carried)):
        arrows = [panel.backward_arrow(t, kind) for t in range(T - (kind == "carried"))]
        norms = np.linalg.norm(vectors[: len(arrows)], axis=1)
        np.testing.assert_allclose([a.magnitude for a in arrows], norms, rtol=0, atol=0)
        assert_same_order(norms, [a.width for a in arrows], [lut_position(a.color) for a in arrows])
    # one scale for all: the same norm would get the same width whatever carries it
    local, carried = panel.backward_arrow(2, "local"), panel.backward_arrow(2, "carried")
    assert (local.width < carried.width) == (local.magnitude < carried.magnitude)
    # nothing is carried into the last state: no arrow comes from beyond the sequence
    assert not trace.dh_carried[T - 1].any() and len(panel._backward.columns) == T + 1
    # the arrow into h_0 carries the engine's dL/dh_0
    assert panel.backward_arrow(-1, "carried").magnitude == np.linalg.norm(trace.grads["h0"])


def test_unscored_steps_get_no_local_gradient(planet):
    planet.session.set_phase("backward")
    trace = planet.state.analysis.trace
    assert [planet.backward_arrow(t, "local").drawn for t in range(5)] == [False] * 4 + [True]
    assert planet.backward_arrow(4, "local").magnitude == np.linalg.norm(trace.dh_local[4])


def test_each_h_box_says_its_gradient_norm(planet):
    planet.session.set_phase("backward")
    trace = planet.state.analysis.trace
    for t in range(5):
        label = planet.gradient_label(t)
        assert label == grad_label(trace.dh_norms[t]) and "…" not in label
        value = float(label.split("= ")[1])
        assert value == pytest.approx(trace.dh_norms[t], rel=5e-3)
    assert planet.gradient_label(4).startswith("‖∂L/∂h‖ = ")
    assert float(planet.gradient_label(-1).split("= ")[1]) == pytest.approx(
        np.linalg.norm(trace.grads["h0"]), rel=5e-3
    )
    assert short(3.21456e-4) == "3.21e-4" and short(0.0322) == "0.0322" and short(0.0) == "0"


def test_truncation_spin_box_sets_the_config_and_draws_the_band(planet):
    session, spin = planet.session, planet.controls.truncation_spin
    assert spin.text() == "off" and planet.band_rect() is None and not planet.caption.isVisible()
    session.set_cursor(4)
    spin.setValue(2)  # widget -> state
    trace = planet.state.analysis.trace
    assert trace.config.truncation == 2
    band = planet.band_rect()
    inside = [t for t in range(5) if band.contains(planet.column_rect(t))]
    assert inside == [3, 4]  # exactly k columns, ending at the cursor
    assert not band.intersects(planet.column_rect(2))
    # the caption: ||dL/dh (full BPTT) - dL/dh (TBPTT)|| just before the band, from the engine
    full = run(trace.params, trace.sample, replace(trace.config, truncation=None))
    dropped = float(np.linalg.norm(full.dh[2] - trace.dh[2]))
    assert dropped > 0
    text = planet.caption.text()
    assert text.startswith("TBPTT(2) discards the gradient from earlier steps: ‖discarded‖ = ")
    assert f"= {dropped:.4g} at h₃" in text and repr(dropped) in planet.caption.toolTip()
    session.set_cursor(3)  # the band follows the cursor
    inside = [t for t in range(5) if planet.band_rect().contains(planet.column_rect(t))]
    assert inside == [2, 3]
    session.set_model(truncation=3)  # state -> widget
    assert spin.value() == 3
    inside = [t for t in range(5) if planet.band_rect().contains(planet.column_rect(t))]
    assert inside == [1, 2, 3]
    spin.setValue(0)
    assert planet.state.analysis.trace.config.truncation is None and planet.band_rect() is None


def test_cells_can_show_the_gradient_in_the_backward_phase(hello):
    session, combo = hello.session, hello.controls.cells_combo
    trace = session.state.analysis.trace
    session.set_phase("backward")
    combo.setCurrentIndex(combo.findData("dh"))
    grads = np.vstack([trace.grads["h0"], trace.dh])
    vmax = np.abs(grads).max()
    assert hello.vmax == vmax and hello.scale_label.text().startswith("∂L/∂h:")
    for t in range(-1, trace.length):
        for u in range(3):
            assert brush_rgb(hello.unit_item(t, u)) == tuple(diverging_rgb(grads[t + 1, u], vmax))
    session.set_phase("forward")  # forward, the cells show h again
    assert brush_rgb(hello.unit_item(1, 0)) == tuple(diverging_rgb(trace.hs[1, 0], 1.0))
    assert hello.scale_label.text().startswith("h:")


def test_notation_switch_in_the_backward_phase_names_the_transposes(planet):
    session = planet.session
    session.set_phase("backward")
    expected = {"xh": ("W_hyᵀ", "W_hhᵀ"), "uvw": ("Vᵀ", "Wᵀ"), "ax": ("W_yaᵀ", "W_aaᵀ")}
    for notation in ("uvw", "ax", "xh"):
        session.set_notation(notation)
        for m, name in zip(("W_hy", "W_hh"), expected[notation], strict=True):
            assert {label.text() for label in planet.label_items(m)} == {name}
    tip = planet.tooltip_at(planet.backward_arrow(1, "carried").sceneBoundingRect().center())
    assert "W_hhᵀ·∂L/∂z₃" in tip
    session.set_notation("uvw")
    tip = planet.tooltip_at(planet.backward_arrow(1, "carried").sceneBoundingRect().center())
    assert "Wᵀ·∂L/∂z₃" in tip
    session.set_phase("forward")
    assert {label.text() for label in planet.label_items("W_hh")} == {"W"}


def test_backward_hover_texts_give_exact_gradients(planet):
    planet.session.set_phase("backward")
    trace = planet.state.analysis.trace
    arrow = planet.backward_arrow(4, "local")
    tip = planet.tooltip_at(arrow.mapToScene(QPointF(0, 10)))
    assert "from y₅ back to h₅" in tip and repr(float(np.linalg.norm(trace.dh_local[4]))) in tip
    tip = planet.tooltip_at(planet.unit_item(2, 1).sceneBoundingRect().center())
    assert f"∂L/∂h₃[2] = {float(trace.dh[2, 1])!r}" in tip
    assert f"∂L/∂z₃[2] = f′ · ∂L/∂h = {float(trace.dz[2, 1])!r}" in tip
    planet.highlight_matrix("W_hh")  # hovering W_hh lights its transposed uses
    assert all(planet.backward_arrow(t, "carried").highlighted for t in range(-1, 4))
    assert not planet.backward_arrow(0, "local").highlighted


def test_backward_phase_at_t100_h64_keeps_cursor_moves_cheap(qtbot):
    rng = np.random.default_rng(0)
    words = " ".join(rng.choice(["a", "b", "c", "d", "e"], 101))
    panel = make_panel(qtbot, Spec(text=words, hidden_size=64, seed=2))
    panel.session.set_phase("backward")
    panel.session.last()
    count = len(panel.scene.items())
    for t in (98, 50, 3):
        panel.session.set_cursor(t)
    assert len(panel.scene.items()) == count
    trace = panel.state.analysis.trace
    assert panel.gradient_item(57).magnitude == trace.dh_norms[57]


def test_a_new_text_in_the_backward_phase_redraws_the_gradients(planet):
    session = planet.session
    session.set_phase("backward")
    session.set_cursor(3)
    planet.show_all.setChecked(True)  # no veil over the steps not reached yet
    assert not any(planet.is_dimmed(t) for t in range(5))
    planet.show_all.setChecked(False)
    assert session.set_text("AI Planet are free and available to all")
    trace = planet.state.analysis.trace
    assert trace.length == 8
    np.testing.assert_array_equal(
        [planet.gradient_item(t).magnitude for t in range(8)], trace.dh_norms
    )
    assert not any(a.isVisible() for a in planet.arrow_items("W_hh"))  # new columns too
    assert all(planet.backward_arrow(t, "local").isVisible() for t in range(8))
    assert {label.text() for label in planet.label_items("W_hh")} == {"W_hhᵀ"}
    assert planet.gradient_label(7) == grad_label(trace.dh_norms[7])


def edited_long_panel(qtbot, seed: int) -> DiagramPanel:
    """T = 100, H = 64, after a text edit: only the columns in view were written."""
    rng = np.random.default_rng(seed)
    words = " ".join(rng.choice(["a", "b", "c", "d", "e"], 101))
    panel = make_panel(qtbot, Spec(text=words, hidden_size=64, seed=2))
    panel.session.set_text(" ".join(rng.choice(["a", "b", "c", "d", "e"], 101)))
    return panel


def test_columns_scrolled_into_view_show_the_new_values_on_screen(qtbot):
    # the rest must be right by the time they scroll in (probed on screen, not through
    # unit_item, which fills the column it is asked for)
    panel = edited_long_panel(qtbot, 1)
    trace = panel.state.analysis.trace
    panel.session.last()  # scrolls to the end
    qtbot.wait(20)
    image = panel.view.viewport().grab().toImage()
    cell = panel._geo.cell(100, 10)  # column of t = 99, unit 10: not touched through the API
    at = panel.view.mapFromScene(cell.center())
    pixel = image.pixelColor(at.x(), at.y())
    assert (pixel.red(), pixel.green(), pixel.blue()) == tuple(diverging_rgb(trace.hs[99, 10], 1.0))


def test_the_exported_diagram_has_every_column_filled(qtbot):
    panel = edited_long_panel(qtbot, 3)
    trace = panel.state.analysis.trace
    scene = panel.export_scene()
    for t in (40, 70, 99):  # far off screen at the start
        at = panel._geo.cell(t + 1, 5).center()
        (strip,) = [it for it in scene.items(at) if isinstance(it, CellStrip)]
        assert brush_rgb(CellRef(strip, 5)) == tuple(diverging_rgb(trace.hs[t, 5], 1.0))
