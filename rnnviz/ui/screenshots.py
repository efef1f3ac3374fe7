"""Screenshots of the real main window, rendered offscreen.

    python -m rnnviz.ui.screenshots [OUTDIR] [--presets hello ai-planet] [--theme dark]

renders the window at 1280x800 and 1920x1080 on each preset with the cursor
at t = 3 and saves ``main_<preset>_<W>x<H>.png`` (default OUTDIR:
resources/screenshots), then two built-in lessons at a step (``LESSON_STEPS``)
at 1280x800 as ``lesson_step_<lesson>_<step>.png``. The README's pictures come
from here, so they always show the app as it is.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

SIZES = ((1280, 800), (1920, 1080))
PRESETS = ("hello", "ai-planet")
CURSOR = 2  # 0-based: t = 3, a step with history behind it and steps still ahead
# (built-in lesson file, 0-based step): a lesson running beside the panels it talks about
LESSON_STEPS = (("02-one-step-by-hand.json", 2), ("05-vanishing-and-exploding.json", 1))


def _settle(app, ms: int = 150) -> None:
    """Let deferred layout (dock sizes, fit-to-view) and paints run."""
    from PySide6.QtCore import QDeadlineTimer, QEventLoop

    deadline = QDeadlineTimer(ms)
    while not deadline.hasExpired():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def _save(app, window, path: Path) -> Path:
    """Grab the window to ``path`` and close it."""
    if not window.grab().save(str(path)):
        raise SystemExit(f"could not write {path}")
    window.close()
    window.deleteLater()
    _settle(app, 20)
    return path


def _resolve_preset(name: str) -> str:
    """Accept 'ai-planet', 'ai_planet' or 'AI Planet' for the preset called 'ai-planet'."""
    from .. import presets

    names = presets.names()
    key = name.lower().replace(" ", "-").replace("_", "-")
    for candidate in names:
        if candidate.lower().replace("_", "-") == key:
            return candidate
    raise SystemExit(f"unknown preset {name!r}; choose from {', '.join(names)}")


def render(outdir: Path, preset_names=PRESETS, sizes=SIZES, theme: str = "light") -> list[Path]:
    """Save one PNG per preset and size; returns the paths written."""
    from .. import presets
    from ..session import Session
    from .app import make_app, make_window
    from .theme import apply_theme

    app = make_app([])
    apply_theme(app, theme)
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in preset_names:
        name = _resolve_preset(name)
        for w, h in sizes:
            session = Session(presets.get(name))
            session.set_cursor(CURSOR)
            window = make_window(session)
            window.resize(w, h)
            window.show()
            _settle(app)
            suffix = "" if theme == "light" else f"_{theme}"
            path = outdir / f"main_{name.replace('-', '_')}_{w}x{h}{suffix}.png"
            written.append(_save(app, window, path))
    written += render_lessons(app, outdir, sizes[:1], theme)
    return written


def render_lessons(app, outdir: Path, sizes=SIZES[:1], theme: str = "light") -> list[Path]:
    """``lesson_step_<lesson>_<step>.png``: the window with a built-in lesson at a step."""
    from ..lessons import library
    from ..session import Session
    from .app import make_window

    written = []
    for filename, step in LESSON_STEPS:
        for w, h in sizes:
            window = make_window(Session())
            window.resize(w, h)
            window.show()
            _settle(app)
            window.lessons.start(library.get(filename))
            window.lessons.panel.go_to(step)
            _settle(app, 300)
            suffix = "" if theme == "light" else f"_{theme}"
            path = outdir / f"lesson_step_{filename[:2]}_{step + 1}{suffix}.png"
            written.append(_save(app, window, path))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnviz.ui.screenshots", description="Render the main window to PNG files."
    )
    parser.add_argument("outdir", nargs="?", default="resources/screenshots")
    parser.add_argument("--presets", nargs="+", default=list(PRESETS))
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for path in render(Path(args.outdir), args.presets, SIZES, args.theme):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
