"""Animation export (issue 5): GIF and numbered PNG frames of the timesteps, forward then backward.

Checks what a user would see in the files (frame count, size, delays, pixels
in step order), that a cancel leaves nothing behind and the cursor where it
was, and that nothing existing is replaced without asking (dialogs patched).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QProgressDialog

from rnnviz.engine.spec import Spec
from rnnviz.session import Session
from rnnviz.ui import animation_dialogs, dialogs
from rnnviz.ui.animation_actions import install_animation_actions
from rnnviz.ui.animation_export import (
    AnimationOptions,
    encode_gif,
    export_frames,
    export_gif,
    frame_names,
    frame_plan,
    iter_frames,
    run,
    to_pil,
    view_choices,
    view_widget,
)
from rnnviz.ui.main_window import MainWindow

REAL_PROGRESS = animation_dialogs.progress_dialog
HELLO = Spec(name="hello", text="hello", level="char", hidden_size=3, use_unk=False)


@pytest.fixture(scope="module")
def shared(qapp):
    """One main window for the file (building one takes about a second), actions installed."""
    w = MainWindow(Session(HELLO), settings=None)
    w.resize(1280, 800)
    w.show()
    QTest.qWaitForWindowExposed(w)
    actions = install_animation_actions(w)
    QApplication.processEvents()
    yield w, actions
    w.close()
    w.deleteLater()
    QApplication.processEvents()


@pytest.fixture
def window(shared):
    w = shared[0]
    w.session.set_playing(False)
    w.session.set_phase("forward")
    w.session.set_cursor(0)
    w.statusBar().clearMessage()
    return w


def T(window) -> int:
    return window.state.analysis.length


def gif_frames(path) -> tuple[list[np.ndarray], list[int], Image.Image]:
    im = Image.open(path)
    frames, durations = [], []
    for i in range(im.n_frames):
        im.seek(i)
        frames.append(np.asarray(im.convert("RGB"), dtype=float))
        durations.append(im.info["duration"])
    return frames, durations, im


def reference_frames(window, options) -> list[np.ndarray]:
    return [np.asarray(to_pil(img), dtype=float) for img in iter_frames(window, options)]


def leftovers(folder) -> list[str]:
    return [n for n in os.listdir(folder) if n.startswith(".")]


# -- the plan and the options ----------------------------------------------------
def test_frame_plan_walks_forward_then_backward():
    assert frame_plan(3, backward=True) == [
        ("forward", 0),
        ("forward", 1),
        ("forward", 2),
        ("backward", 2),
        ("backward", 1),
        ("backward", 0),
    ]
    assert frame_plan(3, backward=False) == [("forward", 0), ("forward", 1), ("forward", 2)]
    assert frame_names(3) == ["frame_0001.png", "frame_0002.png", "frame_0003.png"]
    assert frame_names(12000)[-1] == "frame_12000.png"  # still sorts in order


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"fps": 0}, "frames per second"),
        ({"fps": 500}, "frames per second"),
        ({"size": (4, 4)}, "outside"),
        ({"size": (640,)}, "width, height"),
        ({"view": ""}, "view"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(changes, words):
    with pytest.raises(ValueError, match=words):
        AnimationOptions(**changes)


def test_unknown_or_hidden_view_is_refused(window):
    with pytest.raises(ValueError, match="no view called 'nope'.*hidden"):
        view_widget(window, "nope")
    names = [name for name, _label in view_choices(window)]
    assert names[0] == "window" and "hidden" in names
    # the gradients dock is tabbed behind the hidden state: nothing of it is on screen
    assert "gradients" not in names
    with pytest.raises(ValueError, match="hidden"):
        view_widget(window, "gradients")


def test_recording_visits_every_step_and_phase_in_order(window):
    seen = []
    for _image in iter_frames(window, AnimationOptions(size=(320, 200))):
        seen.append((window.state.phase, window.state.cursor))
    assert seen == frame_plan(T(window), backward=True)


# -- GIF -------------------------------------------------------------------------
def test_gif_forward_and_backward_has_2T_frames_at_size_and_speed(window, tmp_path):
    window.session.set_cursor(2)
    window.session.set_phase("backward")
    dirty = window.state.dirty
    options = AnimationOptions(size=(320, 200), fps=4, backward=True)
    path = tmp_path / "steps.gif"
    run(export_gif(window, path, options))
    frames, durations, im = gif_frames(path)
    assert len(frames) == 2 * T(window)
    assert im.size == (320, 200) and all(f.shape == (200, 320, 3) for f in frames)
    assert durations == [250] * len(frames)
    assert im.info.get("loop") == 0  # plays forever on a slide
    # each frame shows its own step: matches a fresh recording, and steps differ
    refs = reference_frames(window, options)
    for i, frame in enumerate(frames):  # only the 256-colour palette differs
        distances = [np.abs(frame - ref).mean() for ref in refs]
        assert distances[i] < 4 and int(np.argmin(distances)) == i, (i, distances)
    assert np.abs(frames[0] - frames[T(window) - 1]).mean() > 0.5
    assert np.abs(frames[T(window) - 1] - frames[T(window)]).mean() > 0.5  # the phase shows
    # the cursor, phase and unsaved-changes mark are as they were
    assert (window.state.cursor, window.state.phase) == (2, "backward")
    assert window.state.dirty == dirty
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("fps", [1, 3, 12.5])
def test_gif_forward_only_has_T_frames_with_the_delay_of_fps(window, tmp_path, fps):
    path = tmp_path / "forward.gif"
    options = AnimationOptions(view="hidden", size=(300, 180), fps=fps, backward=False)
    run(export_gif(window, path, options))
    frames, durations, im = gif_frames(path)
    assert len(frames) == T(window)
    assert im.size == (300, 180)
    # GIF delays are whole centiseconds: within 5 ms of 1/fps
    assert all(abs(d - 1000 / fps) <= 5 for d in durations)


def test_identical_steps_still_get_one_frame_each():
    # Pillow's own writer merges equal frames; the animation must keep one per timestep
    frames = [Image.new("RGB", (40, 30), (200, 10, 10))] * 3 + [Image.new("RGB", (40, 30))]
    data = encode_gif(frames, 100)
    import io

    im = Image.open(io.BytesIO(data))
    assert im.n_frames == 4
    im.seek(0)
    assert im.convert("RGB").getpixel((5, 5)) == (200, 10, 10)
    with pytest.raises(ValueError, match="at least one frame"):
        encode_gif([], 100)


def test_cancelled_gif_writes_nothing_and_restores_the_cursor(window, tmp_path):
    window.session.set_cursor(1)
    path = tmp_path / "cancelled.gif"
    progress = export_gif(window, path, AnimationOptions(size=(320, 200)))
    assert [next(progress) for _ in range(3)] == [(1, 8), (2, 8), (3, 8)]
    assert window.state.cursor == 2  # it was really stepping
    progress.close()
    assert not path.exists() and os.listdir(tmp_path) == []
    assert (window.state.cursor, window.state.phase) == (1, "forward")


def test_gif_into_a_missing_folder_is_a_clear_error(window, tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        run(export_gif(window, tmp_path / "no" / "a.gif", AnimationOptions()))
    assert window.state.cursor == 0


# -- PNG frames ------------------------------------------------------------------
def test_png_frames_are_numbered_decodable_and_in_step_order(window, tmp_path):
    folder = tmp_path / "frames"
    options = AnimationOptions(view="diagram", size=(400, 250), backward=True)
    run(export_frames(window, folder, options))
    names = sorted(os.listdir(folder))
    assert names == [f"frame_{i:04d}.png" for i in range(1, 2 * T(window) + 1)]
    got = []
    for name in names:
        with Image.open(folder / name) as im:
            assert im.format == "PNG" and im.size == (400, 250)
            got.append(np.asarray(im.convert("RGB"), dtype=float))
    # each file shows its own step: it is nearest to a fresh recording of that step
    refs = reference_frames(window, options)
    for i, frame in enumerate(got):
        distances = [np.abs(frame - ref).mean() for ref in refs]
        assert distances[i] < 1 and int(np.argmin(distances)) == i, (names[i], distances)


def test_cancelled_frames_leave_the_destination_as_it_was(window, tmp_path):
    new_folder = tmp_path / "new"
    progress = export_frames(window, new_folder, AnimationOptions(size=(200, 120)))
    next(progress), next(progress)
    progress.close()
    assert not new_folder.exists()  # the folder made for this export is gone again
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "notes.txt").write_text("mine")
    progress = export_frames(window, kept, AnimationOptions(size=(200, 120)))
    next(progress)
    progress.close()
    assert os.listdir(kept) == ["notes.txt"]
    assert (window.state.cursor, window.state.phase) == (0, "forward")


# -- the GUI actions (dialogs patched) ---------------------------------------------
class FakeProgress:
    """Stands in for the QProgressDialog; presses Cancel after ``cancel_at`` frames."""

    def __init__(self, cancel_at=None):
        self.values, self.cancel_at, self.closed = [], cancel_at, False

    def setValue(self, value):  # noqa: N802 (Qt API)
        self.values.append(value)

    def wasCanceled(self):  # noqa: N802 (Qt API)
        return self.cancel_at is not None and len(self.values) >= self.cancel_at

    def close(self):
        self.closed = True


@pytest.fixture
def patched(monkeypatch, window, shared):
    """Patch every dialog; returns a dict the test fills in (options, path, answers)."""
    calls = {"confirm": [], "errors": [], "progress": FakeProgress()}
    answers = {"options": AnimationOptions(size=(320, 200), fps=5), "confirm": False}

    def ask(parent, choices, sizes, defaults, title="x"):
        calls["choices"], calls["sizes"] = choices, sizes
        return answers["options"]

    def confirm(parent, what):
        calls["confirm"].append(what)
        return answers["confirm"]

    monkeypatch.setattr(animation_dialogs, "ask_animation_options", ask)
    monkeypatch.setattr(animation_dialogs, "gif_save_path", lambda p, s="": answers["path"])
    monkeypatch.setattr(animation_dialogs, "frames_directory", lambda p, s="": answers["path"])
    monkeypatch.setattr(animation_dialogs, "confirm_overwrite", confirm)
    monkeypatch.setattr(animation_dialogs, "progress_dialog", lambda p, t, n: calls["progress"])
    monkeypatch.setattr(dialogs, "show_error", lambda p, t, x: calls["errors"].append(x))
    return answers, calls, shared[1]


def test_actions_sit_in_the_file_menu_above_quit(window, patched):
    menus = window.menuBar().findChildren(QMenu, options=Qt.FindChildOption.FindDirectChildrenOnly)
    file_menu = next(m for m in menus if m.title() == "&File")
    texts = [a.text() for a in file_menu.actions()]
    gif = texts.index("Export &animation (GIF)…")
    assert texts[gif + 1] == "Export animation &frames (PNG)…"
    assert gif < texts.index("&Quit")
    assert window.findChild(QAction, "export_animation_gif") is patched[2]["gif"]


def test_gif_action_writes_the_file_and_reports_the_path(window, patched, tmp_path):
    answers, calls, actions = patched
    answers["path"] = str(tmp_path / "lesson")  # no suffix typed: .gif is added
    actions["gif"].trigger()
    path = tmp_path / "lesson.gif"
    assert Image.open(path).n_frames == 2 * T(window)
    assert calls["progress"].values == list(range(1, 2 * T(window) + 1))
    assert calls["progress"].closed
    assert str(path) in window.statusBar().currentMessage()
    assert ("window", "Whole window") in calls["choices"]
    assert calls["sizes"]["window"] == (window.width(), window.height())
    assert calls["confirm"] == [] and calls["errors"] == []


def test_gif_action_never_overwrites_without_asking(window, patched, tmp_path):
    answers, calls, actions = patched
    path = tmp_path / "old.gif"
    path.write_bytes(b"precious")
    answers["path"] = str(path)
    answers["confirm"] = False
    actions["gif"].trigger()
    assert calls["confirm"] == [str(path)]
    assert path.read_bytes() == b"precious"
    assert calls["progress"].values == []  # nothing was even recorded
    answers["confirm"] = True
    actions["gif"].trigger()
    assert Image.open(path).n_frames == 2 * T(window)


def test_frames_action_asks_before_replacing_old_frames(window, patched, tmp_path):
    answers, calls, actions = patched
    folder = tmp_path / "frames"
    folder.mkdir()
    Image.new("RGB", (10, 10)).save(folder / "frame_0099.png")  # from a longer export
    answers["path"] = str(folder)
    answers["options"] = AnimationOptions(size=(240, 150), backward=False)
    actions["frames"].trigger()
    assert len(calls["confirm"]) == 1 and "frame_0099.png" in calls["confirm"][0]
    assert os.listdir(folder) == ["frame_0099.png"]
    answers["confirm"] = True
    actions["frames"].trigger()
    assert sorted(os.listdir(folder)) == frame_names(T(window))  # the stale frame is gone
    assert str(folder) in window.statusBar().currentMessage()


def test_cancel_in_the_progress_dialog_writes_nothing(window, patched, tmp_path):
    answers, calls, actions = patched
    window.session.set_cursor(3)
    window.session.set_phase("backward")
    calls["progress"] = FakeProgress(cancel_at=2)
    answers["path"] = str(tmp_path / "c.gif")
    actions["gif"].trigger()
    assert calls["progress"].values == [1, 2] and calls["progress"].closed
    assert os.listdir(tmp_path) == []
    assert (window.state.cursor, window.state.phase) == (3, "backward")
    assert "cancelled" in window.statusBar().currentMessage()


def test_cancelled_options_dialog_does_nothing(window, patched, tmp_path):
    answers, calls, actions = patched
    answers["options"] = None
    answers["path"] = str(tmp_path / "x.gif")
    actions["gif"].trigger()
    assert os.listdir(tmp_path) == [] and calls["progress"].values == []


def test_options_dialog_returns_what_was_chosen(qtbot):
    choices = [("window", "Whole window"), ("hidden", "Hidden state")]
    sizes = {"window": (1280, 800), "hidden": (500, 300)}
    dialog = animation_dialogs.AnimationOptionsDialog(
        None, choices, sizes, AnimationOptions(view="hidden", fps=3, backward=False)
    )
    qtbot.addWidget(dialog)
    assert dialog.options() == AnimationOptions("hidden", (500, 300), 3.0, False)
    dialog.view_combo.setCurrentIndex(0)  # another view starts from its own size
    assert (dialog.width_spin.value(), dialog.height_spin.value()) == (1280, 800)
    dialog.fps_spin.setValue(10)
    dialog.passes_combo.setCurrentIndex(0)
    assert dialog.options() == AnimationOptions("window", (1280, 800), 10.0, True)


def test_real_progress_dialog_runs_to_the_end(window, patched, monkeypatch, tmp_path):
    answers, calls, actions = patched
    made = []

    def real(parent, title, total):
        dialog = REAL_PROGRESS(parent, title, total)
        made.append((dialog.maximum(), dialog.windowModality()))
        return dialog

    monkeypatch.setattr(animation_dialogs, "progress_dialog", real)
    answers["path"] = str(tmp_path / "real.gif")
    answers["options"] = AnimationOptions(size=(200, 120), backward=False)
    actions["gif"].trigger()
    assert Image.open(tmp_path / "real.gif").n_frames == T(window)
    assert made == [(T(window), Qt.WindowModality.WindowModal)]
    # the closed dialog deletes itself: none pile up in the window
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert window.findChildren(QProgressDialog) == []
    assert str(tmp_path / "real.gif") in window.statusBar().currentMessage()
