"""GUI timings (issue 3 targets), measured offscreen on the real main window.

* launch: wall time from starting the interpreter to the first painted
  window (subprocess; median of 3);
* cursor: time for one cursor move to redraw every panel
  (set_cursor + processing all events, including paint), target < 16 ms median;
* edit: time for a text edit that re-runs the whole pass and redraws,
  target < 50 ms at T = 100, H = 64.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

LAUNCH = r"""
import time, sys
t0 = time.perf_counter()
from PySide6.QtCore import QTimer
from rnnviz.ui.app import make_app, make_window
app = make_app([])
w = make_window()
w.resize(1280, 800)
w.show()
def done():
    print(time.perf_counter() - t0)
    app.quit()
QTimer.singleShot(0, done)
app.exec()
"""


def _text(T: int) -> str:
    letters = "abcdefghij"
    return "".join(letters[(7 * i + i // 3) % len(letters)] for i in range(T + 1))


def launch_time() -> float:
    """Seconds from `python` starting to the window's first event-loop turn after show()."""
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", LAUNCH], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _window(T: int, H: int):
    from PySide6.QtWidgets import QApplication

    from rnnviz.engine.spec import Spec
    from rnnviz.session import Session
    from rnnviz.ui.app import make_app, make_window

    app = QApplication.instance() or make_app([])
    session = Session(Spec(text=_text(T), level="char", hidden_size=H, seed=1))
    w = make_window(session)
    w.resize(1920, 1080)
    w.show()
    for _ in range(5):
        app.processEvents()
    return app, session, w


def cursor_times(T: int, H: int, moves: int = 60) -> list[float]:
    app, session, w = _window(T, H)
    times = []
    for i in range(moves):
        t0 = time.perf_counter()
        session.set_cursor((i * 7) % T)
        app.processEvents()
        times.append(time.perf_counter() - t0)
    w.close()
    return times


def edit_times(T: int, H: int, edits: int = 15) -> list[float]:
    app, session, w = _window(T, H)
    times = []
    for i in range(edits):
        text = _text(T)[i:] + _text(T)[:i]
        t0 = time.perf_counter()
        session.set_text(text)
        app.processEvents()
        times.append(time.perf_counter() - t0)
    w.close()
    return times


def main() -> None:
    print("GUI (offscreen, real main window with every panel)")
    print(f"  launch to painted window: {launch_time() * 1000:.0f} ms (target < 2000 ms)")
    for T, H in ((20, 16), (100, 64)):
        ts = cursor_times(T, H)
        med = statistics.median(ts) * 1000
        verdict = "PASS" if med < 16 else "FAIL"
        print(
            f"  cursor move T={T:<4} H={H:<3}: median {med:6.2f} ms, "
            f"p90 {sorted(ts)[int(0.9 * len(ts))] * 1000:6.2f} ms  (target < 16 ms) {verdict}"
        )
    ts = edit_times(100, 64)
    med = statistics.median(ts) * 1000
    print(
        f"  text edit  T=100  H=64 : median {med:6.2f} ms  (target < 50 ms) "
        f"{'PASS' if med < 50 else 'FAIL'}"
    )


if __name__ == "__main__":
    main()
