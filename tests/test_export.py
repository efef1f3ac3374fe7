"""Figure export from the app: File ▸ Export, the plots' context menus, figure bundles.

Every view is exported in every format it offers through the real menu
actions (dialogs patched), and the files are checked as a user would: the PNG
decodes at the asked size and dpi, the SVG is XML with an <svg> root and
drawing elements, the CSV holds the engine's numbers bit for bit.
"""

from __future__ import annotations

import csv
import io
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtGui import QImage, QKeySequence, QPainter
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QMenu

from rnnviz import clipping_lab as lab
from rnnviz.engine.spec import Spec, build
from rnnviz.engine.trace import run
from rnnviz.engine.train import TrainSettings, train
from rnnviz.export import bundle, csv_views
from rnnviz.io.session_file import load_session
from rnnviz.session import Session
from rnnviz.ui import export_dialogs
from rnnviz.ui import exporters as ex
from rnnviz.ui import headless_export as headless
from rnnviz.ui.export_actions import install_export_actions
from rnnviz.ui.main_window import MainWindow

HELLO = Spec(name="hello", text="hello there", level="char", hidden_size=3, use_unk=False)
SIZE, DPI = (640, 400), 150
DRAWING = {"path", "rect", "image", "text", "polyline", "polygon", "line", "ellipse", "circle"}


@pytest.fixture(scope="module")
def window(qapp):
    """One window for the module (building one costs more than all exports together)."""
    session = Session(HELLO)
    session.set_cursor(2)
    built = session.state.analysis.built
    settings = TrainSettings(steps=4, clip_mode="norm", clip_threshold=0.5)
    session.apply_snapshots(list(train(built.params, built.samples, built.config, settings)))
    w = MainWindow(session)
    install_export_actions(w)
    w.resize(1400, 900)
    w.show()
    QApplication.processEvents()
    history, steps = lab.start(
        built.params, built.samples, built.config, lab.run_settings(TrainSettings(), 1.0, 3)
    )
    history.extend(steps)
    w.panels["lab"].history = history  # as if the lab had run
    yield w
    w.close()
    w.deleteLater()


@pytest.fixture(autouse=True)
def no_real_dialogs(monkeypatch):
    """Any dialog not patched by a test fails it instead of blocking."""

    def refuse(*args, **kwargs):
        raise AssertionError("a real dialog would have opened")

    for name in ("choose_view", "save_export_path", "bundle_folder", "confirm_overwrite"):
        monkeypatch.setattr(export_dialogs, name, refuse)
    monkeypatch.setattr(export_dialogs, "png_options", lambda parent, size, dpi: (SIZE, DPI))
    monkeypatch.setattr(export_dialogs, "show_export_error", refuse)


def answer(monkeypatch, path, view=None):
    monkeypatch.setattr(export_dialogs, "save_export_path", lambda p, fmt, s: str(path))
    if view is not None:
        monkeypatch.setattr(export_dialogs, "choose_view", lambda p, views, cur: view)


def rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def check_png(path, size=SIZE, dpi=DPI):
    image = QImage(str(path))
    assert not image.isNull(), f"{path} does not decode"
    assert (image.width(), image.height()) == size
    assert round(image.dotsPerMeterX() * 0.0254) == dpi
    colours = {image.pixel(x, y) for x in range(0, size[0], 7) for y in range(0, size[1], 7)}
    assert len(colours) > 3, "the image is blank"


def check_svg(path):
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    drawn = {el.tag.split("}")[-1] for el in root.iter()}
    assert drawn & DRAWING, f"no drawing elements in {path}: {drawn}"
    assert (
        float(root.get("width").removesuffix("mm"))
        > 0
        < float(root.get("height").removesuffix("mm"))
    )
    renderer = QSvgRenderer(str(path))  # Qt's own SVG reader draws it, not just parses it
    assert renderer.isValid()
    image = QImage(200, 120, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    assert len({image.pixel(x, y) for x in range(0, 200, 5) for y in range(0, 120, 5)}) > 2


def export_via_menu(window, monkeypatch, name, fmt, path):
    answer(monkeypatch, path, view=name)
    actions = window.export_actions
    if name == "window":
        actions.window_action.trigger()
    elif fmt == "csv":
        actions.csv_actions[name].trigger()
    else:
        (actions.png_action if fmt == "png" else actions.svg_action).trigger()


def test_every_view_in_every_format_from_the_file_menu(window, monkeypatch, tmp_path):
    written = []
    for view in ex.VIEWS.values():
        for fmt in view.formats:
            path = tmp_path / f"{view.name}.{fmt}"
            export_via_menu(window, monkeypatch, view.name, fmt, path)
            assert path.exists(), f"{view.name} {fmt} was not written"
            {"png": check_png, "svg": check_svg, "csv": rows}[fmt](path)
            assert str(path) in window.statusBar().currentMessage()
            written.append(path.name)
    assert len(written) >= 30
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]  # no temporaries left


def test_csv_files_hold_the_engines_numbers(window, monkeypatch, tmp_path):
    state = window.state
    trace, built, t = state.analysis.trace, state.analysis.built, state.cursor

    def table(name):
        path = tmp_path / f"{name}.csv"
        export_via_menu(window, monkeypatch, name, "csv", path)
        return rows(path)

    heat = table("hidden-heatmap")
    assert heat[0] == ["t", "token", "h_1", "h_2", "h_3"]
    values = np.array([[float(x) for x in r[2:]] for r in heat[1:]])
    assert np.array_equal(values, trace.hs)  # full precision: repr round-trips
    assert [r[1] for r in heat[1:]] == list(built.tokens)
    lines = np.array([[float(x) for x in r[1:]] for r in table("unit-lines")[1:]])
    assert np.array_equal(lines, trace.hs)
    bars = table("hidden-bars")[1:]
    assert [float(r[2]) for r in bars] == list(trace.hs[t])
    out = table("output-bars")[1:]
    assert [float(r[3]) for r in out] == list(trace.ys[t])
    assert [r[2] for r in out] == list(built.output_names)
    dh = table("dh-norms")[1:]
    assert [float(r[2]) for r in dh] == list(trace.dh_norms)
    jac = table("jacobian")[1:]
    assert [int(r[1]) for r in jac] == list(range(trace.length, 0, -1))  # lag 0 is t = T
    assert [float(r[2]) for r in jac] == list(trace.jacobian_norms[::-1])
    M = table("loss-state")[1:]
    T = trace.length
    for i in range(T):
        for s in range(T):
            cell = M[i][s + 1]
            drawn = s <= i and trace.sample.scored[i]
            assert (cell != "") == drawn
            if drawn:
                assert float(cell) == trace.loss_to_state[i, s]
    params = dict(table("param-norms")[1:])
    for name, norm in trace.grad_norms.items():
        assert float(params[name]) == norm
    assert float(params["total, pre-clip"]) == trace.clip.norm_before
    training = table("training")
    assert [float(r[1]) for r in training[1:]] == [s.loss for s in state.history]
    assert len(training) - 1 == len(state.history) == 4
    lab_rows = table("clipping-lab")[1:]
    runs = window.panels["lab"].history.runs
    assert len(lab_rows) == sum(len(r) for r in runs.values()) == 9
    first = [r for r in lab_rows if r[0] == "norm clipping"]
    assert [float(r[2]) for r in first] == list(runs["norm clipping"].array("loss"))


def test_saturation_view_exports_what_it_shows(window, monkeypatch, tmp_path):
    panel = window.panels["hidden"]
    panel.saturation_toggle.setChecked(True)
    try:
        path = tmp_path / "sat.csv"
        export_via_menu(window, monkeypatch, "hidden-heatmap", "csv", path)
        table = rows(path)
        assert table[0][2] == "one_minus_h2_1"
        values = np.array([[float(x) for x in r[2:]] for r in table[1:]])
        assert np.array_equal(values, window.state.analysis.trace.fprime)
    finally:
        panel.saturation_toggle.setChecked(False)


def test_context_menu_exports_the_plot_under_the_mouse(window, monkeypatch, tmp_path):
    actions = window.export_actions
    seen = set()
    for view in ex.available_views(window):
        if view.name in ("window", "hidden-state"):  # the window has no plot; the layout
            continue  # view is what a click between the plots gets
        ex.show_view(window, view)
        obj = ex.target(window, view)
        is_scene = not hasattr(obj, "sceneBoundingRect")
        scene = obj if is_scene else obj.scene()
        gview = scene.views()[0]
        centre = obj.sceneRect().center() if is_scene else obj.sceneBoundingRect().center()
        pos = gview.mapFromScene(centre)
        assert gview.viewport() in actions._viewports  # right-clicks there open the menu
        assert actions.view_at(gview, pos) == view.name
        menu = actions.context_menu(gview, pos)
        found = {a.objectName(): a for a in menu.actions()}
        assert set(found) == {f"export_this_{fmt}" for fmt in view.formats}
        assert found["export_this_png"].text() == "Export this view as PNG…"
        path = tmp_path / f"ctx-{view.name}.png"
        answer(monkeypatch, path)
        found["export_this_png"].trigger()
        check_png(path)
        seen.add(view.name)
    assert {"hidden-heatmap", "unit-lines", "output-bars", "diagram", "loss-state"} <= seen


def test_menu_shortcuts_and_place_in_the_file_menu(window):
    actions = window.export_actions
    assert actions.png_action.shortcut() == QKeySequence("Ctrl+Shift+E")
    assert actions.svg_action.shortcut() == QKeySequence("Ctrl+Alt+E")
    (file_menu,) = [m for m in window.menuBar().findChildren(QMenu) if m.title() == "&File"]
    entries = file_menu.actions()
    export_index = entries.index(actions.menu.menuAction())
    assert export_index < entries.index(window.quit_action)
    assert set(actions.csv_actions) == {n for n, v in ex.VIEWS.items() if "csv" in v.formats}


def test_an_existing_file_is_replaced_only_when_the_user_agrees(window, monkeypatch, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("precious")
    asked = []
    monkeypatch.setattr(
        export_dialogs, "confirm_overwrite", lambda parent, p: asked.append(p) or False
    )
    export_via_menu(window, monkeypatch, "hidden-heatmap", "csv", path)
    assert asked == [str(path)] and path.read_text() == "precious"
    monkeypatch.setattr(export_dialogs, "confirm_overwrite", lambda parent, p: True)
    export_via_menu(window, monkeypatch, "hidden-heatmap", "csv", path)
    assert path.read_text().startswith("t,token,h_1")


def test_a_failed_export_leaves_the_old_file_and_no_temporary(window, monkeypatch, tmp_path):
    path = tmp_path / "fig.png"
    path.write_bytes(b"old figure")
    monkeypatch.setattr(export_dialogs, "confirm_overwrite", lambda parent, p: True)
    errors = []
    monkeypatch.setattr(
        export_dialogs, "show_export_error", lambda parent, text: errors.append(text)
    )

    def broken(*args, **kwargs):
        raise ex.ExportError("the renderer broke")

    monkeypatch.setattr(ex, "render_png", broken)
    export_via_menu(window, monkeypatch, "output-bars", "png", path)
    assert path.read_bytes() == b"old figure"
    assert errors and "the renderer broke" in errors[0]
    assert sorted(os.listdir(tmp_path)) == ["fig.png"]


def test_cancelling_writes_nothing(window, monkeypatch, tmp_path):
    monkeypatch.setattr(export_dialogs, "choose_view", lambda p, views, cur: None)
    assert window.export_actions.export_chosen("png") is None
    answer(monkeypatch, tmp_path / "x.png")
    monkeypatch.setattr(export_dialogs, "png_options", lambda parent, size, dpi: None)
    assert window.export_actions.export("hidden-heatmap", "png") is None
    assert os.listdir(tmp_path) == []


def test_figure_bundle_regenerates_the_figure(window, monkeypatch, tmp_path):
    folder = tmp_path / "figure"
    monkeypatch.setattr(export_dialogs, "choose_view", lambda p, views, cur: "hidden-heatmap")
    monkeypatch.setattr(export_dialogs, "bundle_folder", lambda p, s: str(folder))
    assert window.export_actions.bundle_action.isEnabled()
    window.export_actions.bundle_action.trigger()
    names = sorted(os.listdir(folder))
    assert names == sorted(
        ["hidden-heatmap.png", "hidden-heatmap.svg", "hidden-heatmap.csv"]
        + [bundle.SESSION_NAME, bundle.README_NAME]
    )
    check_png(
        folder / "hidden-heatmap.png",
        ex.default_size(window.panels["hidden"].plot_widgets["heatmap"]),
        96,
    )
    check_svg(folder / "hidden-heatmap.svg")
    readme = (folder / bundle.README_NAME).read_text()
    assert "rnnviz export session.rnnviz.json --view hidden-heatmap" in readme
    assert f"--timestep {window.state.cursor + 1}" in readme
    # the session in the bundle reproduces the CSV's numbers: its spec and trained weights
    loaded = load_session(folder / bundle.SESSION_NAME)
    assert window.state.current_params is not None  # the window shows trained weights
    assert loaded.current_params.equals(window.state.current_params)
    built = build(loaded.spec)
    trace = run(loaded.current_params, built.sample, built.config)
    table = rows(folder / "hidden-heatmap.csv")
    assert np.array_equal(np.array([[float(x) for x in r[2:]] for r in table[1:]]), trace.hs)
    assert loaded.view["cursor"] == window.state.cursor
    assert str(folder) in window.statusBar().currentMessage()


def test_sizes_are_checked():
    assert ex.parse_size("1200x800") == (1200, 800)
    for bad in ("1200", "ax3", "0x10", "30000x10", "-5x5"):
        with pytest.raises(ValueError, match="size"):
            ex.parse_size(bad)
    with pytest.raises(ValueError, match="dpi"):
        ex.check_size((10, 10), 5)
    with pytest.raises(ValueError, match="unknown view 'nope'"):
        ex.get_view("nope")


def test_svg_and_csv_are_refused_where_they_make_no_sense(window):
    with pytest.raises(ValueError, match="PNG"):
        ex.render_view(window, "window", "svg")
    with pytest.raises(ValueError, match="PNG, SVG"):
        ex.render_view(window, "diagram", "csv")


def test_the_registries_agree():
    from rnnviz.ui import gradient_plots, training_plots

    assert {n: v.formats for n, v in ex.VIEWS.items()} == headless.VIEW_FORMATS
    assert set(csv_views.CSV_VIEWS) == {n for n, v in ex.VIEWS.items() if "csv" in v.formats}
    assert csv_views.EMA == training_plots.EMA
    assert csv_views.PARAM_ORDER == gradient_plots.PARAM_ORDER
    assert (csv_views.TOTAL_BEFORE, csv_views.TOTAL_AFTER) == (
        gradient_plots.TOTAL_BEFORE,
        gradient_plots.TOTAL_AFTER,
    )


def test_csv_cells_round_trip_exactly():
    values = [0.1, 1 / 3, -2.5e-300, float("nan"), float("inf"), 7, True, None, "a,b"]
    text = csv_views._table(["v"] * len(values), [values])
    row = next(csv.reader(io.StringIO(text.splitlines()[1])))
    assert [float(x) for x in row[:5]][:3] == values[:3]
    assert row[3:] == ["nan", "inf", "7", "1", "", "a,b"]


def test_the_shortcut_keys_start_an_export(window, monkeypatch, tmp_path, qtbot):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    for key, fmt in (("Ctrl+Shift+E", "png"), ("Ctrl+Alt+E", "svg")):
        path = tmp_path / f"key.{fmt}"
        answer(monkeypatch, path, view="output-bars")
        sequence = QKeySequence(key)[0]
        qtbot.keyClick(window, sequence.key(), sequence.keyboardModifiers())
        assert path.exists(), key


def test_the_real_dialogs_translate_answers(monkeypatch, qapp):
    from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox

    monkeypatch.undo()  # the real functions, with Qt's dialogs answered below instead
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("/tmp/fig", "PNG"))
    )
    assert export_dialogs.save_export_path(None, "png", "x.png") == "/tmp/fig.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    assert export_dialogs.save_export_path(None, "svg", "x.svg") is None
    monkeypatch.setattr(
        QInputDialog, "getItem", staticmethod(lambda *a, **k: ("Output bars", True))
    )
    views = [("hidden-heatmap", "Hidden state heatmap"), ("output-bars", "Output bars")]
    assert export_dialogs.choose_view(None, views, "hidden-heatmap") == "output-bars"
    for button, expected in (
        (QMessageBox.StandardButton.Yes, True),
        (QMessageBox.StandardButton.Cancel, False),
    ):
        monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, b=button, **k: b))
        assert export_dialogs.confirm_overwrite(None, "/tmp/x.png") is expected
    monkeypatch.setattr(
        export_dialogs.PngOptionsDialog, "exec", lambda self: QDialog.DialogCode.Accepted
    )
    assert export_dialogs.png_options(None, (300, 200), 300) == ((300, 200), 300)
    monkeypatch.setattr(
        export_dialogs.PngOptionsDialog, "exec", lambda self: QDialog.DialogCode.Rejected
    )
    assert export_dialogs.png_options(None, (300, 200)) is None


def test_a_right_click_on_a_plot_opens_the_export_menu(window, monkeypatch):
    from PySide6.QtGui import QContextMenuEvent

    shown = []
    monkeypatch.setattr(
        window.export_actions,
        "popup",
        lambda menu, at: shown.append([a.text() for a in menu.actions()]),
    )
    heat = window.panels["hidden"].plot_widgets["heatmap"]
    gview = heat.scene().views()[0]
    pos = gview.mapFromScene(heat.sceneBoundingRect().center())
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, pos, gview.viewport().mapToGlobal(pos)
    )
    QApplication.sendEvent(gview.viewport(), event)
    assert shown == [[f"Export this view as {f}…" for f in ("PNG", "SVG", "CSV")]]
