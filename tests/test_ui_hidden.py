"""Hidden-state panel: heatmap colours (pixel probe), cursor line both ways, bars, lines,
unit selection and the tanh saturation view."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from tutorial_specs import ai_planet_spec

from rnnviz.engine.spec import Spec
from rnnviz.engine.trace import Config
from rnnviz.session import Session
from rnnviz.ui import colors
from rnnviz.ui import plot_util as pu
from rnnviz.ui.hidden_panel import MAX_VALUE_LABELS, SATURATION_CAPTION, HiddenStatePanel


def hello_spec(**changes) -> Spec:
    spec = Spec(
        name="hello",
        text="hello",
        level="char",
        vocab=("h", "e", "l", "o"),
        use_unk=False,
        hidden_size=3,
        seed=1,
    )
    return spec.with_(**changes)


def long_spec(T: int = 40, H: int = 16) -> Spec:
    rng = np.random.default_rng(3)
    words = ["the", "cat", "sat", "on", "a", "mat", "and", "then", "ran", "away", "dog"]
    return Spec(
        name="long",
        text=" ".join(rng.choice(words, T + 1)),
        hidden_size=H,
        seed=3,
        init="orthogonal",
        sigma_max=1.5,
    )


@pytest.fixture
def make_panel(qtbot):
    def make(spec: Spec, size=(1000, 600)) -> HiddenStatePanel:
        panel = HiddenStatePanel(Session(spec))
        qtbot.addWidget(panel)
        panel.resize(*size)
        panel.show()
        qtbot.waitExposed(panel)
        QApplication.processEvents()
        return panel

    return make


def pixel_of(panel, plot: str, x: float, y: float) -> QPoint:
    """Widget pixel (in panel.view) of the data point (x, y) in one of the panel's plots."""
    scene = panel.plot_widgets[plot].vb.mapViewToScene(QPointF(x, y))
    return panel.view.mapFromScene(scene)


def rgb_at(image, p: QPoint) -> np.ndarray:
    c = image.pixelColor(p)
    return np.array([c.red(), c.green(), c.blue()])


def h_of(panel) -> np.ndarray:
    return panel.state.analysis.trace.hs  # (T, H)


# -- the pixel probe ---------------------------------------------------------------
@pytest.mark.parametrize(
    "spec",
    [hello_spec(), ai_planet_spec(), long_spec(), hello_spec(config=Config(activation="relu"))],
    ids=["hello", "ai-planet", "T40-H16", "relu"],
)
def test_heatmap_colour_at_each_cell_is_the_colour_map_of_h(make_panel, spec):
    panel = make_panel(spec)
    hs = h_of(panel)
    T, H = hs.shape
    panel.session.set_cursor(T - 1)  # keep the cursor line off the probed columns
    QApplication.processEvents()
    vmax = panel.levels[1]
    if spec.config.activation == "tanh":
        assert panel.levels == (-1.0, 1.0)
    else:  # relu: symmetric around 0 at the largest |h|, so 0 stays white
        assert vmax == pytest.approx(np.abs(hs).max())
    image = panel.view.grab().toImage()
    cells = {(t, u) for t in range(0, T - 1, max(1, T // 7)) for u in range(0, H, max(1, H // 5))}
    assert len(cells) >= 4
    for t, u in sorted(cells):
        expected = colors.diverging_rgb(hs[t, u], vmax)
        # the centre and four points 0.3 cell from it: a shifted or stretched grid fails
        for dx, dy in [(0, 0), (-0.3, 0), (0.3, 0), (0, -0.3), (0, 0.3)]:
            got = rgb_at(image, pixel_of(panel, "heatmap", t + 1 + dx, u + 1 + dy))
            assert np.abs(got.astype(int) - expected.astype(int)).max() <= 2, (t, u, dx, dy)


def test_heatmap_rows_are_units_and_columns_are_timesteps(make_panel):
    panel = make_panel(hello_spec())
    hs = h_of(panel)
    assert panel.heatmap.image.shape == hs.T.shape  # (H, T)
    np.testing.assert_array_equal(panel.heatmap.image, hs.T)
    assert panel.token_axis.labels == ("h", "e", "l", "l")
    assert panel.plot_widgets["heatmap"].getAxis("left").labels == ("1", "2", "3")


# -- cursor: widget -> state --------------------------------------------------------
def test_setting_the_cursor_line_snaps_and_moves_the_cursor(make_panel):
    panel = make_panel(long_spec())
    line = panel.cursor_line
    line.setValue(7.4)
    line.sigPositionChangeFinished.emit(line)
    assert panel.state.cursor == 6  # timestep 7, 0-based
    assert line.value() == 7  # snapped onto the whole timestep
    panel.lines_cursor.setValue(12.6)
    assert panel.state.cursor == 12
    assert panel.cursor_line.value() == 13  # the other line follows through the state
    line.setValue(999)  # dragged past the end: clamped to the last step
    assert panel.state.cursor == h_of(panel).shape[0] - 1


def send_mouse(widget, kind, pos: QPoint, buttons) -> None:
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    event = QMouseEvent(
        kind,
        QPointF(pos),
        widget.mapToGlobal(QPointF(pos)),
        button,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def test_dragging_the_cursor_line_with_the_mouse_moves_the_cursor(make_panel, qtbot):
    panel = make_panel(long_spec())
    viewport = panel.view.viewport()
    H = h_of(panel).shape[1]
    start = pixel_of(panel, "heatmap", 1, H / 2)  # the line starts at timestep 1
    end = pixel_of(panel, "heatmap", 9.2, H / 2)
    left = Qt.MouseButton.LeftButton
    send_mouse(viewport, QEvent.Type.MouseButtonPress, start, left)
    for k in range(1, 9):
        p = start + (end - start) * (k / 8)
        send_mouse(viewport, QEvent.Type.MouseMove, p, left)
    send_mouse(viewport, QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)
    assert panel.state.cursor == 8
    assert panel.cursor_line.value() == 9


# -- cursor: state -> widget --------------------------------------------------------
def bar_values(panel) -> np.ndarray:
    return np.asarray(panel.bars.opts["x0"]) + np.asarray(panel.bars.opts["x1"])


def test_cursor_change_moves_the_lines_and_redraws_the_bars(make_panel):
    panel = make_panel(long_spec())
    hs = h_of(panel)
    image = panel.heatmap.image
    for t in (0, 5, 17, 39):
        panel.session.set_cursor(t)
        assert panel.cursor_line.value() == t + 1
        assert panel.lines_cursor.value() == t + 1
        np.testing.assert_array_equal(bar_values(panel), hs[t])
        brush = panel.bars.opts["brushes"][3].color()
        assert (brush.red(), brush.green(), brush.blue()) == tuple(
            colors.diverging_rgb(hs[t, 3], 1.0)
        )
        assert panel.bars_title.text().startswith(f"t = {t + 1} (“")
    assert panel.heatmap.image is image  # a cursor move does not rebuild the heatmap


def test_bars_show_values_only_while_few_units(make_panel):
    panel = make_panel(hello_spec())
    panel.session.set_cursor(2)
    hs = h_of(panel)
    axis = panel.value_axis
    assert axis.isVisible()
    assert axis.labels == tuple(f"{v:.4g}".replace("-", "−") for v in hs[2])
    wide = make_panel(long_spec(T=10, H=MAX_VALUE_LABELS + 4))
    assert not wide.value_axis.isVisible()


# -- unit selection ------------------------------------------------------------------
def assert_highlighted(panel, unit: int) -> None:
    """The unit's line is drawn thick on top of every other line, in its own colour."""
    lines = panel.lines
    x, y = lines.highlight.getData()
    np.testing.assert_array_equal(y, panel.state.analysis.trace.hs[:, unit])
    thick = lines.highlight.opts["pen"]
    assert thick.widthF() == 4
    others = lines.curves + ([lines.faint] if lines.faint is not None else [])
    assert all(c.opts["pen"].widthF() < 4 and c.zValue() < lines.highlight.zValue() for c in others)
    own = pu.UNIT_COLORS[unit] if unit < len(lines.curves) else pu.theme_rgb()
    assert thick.color().getRgb()[:3] == own
    bg = np.array(pu.theme_rgb("background"))
    for c in lines.curves:  # the others step back towards the background
        faded = np.array(c.opts["pen"].color().getRgb()[:3])
        assert np.abs(faded - bg).sum() < np.abs(np.array(own) - bg).sum()


def test_clicking_a_cell_selects_the_unit_and_moves_the_cursor(make_panel, qtbot):
    panel = make_panel(long_spec())
    qtbot.mouseClick(
        panel.view.viewport(), Qt.MouseButton.LeftButton, pos=pixel_of(panel, "heatmap", 12, 5)
    )
    assert panel.state.selected_unit == 4
    assert panel.state.cursor == 11
    box = panel.selection_box
    assert box.isVisible() and box.rect().center().y() == pytest.approx(5)
    assert_highlighted(panel, 4)


def isolated_point(hs: np.ndarray, units) -> tuple[float, int, int]:
    """(gap, t, u): the point of one of ``units`` furthest from every other unit's line."""
    return max(
        (float(np.min(np.abs(np.delete(hs[t], u) - hs[t, u]))), t, u)
        for t in range(1, hs.shape[0] - 1)
        for u in units
    )


def test_clicking_a_curve_selects_its_unit(make_panel, qtbot):
    panel = make_panel(long_spec(T=20, H=4))
    hs = h_of(panel)
    gap, t, u = isolated_point(hs, units=range(4))
    assert gap > 0.15  # far enough apart to click one curve only
    panel.session.set_cursor(0)
    qtbot.mouseClick(
        panel.view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=pixel_of(panel, "lines", t + 1, hs[t, u]),
    )
    assert panel.state.selected_unit == u
    assert_highlighted(panel, u)


def test_units_beyond_sixteen_share_one_faint_curve_and_stay_selectable(make_panel, qtbot):
    panel = make_panel(long_spec(T=12, H=20))
    hs = h_of(panel)
    lines = panel.lines
    assert len(lines.curves) == 16
    xs, ys = lines.faint.getData()
    # units 17..20, one after the other, separated by a NaN gap
    np.testing.assert_array_equal(ys.reshape(4, 13)[:, :12], hs[:, 16:].T)
    assert np.isnan(ys.reshape(4, 13)[:, 12]).all()
    gap, t, u = isolated_point(hs, units=range(16, 20))
    assert gap > 0.05  # far enough from every other line to click this one only
    qtbot.mouseClick(
        panel.view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=pixel_of(panel, "lines", t + 1, hs[t, u]),
    )
    assert panel.state.selected_unit == u
    assert_highlighted(panel, u)


def test_selecting_a_unit_elsewhere_highlights_it_everywhere(make_panel):
    panel = make_panel(hello_spec())
    panel.session.set_selected_unit(2)
    assert_highlighted(panel, 2)
    pens = panel.bars.opts["pens"]
    assert pens[2].widthF() > pens[0].widthF()
    assert panel.selection_box.isVisible()
    panel.session.set_selected_unit(None)
    assert not panel.selection_box.isVisible()
    assert len(panel.lines.highlight.getData()[0]) == 0


# -- saturation ------------------------------------------------------------------------
def test_saturation_toggle_shows_one_minus_h_squared(make_panel):
    panel = make_panel(long_spec())
    trace = panel.state.analysis.trace
    panel.session.set_cursor(len(trace.hs) - 1)
    panel.saturation_toggle.setChecked(True)
    QApplication.processEvents()
    sat = 1.0 - trace.hs**2
    np.testing.assert_allclose(panel.heatmap.image, sat.T, atol=1e-15)
    assert panel.levels == (0.0, 1.0)
    assert panel.caption.isVisible() and panel.caption.text() == SATURATION_CAPTION
    np.testing.assert_allclose(bar_values(panel), sat[-1], atol=1e-15)
    x, y = panel.lines.curves[5].getData()
    np.testing.assert_allclose(y, sat[:, 5], atol=1e-15)
    image = panel.view.grab().toImage()
    for t, u in [(0, 0), (7, 3), (20, 9), (33, 15)]:
        expected = colors.sequential_rgb(sat[t, u], 0.0, 1.0)
        got = rgb_at(image, pixel_of(panel, "heatmap", t + 1, u + 1))
        assert np.abs(got.astype(int) - expected.astype(int)).max() <= 2, (t, u)
    panel.saturation_toggle.setChecked(False)
    np.testing.assert_array_equal(panel.heatmap.image, trace.hs.T)
    assert not panel.caption.isVisible()


def test_saturation_is_only_for_tanh(make_panel):
    panel = make_panel(hello_spec())
    panel.saturation_toggle.setChecked(True)
    assert panel.session.set_model(activation="relu")
    assert not panel.saturation_toggle.isEnabled()
    assert not panel.saturation_toggle.isChecked()
    assert "relu" in panel.saturation_toggle.toolTip()
    np.testing.assert_array_equal(panel.heatmap.image, h_of(panel).T)  # back to h


# -- a new analysis -----------------------------------------------------------------
def test_new_text_rebuilds_heatmap_axes_and_curves(make_panel):
    panel = make_panel(hello_spec(vocab=None))  # the vocabulary follows the text
    panel.session.set_selected_unit(1)
    assert panel.session.set_text("hello hello")
    T, H = h_of(panel).shape
    assert T == 10
    assert panel.heatmap.image.shape == (H, T)
    assert len(panel.token_axis.labels) == T and panel.token_axis.labels[5] == "␣"
    assert len(panel.lines.curves) == H
    assert list(panel.cursor_line.bounds()) == [1, T]
    assert_highlighted(panel, 1)  # the selection survives


def test_hover_reads_out_the_exact_value(make_panel):
    panel = make_panel(hello_spec())
    send_mouse(
        panel.view.viewport(),
        QEvent.Type.MouseMove,
        pixel_of(panel, "heatmap", 3, 2),
        Qt.MouseButton.NoButton,
    )
    h = float(h_of(panel)[2, 1])
    assert panel.readout.text().endswith(f"h = {h!r}")  # full precision
    assert "unit 2 · t = 3" in panel.readout.text()


def test_overflowed_values_keep_the_panel_alive_and_say_where(make_panel):
    spec = Spec(
        text="a b " * 40,
        hidden_size=4,
        init="orthogonal",
        sigma_max=1e8,
        config=Config(activation="identity"),
    )
    panel = make_panel(spec)
    hs = h_of(panel)
    assert not np.isfinite(hs).all()  # the identity cell overflowed float64
    # the engine names the first quantity that overflowed (z_t before h_t) and its step
    assert re.match(r"⚠ [zh]_\d+ is not a finite number", panel.readout.text())
    vmax = panel.levels[1]
    assert np.isfinite(vmax) and vmax == np.abs(hs[np.isfinite(hs)]).max()
    last = hs.shape[0] - 1
    panel.session.set_cursor(last)
    assert np.isfinite(bar_values(panel)).all()  # nothing to draw is drawn as 0
    assert "not finite" in panel.value_axis.labels
    QApplication.processEvents()
    panel.view.grab()  # paints without raising
