"""Run a Qt-free generator (training, the clipping lab) without freezing the window.

The engine's ``train`` and ``lockstep`` are plain generators of immutable
snapshots. ``GeneratorRunner`` advances one in time slices on the GUI thread:
a QTimer ticks ``rate_hz`` times a second, each tick pulls items for at most
``budget_ms`` and emits ``sig_items`` once with everything it got. So redraws
are coalesced to a steady rate however fast training runs, the window keeps
most of every frame for painting and input, and pause, resume, single steps
and stop are flags checked between items.

Why not a worker thread (as DESIGN.md suggests)? We did that first. With
PySide6 6.10, a Python thread running beside Qt's painting crashed the
process in about one long training run in four: Shiboken's lookup of Python
``paint`` overrides freed a function object (gdb: ``getOverride`` ->
``method_dealloc`` -> ``func_dealloc``) while the other thread ran. Training
steps at these sizes take 0.1-2 ms, so slicing costs little speed and removes
the race entirely.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal


class GeneratorRunner(QObject):
    sig_items = Signal(list)  # items produced in the last slice
    sig_finished = Signal(str)  # "done", "stopped" or "error: <message>"

    def __init__(
        self, generator: Iterator, rate_hz: float = 30.0, budget_ms: float = 12.0, parent=None
    ) -> None:
        super().__init__(parent)
        self._gen = generator
        self._budget = budget_ms / 1000.0
        self._running = False  # producing freely (not paused)
        self._steps = 0  # single steps granted while paused
        self._stop_requested = False
        self._outcome: str | None = None  # set once the generator has ended
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, int(1000 / rate_hz)))
        self._timer.timeout.connect(self._tick)

    # -- control ------------------------------------------------------------
    def start(self, paused: bool = False) -> None:
        self._running = not paused
        self._timer.start()

    def pause(self) -> None:
        self._running = False

    def resume(self) -> None:
        self._running = True

    def step_once(self) -> None:
        """While paused, produce exactly one more item."""
        self._steps += 1

    def stop(self) -> None:
        self._stop_requested = True

    def wait(self, timeout: float = 5.0) -> bool:
        """Let the runner finish (processing events); True once it has ended."""
        end = time.perf_counter() + timeout
        while self._timer.isActive() and time.perf_counter() < end:
            QCoreApplication.processEvents()
            time.sleep(0.001)
        return not self._timer.isActive()

    @property
    def running(self) -> bool:
        return self._timer.isActive() and self._running

    @property
    def paused(self) -> bool:
        return self._timer.isActive() and not self._running

    # -- one slice ------------------------------------------------------------
    def _tick(self) -> None:
        items = []
        deadline = time.perf_counter() + self._budget
        while self._outcome is None and not self._stop_requested:
            if not self._running:
                if not self._steps:
                    break
                self._steps -= 1
            try:
                items.append(next(self._gen))
            except StopIteration:
                self._outcome = "done"
            except Exception as e:  # a bug in a generator must not kill the app silently
                self._outcome = f"error: {type(e).__name__}: {e}"
            if time.perf_counter() > deadline:
                break
        if items:
            self.sig_items.emit(items)
        if self._stop_requested and self._outcome is None:
            self._outcome = "stopped"
        if self._outcome is not None:
            self._timer.stop()
            self.sig_finished.emit(self._outcome)
