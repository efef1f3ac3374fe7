"""Animation export: step through the timesteps and record a view as GIF or PNG frames.

The recording walks the shared cursor the way a lesson does: forward over
t = 1..T, then (optionally) backward over t = T..1 with ``state.phase`` set to
"backward", so the gradient views show BPTT flowing back in time. Each frame
is ``widget.grab()`` of the chosen view after ``QApplication.processEvents()``
has let every panel redraw from the new state.

The exporters are generators that yield ``(done, total)`` after each frame, so
a caller can show progress and cancel by simply closing the generator. Either
way (finished, cancelled, or an error) the ``finally`` blocks restore the
cursor, phase, playback and window size, and nothing half-written is left at
the destination: PNG frames are written into a hidden temporary folder next to
the destination and moved into place only once all of them exist; the GIF is
encoded in memory and written with ``atomic_write_bytes``.

Exporters never open dialogs (design guide, section 1); animation_actions.py
asks the questions and drives these generators behind a progress dialog.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from PIL import GifImagePlugin, Image
from PySide6.QtCore import QAbstractAnimation, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication, QWidget

from ..io.atomic import atomic_write_bytes
from .shown import is_shown

WINDOW = "window"  # the view name for the whole main window
MAX_FPS = 50  # GIF delays are whole centiseconds; below 2 cs browsers slow frames to 10 cs
MIN_SIDE, MAX_SIDE = 16, 8192  # pixels: tiny frames are unreadable, huge ones exhaust memory
FRAME_PATTERN = "frame_{:0{width}d}.png"

Progress = Iterator[tuple[int, int]]  # (frames done, frames in total)


@dataclass(frozen=True)
class AnimationOptions:
    """What to record: a view name, the frame size in pixels (None: as shown), speed, passes."""

    view: str = WINDOW
    size: tuple[int, int] | None = None
    fps: float = 2.0
    backward: bool = True  # forward over t = 1..T, then backward over t = T..1

    def __post_init__(self) -> None:
        if not isinstance(self.view, str) or not self.view:
            raise ValueError(f"animation view must be a view name, got {self.view!r}")
        if self.size is not None:
            if len(self.size) != 2 or not all(isinstance(v, int) for v in self.size):
                raise ValueError(f"animation size must be (width, height) in pixels: {self.size}")
            if not all(MIN_SIDE <= v <= MAX_SIDE for v in self.size):
                raise ValueError(
                    f"animation size {self.size[0]}x{self.size[1]} is outside "
                    f"{MIN_SIDE}..{MAX_SIDE} pixels per side"
                )
        if not isinstance(self.fps, int | float) or not 0 < self.fps <= MAX_FPS:
            raise ValueError(f"frames per second must be in (0, {MAX_FPS}], got {self.fps!r}")

    @property
    def duration_ms(self) -> int:
        """Milliseconds per frame, rounded to the GIF's centisecond clock (at least 20 ms)."""
        return max(2, round(100 / self.fps)) * 10


def frame_plan(length: int, backward: bool) -> list[tuple[str, int]]:
    """(phase, 0-based cursor) per frame: forward 0..T-1, then backward T-1..0."""
    plan = [("forward", t) for t in range(length)]
    if backward:
        plan += [("backward", t) for t in reversed(range(length))]
    return plan


def frame_names(count: int) -> list[str]:
    """frame_0001.png ... (more digits only past 9999 frames, so names sort in order)."""
    width = max(4, len(str(count)))
    return [FRAME_PATTERN.format(i, width=width) for i in range(1, count + 1)]


# -- views ---------------------------------------------------------------------
def view_choices(window) -> list[tuple[str, str]]:
    """(name, label) of every view that can be recorded now: the window and each visible panel."""
    choices = [(WINDOW, "Whole window")]
    for name, panel in window.panels.items():
        if not is_shown(panel):
            continue  # a closed dock or a tab behind another: there is nothing to grab
        dock = window.docks.get(name)
        title = dock.windowTitle() if dock is not None else "Unrolled network"
        choices.append((name, title))
    return choices


def view_widget(window, name: str) -> QWidget:
    """The widget recorded for view ``name``; ValueError naming the views that exist."""
    if name == WINDOW:
        return window
    panel = window.panels.get(name)
    if panel is None:
        known = ", ".join([WINDOW, *window.panels])
        raise ValueError(f"no view called {name!r} to animate (views: {known})")
    if not is_shown(panel):
        raise ValueError(f"the {name!r} view is hidden: show its panel before recording it")
    return panel


# -- rendering -----------------------------------------------------------------
@contextlib.contextmanager
def _recording(window, widget: QWidget, size: tuple[int, int] | None) -> Iterator[None]:
    """Pause playback (and resize a top-level view) for the recording; restore all after."""
    session, state = window.session, window.state
    before = (state.cursor, state.phase, state.playing)
    old_size = widget.size()
    session.set_playing(False)  # the play timer must not move the cursor under us
    if size is not None and widget.isWindow():
        widget.resize(*size)  # lay the window out at the frame size: crisp, not rescaled
    try:
        yield
    finally:
        session.set_phase(before[1])
        session.set_cursor(before[0])
        session.set_playing(before[2])
        if widget.isWindow() and widget.size() != old_size:
            widget.resize(old_size)
        QApplication.processEvents()


def iter_frames(window, options: AnimationOptions) -> Iterator[QImage]:
    """Move the cursor/phase through the plan and grab the view once per frame.

    Closing the generator early (a cancel) still restores the cursor and phase.
    """
    widget = view_widget(window, options.view)
    session = window.session
    plan = frame_plan(window.state.analysis.length, options.backward)
    with _recording(window, widget, options.size):
        for phase, t in plan:
            session.set_phase(phase)
            session.set_cursor(t)
            QApplication.processEvents()  # let every panel (and deferred plot updates) redraw
            _settle(window)
            yield _fit(widget.grab().toImage(), options.size, widget)


def _settle(window) -> None:
    """Jump running transitions (the diagram's fade-in of a new column) to their end.

    A frame should show the step as it looks at rest, not a fade caught halfway.
    """
    finished = False
    for anim in window.findChildren(QAbstractAnimation):
        if anim.state() == QAbstractAnimation.State.Running and anim.totalDuration() > 0:
            anim.setCurrentTime(anim.totalDuration())
            finished = True
    if finished:
        QApplication.processEvents()


def _fit(image: QImage, size: tuple[int, int] | None, widget: QWidget) -> QImage:
    """The grab at exactly ``size`` pixels: scaled to fit, centred on the window colour."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    image.setDevicePixelRatio(1.0)  # count real pixels, also on high-DPI screens
    if size is None or (image.width(), image.height()) == tuple(size):
        return image
    target = QSize(*size)
    scaled = image.scaled(
        target, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    canvas = QImage(target, QImage.Format.Format_RGB888)
    canvas.fill(widget.palette().window().color())
    painter = QPainter(canvas)
    x, y = (target.width() - scaled.width()) // 2, (target.height() - scaled.height()) // 2
    painter.drawImage(x, y, scaled)
    painter.end()
    return canvas


def to_pil(image: QImage) -> Image.Image:
    """An RGB Pillow image with the QImage's pixels (rows may be padded in the QImage)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    data = bytes(image.constBits())[: stride * h]
    return Image.frombuffer("RGB", (w, h), data, "raw", "RGB", stride, 1).copy()


# -- GIF -----------------------------------------------------------------------
def gif_header(first: Image.Image, duration_ms: int, loop: int = 0) -> list[bytes]:
    """GIF89a header with the first frame's palette and a loop-forever extension."""
    header, _ = GifImagePlugin.getheader(first, info={"loop": loop, "duration": duration_ms})
    return header


def gif_frame(rgb: Image.Image, duration_ms: int, first: bool = False) -> list[bytes]:
    """One frame: its own 256-colour palette (local table) and its delay.

    Writing frames one by one (instead of ``Image.save(save_all=True)``) keeps
    every timestep as its own frame: Pillow's writer merges identical
    consecutive frames, which would break "one frame per step".
    """
    # octree quantisation: fast, and exact for the few flat colours of a UI
    p = rgb.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    chunks = gif_header(p, duration_ms) if first else []
    return chunks + GifImagePlugin.getdata(p, duration=duration_ms, include_color_table=True)


def encode_gif(frames: Iterable[Image.Image], duration_ms: int) -> bytes:
    """A whole looping GIF from RGB frames (no Qt: usable from scripts)."""
    chunks = []
    for i, frame in enumerate(frames):
        chunks += gif_frame(frame, duration_ms, first=i == 0)
    if not chunks:
        raise ValueError("an animation needs at least one frame")
    return b"".join([*chunks, b";"])


def export_gif(window, path: str | os.PathLike, options: AnimationOptions) -> Progress:
    """Record ``options.view`` into the GIF at ``path``; yields (done, total) per frame.

    The file appears only after the last frame, atomically; a cancel (closing
    the generator) writes nothing.
    """
    path = os.fspath(path)
    _check_parent(path)
    total = len(frame_plan(window.state.analysis.length, options.backward))
    chunks: list[bytes] = []
    frames = iter_frames(window, options)
    try:
        for done, image in enumerate(frames, start=1):
            chunks += gif_frame(to_pil(image), options.duration_ms, first=done == 1)
            yield done, total
    finally:
        frames.close()  # restores the cursor and phase, also on a cancel
    atomic_write_bytes(path, [*chunks, b";"])


def export_frames(window, directory: str | os.PathLike, options: AnimationOptions) -> Progress:
    """Record ``options.view`` as frame_0001.png ... in ``directory``; yields (done, total).

    Frames go to a hidden temporary folder inside ``directory`` and are moved
    into place only when all are written; old frame_*.png files there are
    replaced (the caller asks first). A cancel leaves the folder as it was
    (a folder created for this export is removed again).
    """
    directory = os.path.abspath(os.fspath(directory))
    created = not os.path.isdir(directory)
    os.makedirs(directory, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".rnnviz-frames-", dir=directory)
    total = len(frame_plan(window.state.analysis.length, options.backward))
    names = frame_names(total)
    finished = False
    frames = iter_frames(window, options)
    try:
        for done, image in enumerate(frames, start=1):
            if not image.save(os.path.join(tmp, names[done - 1]), "PNG"):
                raise OSError(f"could not write {names[done - 1]} in {directory}")
            yield done, total
        frames.close()
        for old in existing_frames(directory):  # a longer old sequence must not linger
            os.unlink(os.path.join(directory, old))
        for name in names:
            os.replace(os.path.join(tmp, name), os.path.join(directory, name))
        finished = True
    finally:
        frames.close()
        shutil.rmtree(tmp, ignore_errors=True)
        if created and not finished:
            with contextlib.suppress(OSError):  # only if still empty: never delete others' files
                os.rmdir(directory)


def existing_frames(directory: str | os.PathLike) -> list[str]:
    """The frame_*.png files already in ``directory`` (an export there would replace them)."""
    try:
        entries = os.listdir(directory)
    except FileNotFoundError:
        return []
    return sorted(n for n in entries if n.startswith("frame_") and n.endswith(".png"))


def run(progress: Progress) -> None:
    """Drive an exporter to the end (scripts, benchmarks and tests without a dialog)."""
    for _ in progress:
        pass


def _check_parent(path: str) -> None:
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError(f"cannot write {path}: the folder {parent} does not exist")
