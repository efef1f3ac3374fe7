"""GIF export time per frame (issue 5): the whole main window at 1280x800, T = 20.

Records forward then backward (2T = 40 frames) with ``export_gif``, the
same code path as File ▸ Export animation, and splits the time per frame
into stepping + grabbing the window and GIF encoding (quantising to 256
colours + LZW). Median of 3 runs. Target: < 150 ms per frame, so a
40-frame lesson exports in a few seconds.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

T, H = 20, 16
SIZE = (1280, 800)
TARGET_MS = 150


def _text(T: int) -> str:
    letters = "abcdefghij"
    return "".join(letters[(7 * i + i // 3) % len(letters)] for i in range(T + 1))


def _window():
    from PySide6.QtWidgets import QApplication

    from rnnviz.engine.spec import Spec
    from rnnviz.session import Session
    from rnnviz.ui.app import make_app, make_window

    app = QApplication.instance() or make_app([])
    session = Session(Spec(text=_text(T), level="char", hidden_size=H, seed=1))
    w = make_window(session)
    w.resize(*SIZE)
    w.show()
    for _ in range(5):
        app.processEvents()
    return w


def export_times(w, runs: int = 3) -> tuple[list[float], list[float], int]:
    """Per run: total seconds, seconds spent grabbing frames; and the frame count."""
    from rnnviz.ui.animation_export import AnimationOptions, export_gif, iter_frames, run

    options = AnimationOptions(size=SIZE, fps=2, backward=True)
    totals, grabs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            t0 = time.perf_counter()
            run(export_gif(w, os.path.join(tmp, f"run{i}.gif"), options))
            totals.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            frames = sum(1 for _ in iter_frames(w, options))  # the same stepping, no encoding
            grabs.append(time.perf_counter() - t0)
    return totals, grabs, frames


def main() -> None:
    w = _window()
    try:
        totals, grabs, frames = export_times(w)
    finally:
        w.close()
    total = statistics.median(totals) / frames * 1000
    grab = statistics.median(grabs) / frames * 1000
    verdict = "PASS" if total < TARGET_MS else "FAIL"
    print(f"GIF export, main window {SIZE[0]}x{SIZE[1]}, T={T} H={H}, {frames} frames (fwd+bwd)")
    print(
        f"  per frame: {total:6.1f} ms  (step+grab {grab:5.1f} ms, encode {total - grab:5.1f} ms)"
        f"  (target < {TARGET_MS} ms) {verdict}"
    )
    print(f"  whole GIF: {statistics.median(totals):.2f} s")


if __name__ == "__main__":
    main()
