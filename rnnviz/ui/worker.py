"""Run a Qt-free generator (training, the clipping lab) off the GUI thread.

The engine's ``train`` and ``lockstep`` are plain generators of immutable
snapshots. ``GeneratorRunner`` pulls them in a Python thread and queues
them; a QTimer in the GUI thread drains the queue at most ``rate_hz`` times a
second and emits ``sig_items`` with everything that arrived. So every slot
runs in the GUI thread (no cross-thread Qt calls at all), redraws are
coalesced to a steady rate however fast training runs, and pause, resume,
single steps and stop are just flags the thread checks between items.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator

from PySide6.QtCore import QObject, QTimer, Signal


class GeneratorRunner(QObject):
    sig_items = Signal(list)  # items that arrived since the last tick (GUI thread)
    sig_finished = Signal(str)  # "done", "stopped" or "error: <message>" (GUI thread)

    MAX_PENDING = 2000  # back-pressure: the thread waits while this many are queued

    def __init__(self, generator: Iterator, rate_hz: float = 30.0, parent=None) -> None:
        super().__init__(parent)
        self._gen = generator
        self._queue: deque = deque()
        self._run = threading.Event()  # set: produce freely; clear: paused
        self._stop = threading.Event()
        self._steps = threading.Semaphore(0)  # single steps granted while paused
        self._outcome: str | None = None
        self._thread = threading.Thread(target=self._work, name="rnnviz-worker", daemon=True)
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, int(1000 / rate_hz)))
        self._timer.timeout.connect(self._drain)
        self._finished_emitted = False

    # -- control (GUI thread) ---------------------------------------------
    def start(self, paused: bool = False) -> None:
        if not paused:
            self._run.set()
        self._thread.start()
        self._timer.start()

    def pause(self) -> None:
        self._run.clear()

    def resume(self) -> None:
        self._run.set()

    def step_once(self) -> None:
        """While paused, produce exactly one more item."""
        self._steps.release()

    def stop(self) -> None:
        self._stop.set()
        self._run.set()
        self._steps.release()

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until the thread has ended (tests, closing the window)."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and self._run.is_set()

    @property
    def paused(self) -> bool:
        return self._thread.is_alive() and not self._run.is_set()

    # -- worker thread ------------------------------------------------------
    def _work(self) -> None:
        try:
            while not self._stop.is_set():
                if not self._run.is_set() and not self._steps.acquire(timeout=0.05):
                    continue  # paused: poll for a single step, resume or stop
                if self._stop.is_set():
                    break
                try:
                    item = next(self._gen)
                except StopIteration:
                    self._outcome = "done"
                    return
                self._queue.append(item)
                while len(self._queue) > self.MAX_PENDING and not self._stop.is_set():
                    time.sleep(0.005)
                time.sleep(0)  # let the GUI thread take the GIL between items
            self._outcome = "stopped"
        except Exception as e:  # a bug in a generator must not kill the app silently
            self._outcome = f"error: {type(e).__name__}: {e}"

    # -- GUI thread -----------------------------------------------------------
    def _drain(self) -> None:
        items = []
        while self._queue:
            items.append(self._queue.popleft())
        if items:
            self.sig_items.emit(items)
        if not self._thread.is_alive() and not self._queue and not self._finished_emitted:
            self._finished_emitted = True
            self._timer.stop()
            self.sig_finished.emit(self._outcome or "stopped")
