"""Shared test set-up: Qt runs headless (offscreen) in every test."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc  # noqa: E402

import pytest  # noqa: E402 (the platform must be set before anything imports Qt)

COLLECT_EVERY = 20  # tests between collections: a full one after every test tripled the run


@pytest.fixture(scope="session", autouse=True)
def collect_only_between_tests():
    """Python's collector runs between tests, never inside one.

    Left automatic, it frees the widgets earlier tests left in reference cycles whenever an
    allocation triggers it, which can be inside Qt's connection lock (a signal being
    disconnected): a destructor then waits on that lock forever. A full run hung this way
    once, in test_ui_worker, collecting windows left by test_ui_training (gdb:
    QObject::~QObject in QBasicMutex::lockInternal under gc_collect_main, under
    QObject::disconnect)."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(autouse=True)
def collect_garbage_now_and_then(request):
    yield
    counter = request.session.stash.setdefault(_DONE, [0])
    counter[0] += 1
    if counter[0] % COLLECT_EVERY == 0:
        gc.collect()


_DONE = pytest.StashKey[list]()


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
