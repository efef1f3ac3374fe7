"""Shared test set-up: Qt runs headless (offscreen) in every test."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402 (the platform must be set before anything imports Qt)


@pytest.fixture
def show_window(qtbot):
    """show(window, size): a main window on screen at a laptop size, active so keys reach it."""
    from PySide6.QtWidgets import QApplication

    def show(window, size=(1280, 800)):
        qtbot.addWidget(window)
        window.resize(*size)
        window.show()
        window.activateWindow()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
        return window

    return show
