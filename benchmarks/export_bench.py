"""Figure export timings (issue 5): the largest plot, the hidden-state heatmap, at T = 100, H = 64.

* PNG at the on-screen size (96 dpi) and at 300 dpi for print (3.1x the pixels
  per side), rendered to bytes (no disk: ``write_export`` adds one atomic write);
* SVG of the same plot item (the heatmap itself is embedded as a PNG image);
* CSV of the numbers it plots (T x H floats written with repr).

Targets: a PNG or SVG export well under a second (< 250 ms at 96 dpi,
< 1000 ms at 300 dpi), so exporting feels instant from the menu.
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

T, H = 100, 64
REPEATS = 7
TARGETS_MS = {"png 96 dpi": 250, "png 300 dpi": 1000, "svg": 250, "csv": 250}


def _text(n: int) -> str:
    letters = "abcdefghij"
    return "".join(letters[(7 * i + i // 3) % len(letters)] for i in range(n + 1))


def _window():
    from PySide6.QtWidgets import QApplication

    from rnnviz.engine.spec import Spec
    from rnnviz.session import Session
    from rnnviz.ui.app import make_app, make_window

    app = QApplication.instance() or make_app([])
    session = Session(Spec(text=_text(T), level="char", hidden_size=H, seed=1))
    window = make_window(session)
    window.resize(1920, 1080)
    window.show()
    for _ in range(5):
        app.processEvents()
    return window


def bench(repeats: int = REPEATS) -> dict[str, dict]:
    """{case: {'median_ms', 'bytes', 'size'}} for the hidden-state heatmap export."""
    from rnnviz.ui import exporters as ex

    window = _window()
    item = window.panels["hidden"].plot_widgets["heatmap"]
    cases = {
        "png 96 dpi": ("png", ex.default_size(item, 96), 96),
        "png 300 dpi": ("png", ex.default_size(item, 300), 300),
        "svg": ("svg", None, 96),
        "csv": ("csv", None, 96),
    }
    results = {}
    try:
        for name, (fmt, size, dpi) in cases.items():
            times, data = [], b""
            for _ in range(repeats):
                t0 = time.perf_counter()
                data = ex.render_view(window, "hidden-heatmap", fmt, size, dpi)
                times.append(time.perf_counter() - t0)
            results[name] = {
                "median_ms": statistics.median(times) * 1000,
                "bytes": len(data),
                "size": size,
            }
    finally:
        window.close()
    return results


def main() -> None:
    print(f"Export of the hidden-state heatmap, T={T}, H={H} (offscreen, rendered to bytes)")
    for name, r in bench().items():
        target = TARGETS_MS[name]
        size = f"{r['size'][0]}x{r['size'][1]}" if r["size"] else ""
        verdict = "PASS" if r["median_ms"] < target else "FAIL"
        print(
            f"  {name:<12} {size:>10}: median {r['median_ms']:7.1f} ms, "
            f"{r['bytes'] / 1024:7.1f} KiB  (target < {target} ms) {verdict}"
        )


if __name__ == "__main__":
    main()
