"""Readout labels (cursor readouts): never clipped, and they follow their dock's width."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from rnnviz.ui.readout import Readout


@pytest.fixture
def row(qtbot):
    box = QWidget()
    layout = QHBoxLayout(box)
    label = Readout("t = 1")
    layout.addWidget(label)
    layout.addWidget(QLabel("right"), 1)
    qtbot.addWidget(box)
    box.resize(500, 60)
    box.show()
    qtbot.waitExposed(box)
    return box, label


def test_a_longer_text_is_shown_whole(row, qtbot):
    box, label = row
    label.setText("t = 2")
    for text in ("t = 37 / 100 · a much longer readout than before", "t = 3"):
        label.setText(text)
        qtbot.waitUntil(lambda: label.width() >= label.sizeHint().width())
        assert label.text() == text


def test_a_pinned_readout_lets_go_when_the_parent_is_resized(qtbot):
    box = QWidget()
    layout = QVBoxLayout(box)
    label = Readout("a readout that wraps when the panel is narrow " * 3)
    label.setWordWrap(True)
    layout.addWidget(label)
    qtbot.addWidget(box)
    box.resize(600, 200)
    box.show()
    qtbot.waitExposed(box)
    label.setText("a readout that wraps when the panel is narrow, new text " * 3)  # pins
    wide = label.width()
    box.resize(300, 300)
    qtbot.waitUntil(lambda: label.width() < wide)
    assert label.width() <= box.width()
    label.setText("a readout that wraps, once more " * 3)
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()))


def test_a_selectable_readout_copies_its_whole_text(row):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    _, label = row
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setText("predicted: 'e' (p = 0.25) · step loss 3.373")
    (copy,) = label.actions()
    copy.trigger()
    assert QApplication.clipboard().text() == "predicted: 'e' (p = 0.25) · step loss 3.373"
