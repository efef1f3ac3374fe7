"""Presenter mode: F5 makes fonts and lines larger and the theme high-contrast, F5 undoes it."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QGraphicsSimpleTextItem, QLabel

from rnnviz.engine.spec import Spec
from rnnviz.session import Session
from rnnviz.ui import plot_util as pu
from rnnviz.ui.main_window import MainWindow
from rnnviz.ui.presenter import FONT_FACTOR, LINE_FACTOR, MESSAGE, install_presenter
from rnnviz.ui.theme import apply_theme, current_theme

HELLO = Spec(name="hello", text="hello", level="char", hidden_size=3, use_unk=False)


@pytest.fixture
def window(qtbot):
    app = QApplication.instance()
    font, theme = app.font(), current_theme(app)
    w = MainWindow(Session(HELLO))
    qtbot.addWidget(w)
    install_presenter(w)
    w.resize(1280, 800)
    w.show()
    w.activateWindow()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=2000)
    yield w
    w.presenter.set_active(False)
    app.setFont(font)
    apply_theme(app, theme)


def press_f5(qtbot, window) -> None:
    qtbot.keyClick(window, Qt.Key.Key_F5)


def plot_pens(window) -> dict:
    """Width of every curve and cursor line in the window's plots (by item)."""
    out = {}
    for view in window.findChildren(pg.GraphicsView):
        for item in view.scene().items():
            if isinstance(item, pg.PlotDataItem):
                pen = pg.mkPen(item.opts["pen"])
            elif isinstance(item, pg.InfiniteLine):
                pen = item.pen
            else:
                continue
            if pen.style() != Qt.PenStyle.NoPen:  # markers only: no line to thicken
                out[item] = pen.widthF()
    return out


def test_f5_scales_the_application_font_and_back(qtbot, window):
    app = QApplication.instance()
    before = app.font().pointSizeF()
    press_f5(qtbot, window)
    assert window.presenter.active
    assert app.font().pointSizeF() == pytest.approx(before * FONT_FACTOR)
    press_f5(qtbot, window)
    assert not window.presenter.active
    assert app.font().pointSizeF() == pytest.approx(before)


def test_widgets_with_their_own_font_scale_too(qtbot, window):
    # the clipping lab and the plots' axes set 10 pt fonts of their own
    lab = window.panels["lab"]
    before = lab.font().pointSizeF()
    press_f5(qtbot, window)
    assert lab.font().pointSizeF() == pytest.approx(before * FONT_FACTOR)
    axis = window.panels["hidden"].findChildren(pg.GraphicsView)[0].scene().items()
    ticks = [
        a.style["tickFont"] for a in axis if isinstance(a, pg.AxisItem) and a.style["tickFont"]
    ]
    assert ticks and all(f.pointSizeF() >= 10 * FONT_FACTOR - 0.01 for f in ticks)
    press_f5(qtbot, window)
    assert lab.font().pointSizeF() == pytest.approx(before)


def test_plot_lines_get_thicker_and_thin_again(qtbot, window):
    before = plot_pens(window)
    assert len(before) >= 3  # unit lines, cursor lines...
    press_f5(qtbot, window)
    during = plot_pens(window)
    for item, width in before.items():
        assert during[item] == pytest.approx(max(width, 1.0) * LINE_FACTOR)
    press_f5(qtbot, window)
    after = plot_pens(window)
    for item, width in before.items():
        assert after[item] == pytest.approx(width)


def test_lines_redrawn_after_an_analysis_change_are_thick(qtbot, window):
    press_f5(qtbot, window)
    window.session.set_text("hello world")  # the plots rebuild their items
    widths = plot_pens(window)
    assert widths and min(widths.values()) >= LINE_FACTOR * 0.99
    window.session.step(1)
    assert min(plot_pens(window).values()) >= LINE_FACTOR * 0.99


def test_high_contrast_palette_and_the_theme_restored(qtbot, window):
    app = QApplication.instance()
    for theme in ("dark", "light"):
        window.set_theme(theme)
        before = app.palette()
        press_f5(qtbot, window)
        pal = app.palette()
        assert pal.color(QPalette.ColorRole.Window).name() == "#000000"
        assert pal.color(QPalette.ColorRole.WindowText).name() == "#ffffff"
        assert pal.color(QPalette.ColorRole.Window) != before.color(QPalette.ColorRole.Window)
        assert pg.getConfigOption("background") == "#000000"
        assert current_theme(app) == theme  # presenter mode is not saved as the theme
        press_f5(qtbot, window)
        restored = app.palette()
        for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Text, QPalette.ColorRole.Base):
            assert restored.color(role) == before.color(role)


def test_status_bar_says_how_to_leave_and_the_menu_toggles(qtbot, window):
    label = window.statusBar().findChild(QLabel, "presenter_label")
    assert label.isHidden()
    press_f5(qtbot, window)
    assert label.isVisible() and label.text() == MESSAGE
    press_f5(qtbot, window)
    assert label.isHidden()
    # the View menu's action does the same as the key
    action = window.presenter.action
    assert action.shortcut().toString() == "F5"
    action.trigger()
    assert window.presenter.active and action.isChecked()
    action.trigger()
    assert not window.presenter.active


def plot_text_state(window) -> dict:
    """Every plot text's font size and colour, and every title's HTML (by item)."""
    out = {}
    for view in window.findChildren(pg.GraphicsView):
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem) and item.style["tickFont"] is not None:
                out[item] = (item.style["tickFont"].pointSizeF(), item.fixedWidth, item.fixedHeight)
            elif isinstance(item, pg.LabelItem):
                out[item] = item.item.toHtml()
            elif isinstance(item, QGraphicsSimpleTextItem):
                out[item] = (item.font().pointSizeF(), item.brush().color().name())
    return out


def test_plot_text_grows_turns_white_and_comes_back_exactly(qtbot, window):
    before = plot_text_state(window)
    titles = [i for i, v in before.items() if isinstance(v, str) and "hidden state h" in v]
    assert titles
    press_f5(qtbot, window)
    during = plot_text_state(window)
    assert "#ffffff" in during[titles[0]]
    ticks = [i for i, v in before.items() if isinstance(i, pg.AxisItem)]
    assert ticks and all(during[a][0] == pytest.approx(before[a][0] * FONT_FACTOR) for a in ticks)
    press_f5(qtbot, window)
    assert plot_text_state(window) == before


# -- the diagram and the output bars ----------------------------------------------------------


def diagram_look(diagram) -> dict:
    """What a viewer sees of the diagram: label and arrow sizes on screen, the layout."""
    label = diagram.label_items("W_xh")[0]
    arrow = diagram.arrow_items("W_xh")[0]
    zoom = diagram.view.zoom()
    return {
        "label_px": label.font().pixelSize(),
        "label_on_screen": label.font().pixelSize() * zoom,
        "arrow_on_screen": arrow.pen().widthF() * zoom,
        "column": diagram.column_rect(0),
        "box": diagram.box_rect(0, "x"),
        "zoom": zoom,
    }


def test_diagram_text_and_arrows_grow_and_come_back_exactly(qtbot, window):
    diagram = window.panels["diagram"]
    before = diagram_look(diagram)
    press_f5(qtbot, window)
    qtbot.wait(20)
    during = diagram_look(diagram)
    assert diagram.presenter_scale == FONT_FACTOR
    assert during["label_px"] == round(before["label_px"] * FONT_FACTOR)
    # larger where it counts, on screen, though the view still fits the diagram's height
    assert during["label_on_screen"] >= 1.25 * before["label_on_screen"]
    assert during["arrow_on_screen"] >= 1.25 * before["arrow_on_screen"]
    texts = diagram.column_texts(0)
    assert texts["token"] == "h" and "…" not in texts["vector"]  # wider columns: nothing cut
    press_f5(qtbot, window)
    qtbot.wait(20)
    assert diagram_look(diagram) == before
    assert diagram.presenter_scale == 1.0


def drawn_labels(axis) -> list[str]:
    """The tick texts pyqtgraph actually draws on ``axis`` (it drops those that do not fit)."""
    return [text for _rect, text in drawn(axis)]


@pytest.mark.parametrize("preset", ["sentiment", "hello", "ice-cream"])
def test_every_output_bar_keeps_its_label_in_presenter_mode(qtbot, window, preset):
    from rnnviz import presets

    window.session.set_spec(presets.get(preset))
    window.resize(1280, 800)
    press_f5(qtbot, window)
    qtbot.wait(50)
    panel = window.panels["output"]
    names = window.state.analysis.built.output_names
    for t in (0, window.state.analysis.length - 1):
        window.session.set_cursor(t)
        qtbot.wait(10)
        rows = [pu.display_token(names[i]) for i in panel.order]
        assert len(rows) >= 2
        assert sorted(drawn_labels(panel.name_axis)) == sorted(rows)  # every bar is named
        assert len(drawn_labels(panel.value_axis)) == len(rows)  # and has its value
    press_f5(qtbot, window)
    qtbot.wait(50)
    rows = [pu.display_token(names[i]) for i in panel.order]
    assert sorted(drawn_labels(panel.name_axis)) == sorted(rows)


# -- the diagram's toolbar, the hidden-state plots, the training plots, the docks ---------------


def drawn(axis) -> list[tuple]:
    """(rect, text) of every tick label pyqtgraph actually draws on ``axis``, in its coordinates."""
    from PySide6.QtGui import QImage, QPainter

    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [] if specs is None else [(rect, text) for rect, _flags, text in specs[2]]


def overlapping(rects) -> bool:
    return any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1 :])


def piled_up(axis) -> bool:
    """True when two labels of a vertical axis are closer than a digit's height (less 2 px:
    the digits may touch, as pyqtgraph draws a log axis's 0.09 next to 0.1 at 10 pt)."""
    from PySide6.QtGui import QFontMetricsF

    digit = QFontMetricsF(axis.style["tickFont"]).capHeight() - 2
    ys = sorted(rect.center().y() for rect, _text in drawn(axis))
    return any(b - a < digit for a, b in zip(ys, ys[1:], strict=False))


def use_preset(qtbot, window, name: str, size=(1920, 1080)) -> None:
    from rnnviz import presets

    window.session.set_spec(presets.get(name))
    window.resize(*size)
    qtbot.wait(50)


def toolbar_look(bar) -> dict:
    """Font size and text colour of what a viewer reads in the diagram's toolbar."""
    label = next(w for w in bar.findChildren(QLabel) if w.text() == "truncate BPTT")
    widgets = {
        "forward": bar.forward_button,
        "backward": bar.backward_button,
        "fit": bar.fit_button,
        "truncate": label,
        "spin": bar.truncation_spin,
        "show all": bar.show_all,
        "legend": bar.scale_label,
        "info": bar.info,
    }
    return {
        name: (w.font().pointSizeF(), w.palette().color(w.foregroundRole()).name())
        for name, w in widgets.items()
    }


def one_line(bar, *widgets) -> bool:
    """True when the widgets sit side by side on one line of the toolbar."""
    centres = [w.mapTo(bar, w.rect().center()).y() for w in widgets]
    return max(centres) - min(centres) < min(w.height() for w in widgets) / 2


def test_diagram_toolbar_grows_in_white_wraps_and_comes_back(qtbot, window):
    bar = window.panels["diagram"].toolbar
    before = toolbar_look(bar)
    assert one_line(bar, bar.fit_button, bar.truncation_spin, bar.cells_combo)  # at 10 pt
    press_f5(qtbot, window)
    qtbot.wait(50)
    during = toolbar_look(bar)
    for name, (size, _ink) in before.items():
        assert during[name][0] == pytest.approx(size * FONT_FACTOR), name
    # the labels read on the black window (a style sheet on the toolbar kept them black)
    for name in ("truncate", "spin", "show all", "legend", "info"):
        assert QColor(during[name][1]).lightnessF() > 0.8, name
    button = QPalette.ColorRole.Button  # the pass not in use looks like the other buttons
    assert bar.backward_button.palette().color(button) == bar.fit_button.palette().color(button)
    # the larger row wraps rather than asking a 1280-pixel window for more than it has
    assert window.width() == 1280
    for w in (bar.fit_button, bar.backward_button, bar.truncation_spin, bar.cells_combo):
        right = w.mapTo(bar, w.rect().topRight()).x()
        assert w.isVisible() and right <= bar.width(), w  # whole, inside the toolbar
    press_f5(qtbot, window)
    qtbot.wait(20)
    assert toolbar_look(bar) == before
    assert one_line(bar, bar.fit_button, bar.truncation_spin, bar.cells_combo)


def test_hidden_bar_title_stays_clear_of_the_colour_bar(qtbot, window):
    use_preset(qtbot, window, "ai-planet")
    panel = window.panels["hidden"]
    window.session.set_cursor(2)  # "Bootcamps": the longest title
    press_f5(qtbot, window)
    qtbot.wait(50)
    tokens = window.state.analysis.built.tokens
    for t in (2, 0, len(tokens) - 1):  # as F5 left it, then after moves
        window.session.set_cursor(t)
        title = panel.bars_title
        full = f"t = {t + 1} (“{pu.display_token(tokens[t])}”)"
        assert title.toolTip() == full
        assert title.font().pointSizeF() == pytest.approx(pu.FONT_PT * FONT_FACTOR)
        shown = title.text()
        assert shown == full or (shown.endswith("…") and full.startswith(shown[:-1]))
        assert title.sceneBoundingRect().right() <= panel.color_bar.sceneBoundingRect().left()
    press_f5(qtbot, window)
    qtbot.wait(20)
    assert panel.bars_title.font().pointSizeF() == pytest.approx(pu.FONT_PT)
    assert panel.bars_title.text() == panel.bars_title.toolTip()  # whole again at 10 pt


def test_hidden_plot_labels_fit_their_large_font(qtbot, window):
    use_preset(qtbot, window, "ai-planet")
    panel = window.panels["hidden"]
    lines_time = panel.plot_widgets["lines"].getAxis("bottom")
    press_f5(qtbot, window)
    qtbot.wait(50)
    # both units of the AI Planet network named and valued, though rows are short
    assert [text for _r, text in drawn(panel.unit_axis)] == ["1", "2"]
    assert len(drawn(panel.value_axis)) == 2
    assert drawn(lines_time)  # the timesteps under the lines are not dropped for lack of room
    for axis in (panel.token_axis, lines_time):
        rects = [rect for rect, _text in drawn(axis)]
        assert rects and not overlapping(rects)
        # the axis title sits below the tick labels, not on them
        label = axis.label.mapRectToParent(axis.label.boundingRect())
        if axis.label.isVisible():
            assert max(r.bottom() for r in rects) <= label.top() + 4
    press_f5(qtbot, window)
    qtbot.wait(20)
    assert [text for _r, text in drawn(panel.unit_axis)] == ["1", "2"]


def trained_window(qtbot, window, updates: int = 30):
    from rnnviz.engine.train import train

    session = window.session
    built = session.state.analysis.built
    snapshots = list(train(built.params, built.samples, built.config, session.train_settings()))
    session.apply_snapshots(snapshots[:updates])
    dock = window.docks["training"]
    dock.setFloating(True)  # a teacher gives the training plots room
    dock.resize(1100, 640)
    dock.show()
    qtbot.wait(100)
    plots = window.panels["training"].plots
    assert plots.mode == "grid"
    return plots


def test_training_legend_and_axes_readable_in_presenter_mode(qtbot, window):
    plots = trained_window(qtbot, window)
    legend = plots.params_plot.legend
    assert [label.text for _sample, label in legend.items][:2] == ["W_xh", "W_hh"]
    sizes = [label.opts["size"] for _sample, label in legend.items]
    brush = legend.brush().color().name()
    left = plots.loss_plot.getAxis("left")
    width = left.width()
    press_f5(qtbot, window)
    qtbot.wait(100)
    big = f"{pu.FONT_PT * FONT_FACTOR:g}pt"
    assert all(label.opts["size"] == big for _sample, label in legend.items)
    assert legend.brush().color().lightnessF() < 0.2  # white entries on a dark key
    inside = plots.params_plot.vb.sceneBoundingRect().adjusted(-1, -1, 1, 1)
    assert inside.contains(legend.sceneBoundingRect())  # no entry cut off by the plot's edge
    assert left.width() == pytest.approx(width * FONT_FACTOR, abs=1)  # room for its title
    window.docks["training"].resize(760, 640)  # narrow plots: the last label is at the edge
    qtbot.wait(100)
    for plot in (plots.loss_plot, plots.norm_plot, plots.accuracy_plot, plots.params_plot):
        texts = [text for _r, text in drawn(plot.getAxis("bottom"))]
        assert "30" in texts and "0" not in texts  # the last update; updates count from 1
        assert drawn(plot.getAxis("left")) and not piled_up(plot.getAxis("left"))
    inside = plots.params_plot.vb.sceneBoundingRect().adjusted(-1, -1, 1, 1)
    assert inside.contains(legend.sceneBoundingRect())  # more columns in a shorter plot
    press_f5(qtbot, window)
    qtbot.wait(20)
    assert [label.opts["size"] for _sample, label in legend.items] == sizes
    assert legend.brush().color().name() == brush
    assert left.width() == pytest.approx(width, abs=1)


def test_docks_get_their_sizes_back_on_leaving(qtbot, window):
    def sizes():
        return {
            name: dock.size()
            for name, dock in window.docks.items()
            if not dock.visibleRegion().isEmpty()
        }

    use_preset(qtbot, window, "sentiment", size=(1280, 800))
    window.docks["training"].raise_()
    window.docks["math"].raise_()
    qtbot.wait(50)
    before = sizes()
    press_f5(qtbot, window)
    qtbot.wait(50)
    assert sizes() != before  # the large text pushed the splitters
    window.docks["training"].raise_()  # a teacher opens another tab meanwhile
    press_f5(qtbot, window)
    qtbot.wait(100)
    window.docks["math"].raise_()
    qtbot.wait(50)
    assert sizes() == before
