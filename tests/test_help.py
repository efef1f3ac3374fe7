"""Help ▸ Keyboard shortcuts lists the window's real shortcuts; every control has a tooltip."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from rnnviz.engine.spec import Spec
from rnnviz.session import Session
from rnnviz.ui import help as help_ui
from rnnviz.ui.help import CONTROL_TYPES, add_missing_tooltips, collect_shortcuts, install_help
from rnnviz.ui.main_window import MainWindow
from rnnviz.ui.presenter import install_presenter

HELLO = Spec(name="hello", text="hello", level="char", hidden_size=3, use_unk=False)


@pytest.fixture
def window(qtbot):
    w = MainWindow(Session(HELLO))
    qtbot.addWidget(w)
    install_presenter(w)
    install_help(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_the_sheet_lists_the_shortcuts_present_when_it_opens(window, monkeypatch):
    shown = []
    monkeypatch.setattr(help_ui, "show_sheet", lambda parent, rows: shown.append(rows))
    # a shortcut added after install (as the export actions do) is listed too
    export = QAction("Export as PNG…", window)
    export.setShortcut(QKeySequence("Ctrl+Shift+E"))
    window.addAction(export)
    window.help.shortcuts_action.trigger()
    rows = dict(shown[-1])
    for key in ("←", "→", "Home", "End", "Space", "F5", "Ctrl+S", "Ctrl+Shift+E", "F1"):
        assert key in rows, key
    assert rows["→"] == "next timestep"
    assert rows["F5"] == "Presenter mode"
    assert rows["Ctrl+Shift+E"] == "Export as PNG"
    html = help_ui.shortcuts_html(shown[-1])
    assert "Ctrl+Shift+E" in html and "next timestep" in html


def test_the_sheet_never_lists_a_key_the_window_does_not_have(window):
    rows = dict(collect_shortcuts(window))
    assert "Ctrl+Shift+E" in rows  # the export action the window has is listed
    assert "Ctrl+K" not in rows  # and a key nobody bound is not
    # a removed action is gone from the next sheet
    action = QAction("Temporary", window)
    action.setShortcut(QKeySequence("Ctrl+K"))
    window.addAction(action)
    assert "Ctrl+K" in dict(collect_shortcuts(window))
    window.removeAction(action)
    action.setParent(None)
    action.deleteLater()
    QApplication.processEvents()
    assert "Ctrl+K" not in dict(collect_shortcuts(window))


def test_every_visible_control_has_a_tooltip(window, qtbot):
    qtbot.wait(20)
    controls = [
        w for w in window.findChildren(QWidget) if isinstance(w, CONTROL_TYPES) and w.isVisible()
    ]
    assert len(controls) > 30
    missing = [(type(w).__name__, w.objectName()) for w in controls if not w.toolTip().strip()]
    assert missing == []
    # the hand-written ones win over derived text
    model = window.panels["input"].model
    assert "hidden units" in model.hidden.toolTip()
    assert "f in h_t" in model.activation.toolTip()


def test_the_pass_keeps_existing_tooltips_and_covers_new_controls(window):
    inp = window.panels["input"]
    before = inp.text_edit.toolTip()
    button = QPushButton("Shuffle the examples")
    window.panels["training"].layout().addWidget(button)
    assert add_missing_tooltips(window) >= 1
    assert button.toolTip() == "Shuffle the examples"
    assert inp.text_edit.toolTip() == before
    assert add_missing_tooltips(window) == 0  # nothing left to add
