"""``rnnviz export``: draw a view of a session to a file, with no window and no display.

    rnnviz export SESSION.json --view NAME --format png|svg|csv -o PATH
                  [--timestep t] [--size WxH] [--dpi N] [--train N] [--force]

CSV needs no Qt at all: the numbers come straight from the engine's trace.
PNG and SVG build the real main window on Qt's ``offscreen`` platform (set
before the QApplication exists, so no display is needed), lay it out at a
fixed size and render the same plot items the app shows, so a figure made in
a script is the figure the app would export.

The session is restored as the app opens it: its current (trained) weights
and its saved training history. Nothing trains in the background, so

* ``--view training`` plots the saved history; a session without one is
  refused with a message saying how to get one;
* ``--train N`` first runs N updates of the engine's ``train`` generator
  with the session's training settings, from its current weights, and
  appends them to the history (as pressing Train in the app would); every
  view then shows the trained network. Deterministic: the same file and N
  give the same numbers;
* ``--view clipping-lab`` runs the lab's three runs (``rnnviz.clipping_lab``)
  from the current weights with the session's training settings, its
  clipping threshold and its number of steps (the lab panel's defaults),
  then draws them with the panel's own plots; the CSV holds exactly those
  runs.

An existing output file is never replaced without ``--force``; the file is
written atomically (temporary file, then rename). Errors print one line to
stderr and exit with status 2; success prints the path written.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

from .. import clipping_lab as lab
from ..engine.train import MAX_STEPS, train
from ..export.csv_views import view_csv

EXIT_OK, EXIT_ERROR = 0, 2
WINDOW_SIZE = (1600, 1000)  # the offscreen window: every dock gets room for its labels
FIGURE_SIZE = (960, 600)  # a plot's layout size when no --size is given (logical pixels)
WINDOW_MAX = 2560  # a larger window --size renders a window of at most this, scaled up
FIGURE_MAX = 1200  # a larger --size renders this layout scaled up, so text stays in scale
# (name, formats) of every view; mirrors rnnviz.ui.exporters.VIEWS (a test checks they agree)
VIEW_FORMATS = {
    "hidden-heatmap": ("png", "svg", "csv"),
    "hidden-state": ("png", "svg", "csv"),
    "hidden-bars": ("png", "svg", "csv"),
    "unit-lines": ("png", "svg", "csv"),
    "output-bars": ("png", "svg", "csv"),
    "dh-norms": ("png", "svg", "csv"),
    "jacobian": ("png", "svg", "csv"),
    "loss-state": ("png", "svg", "csv"),
    "param-norms": ("png", "svg", "csv"),
    "training": ("png", "svg", "csv"),
    "clipping-lab": ("png", "svg", "csv"),
    "diagram": ("png", "svg"),
    "window": ("png",),
}
LAB_MAX_STEPS = 100_000  # the lab panel's step limit (clipping_lab_panel.MAX_LAB_STEPS)
NO_HISTORY = (
    "this session has no training history: train it in the app and save, or use --train N "
    "(e.g. --train 200) to train it here first"
)


class ExportCliError(ValueError):
    """A problem the user can fix: printed as one line."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rnnviz export",
        description="Draw one view of a session to PNG, SVG or CSV without opening a window.",
    )
    p.add_argument("session", help="the session file (.rnnviz.json)")
    p.add_argument(
        "--view",
        required=True,
        choices=list(VIEW_FORMATS),
        metavar="NAME",
        help="one of: " + ", ".join(VIEW_FORMATS),
    )
    p.add_argument("--format", required=True, choices=("png", "svg", "csv"), dest="fmt")
    p.add_argument("-o", "--output", required=True, help="the file to write")
    p.add_argument(
        "--timestep",
        type=int,
        default=None,
        help="the cursor, 1-based (default: the one saved in the session)",
    )
    p.add_argument("--size", default=None, help="PNG size WIDTHxHEIGHT in pixels")
    p.add_argument("--dpi", type=int, default=96, help="PNG resolution (default 96; 300 for print)")
    p.add_argument(
        "--train",
        type=int,
        default=None,
        metavar="N",
        help="first train N steps with the session's training settings (from its current "
        "weights, appended to its history); needed for --view training when the session "
        "has no saved history",
    )
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    return p


def _check(args) -> None:
    if args.fmt not in VIEW_FORMATS[args.view]:
        formats = ", ".join(VIEW_FORMATS[args.view])
        raise ExportCliError(f"--view {args.view} exports as {formats}, not {args.fmt}")
    if args.size is not None and args.fmt != "png":
        raise ExportCliError("--size applies to PNG only (SVG is vector, CSV is numbers)")
    out = os.path.abspath(args.output)
    if os.path.isdir(out):
        raise ExportCliError(f"{args.output} is a folder; give a file name")
    if os.path.exists(out) and not args.force:
        raise ExportCliError(f"{args.output} exists; use --force to replace it")
    if not os.path.isdir(os.path.dirname(out)):
        raise ExportCliError(f"the folder of {args.output} does not exist")
    if not 10 <= args.dpi <= 2400:
        raise ExportCliError(f"--dpi {args.dpi}: choose 10 to 2400")
    if args.train is not None and not 1 <= args.train <= MAX_STEPS:
        raise ExportCliError(f"--train {args.train}: choose 1 to {MAX_STEPS} steps")


def _load(args):
    """The session file, checked for what the view needs before anything is drawn."""
    from ..io.session_file import load_session

    loaded = load_session(args.session)
    if args.view == "training" and not loaded.history and args.train is None:
        raise ExportCliError(f"{args.session}: {NO_HISTORY}")
    return loaded


def _cursor(args, length: int, saved: int) -> int:
    if args.timestep is None:
        return min(max(saved, 0), length - 1)
    if not 1 <= args.timestep <= length:
        raise ExportCliError(
            f"--timestep {args.timestep}: this session has {length} timesteps "
            f"(choose 1 to {length})"
        )
    return args.timestep - 1


def _csv(args, loaded) -> bytes:
    """CSV straight from the engine (no Qt): restore the session, train, move the cursor."""
    from ..session import Session

    # the same steps as the app's open_session_file: the spec, weights and history, the cursor
    session = Session(loaded.spec)
    restore_training(session, loaded)
    prepare(session, args.train)
    saved = loaded.view.get("cursor", 0)
    session.set_cursor(_cursor(args, session.state.analysis.length, saved))
    options = {"lab": lab_history(session)} if args.view == "clipping-lab" else {}
    return view_csv(args.view, session.state, **options).encode("utf-8")


def restore_training(session, loaded) -> None:
    """The saved weights after training and the training history (Qt-free, as the app does)."""
    from ..io.session_history import history_from_dict

    history = history_from_dict(loaded.history, loaded.current_params)
    if loaded.current_params is None and not history:
        return
    if not session.restore_training(loaded.current_params, history, dirty=False):
        raise ExportCliError(f"cannot restore the saved weights: {session.state.error}")


def prepare(session, steps: int | None) -> None:
    """``--train N``: N updates from the current weights, appended to the history."""
    if steps is not None:
        state = session.state
        built = state.analysis.built
        params = built.params if state.current_params is None else state.current_params
        settings = replace(session.train_settings(), steps=steps)
        snapshots = list(train(params, built.samples, built.config, settings))
        if not session.apply_snapshots(snapshots):
            raise ExportCliError(f"--train {steps}: {session.state.error}")
        if snapshots and snapshots[-1].stopped:  # a lesson, not an error: say so, draw it
            print(f"rnnviz export: note: {snapshots[-1].stopped}", file=sys.stderr)


def lab_history(session) -> lab.LabHistory:
    """The clipping lab's three runs as the lab panel starts them: the current weights, the
    session's training settings, its threshold and steps (at most the panel's limit)."""
    state = session.state
    built = state.analysis.built
    params = built.params if state.current_params is None else state.current_params
    base = session.train_settings()
    settings = lab.run_settings(base, base.clip_threshold, min(base.steps, LAB_MAX_STEPS))
    history, generator = lab.start(params, built.samples, built.config, settings)
    history.extend(generator)
    return history


def _image(args) -> bytes:
    """PNG/SVG: the real window, offscreen, rendered by rnnviz.ui.exporters."""
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no display needed, nothing on screen
    from . import exporters as ex
    from .app import make_app

    _quiet_offscreen_chatter()
    app = make_app([])
    if args.view == "window" and _CACHE["touched"]:
        close_cached_window()  # the whole window as it opens, not with another view raised
    window = _window(args.session, app, args.train)
    _CACHE["touched"] = _CACHE["touched"] or args.view != "window"
    session = window.session
    session.set_cursor(_cursor(args, session.state.analysis.length, _CACHE["cursor"]))
    if args.view == "clipping-lab":
        _show_lab(window)
    size = ex.parse_size(args.size) if args.size else None
    view = ex.get_view(args.view)
    shape = _layout_size(size)
    if args.view == "window":
        if size is not None:
            window.resize(*_window_shape(window, size))
        _settle(app, 3)
        return ex.render_view(window, args.view, args.fmt, size, args.dpi)
    dock = window.docks.get(view.panel)
    if dock is None:  # the diagram: its scene does not depend on the widget's size
        _settle(app, 2)
        return ex.render_view(window, args.view, args.fmt, size, args.dpi)
    # A figure is laid out for its own shape: the view's dock floats at that size, so
    # the plots get the room (and aspect ratio) of the figure, not of a cramped dock.
    dock.setFloating(True)
    dock.resize(*shape)
    dock.show()
    _settle(app, 3)
    _fit_dock(app, dock, ex.target(window, view), shape)
    try:
        return ex.render_view(window, args.view, args.fmt, size, args.dpi)
    finally:
        dock.setFloating(False)


def _fit_dock(app, dock, item, shape: tuple[int, int]) -> None:
    """Grow the floating dock by what its other widgets take (the lab's controls, the
    plots beside a heatmap), so the figure itself gets the shape and fills the image
    instead of sitting in wide margins."""
    rect = item.sceneBoundingRect() if hasattr(item, "sceneBoundingRect") else None
    if rect is None or rect.width() < 1 or rect.height() < 1:
        return
    w = min(dock.width() + shape[0] - rect.width(), 3 * shape[0])
    h = min(dock.height() + shape[1] - rect.height(), 3 * shape[1])
    if abs(w - dock.width()) > 2 or abs(h - dock.height()) > 2:
        dock.resize(round(w), round(h))
        _settle(app, 3)


def _window_shape(window, size: tuple[int, int]) -> tuple[int, int]:
    """The window's size for a --size: that aspect ratio, never below its minimum size."""
    w, h = size
    least = window.minimumSizeHint()
    k = max(min(1.0, WINDOW_MAX / max(w, h)), least.width() / w, least.height() / h)
    return round(w * k), round(h * k)


def _layout_size(size: tuple[int, int] | None) -> tuple[int, int]:
    """Logical pixels to lay a figure out in: its aspect ratio, at most 1200 wide/high."""
    if size is None:
        return FIGURE_SIZE
    w, h = size
    k = min(1.0, FIGURE_MAX / max(w, h))
    return max(200, round(w * k)), max(150, round(h * k))


# One window per session file is kept between calls in the same process, so a
# script exporting many views of one session (slides, tests) builds it once.
_CACHE: dict = {"key": None, "window": None, "cursor": 0, "touched": False}


def _window(path: str, app, steps: int | None = None):
    from ..session import Session
    from .app import make_window, open_session_file

    stat = os.stat(path)
    key = (os.path.abspath(path), stat.st_mtime_ns, stat.st_size, steps)
    if _CACHE["key"] == key:
        return _CACHE["window"]
    close_cached_window()
    session = Session()
    problem = open_session_file(session, path)
    if problem is not None:
        raise ExportCliError(f"{path}: {problem}")
    prepare(session, steps)  # before the window: its panels draw the trained network once
    window = make_window(session)
    window.resize(*WINDOW_SIZE)
    window.show()
    _settle(app)
    _CACHE.update(key=key, window=window, cursor=session.state.cursor)
    return window


def _show_lab(window) -> None:
    """Run the lab headlessly and draw it on the lab panel's own plots (and its CSV)."""
    panel = window.panels.get("lab")
    if panel is None:
        return  # the export itself reports the missing panel
    history = lab_history(window.session)
    steps = max(s.steps for s in history.settings.values())
    panel.history = history  # what the panel's CSV export and its redraws read
    panel.plots.show_history(history, history.threshold, steps)


def close_cached_window() -> None:
    """Close the window kept for repeated exports (if any)."""
    window = _CACHE["window"]
    _CACHE.update(key=None, window=None, cursor=0, touched=False)
    if window is not None:
        window.close()
        window.deleteLater()


def _quiet_offscreen_chatter() -> None:
    """Drop Qt's "offscreen cannot do X" notes (not problems of the figure); keep the rest."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(mode, context, message: str) -> None:
        if not message.startswith("This plugin does not support"):
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def _settle(app, rounds: int = 5) -> None:
    """Let the deferred layout (dock sizes, fit-to-view) run before rendering."""
    from PySide6.QtCore import QEventLoop

    for _ in range(rounds):
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def main_export(argv: list[str] | None = None) -> int:
    """``rnnviz export ...``; returns the exit status (0 written, 2 a problem)."""
    try:
        args = parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as e:  # --help, or a usage error argparse already printed
        return e.code if isinstance(e.code, int) else EXIT_ERROR
    try:
        _check(args)
        loaded = _load(args)
        data = _csv(args, loaded) if args.fmt == "csv" else _image(args)
        from ..io.atomic import atomic_write_bytes

        out = os.path.abspath(args.output)
        if os.path.exists(out) and not args.force:  # appeared while we rendered
            raise ExportCliError(f"{args.output} exists; use --force to replace it")
        atomic_write_bytes(out, data)
    except (ValueError, OSError) as e:
        print(f"rnnviz export: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    print(out)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main_export())
