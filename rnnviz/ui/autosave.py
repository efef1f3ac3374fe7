"""Crash recovery: unsaved work is written to a recovery file and offered back at startup.

``install_autosave(window)`` writes the whole session (the same document as
File ▸ Save: spec, trained weights, history, view) to
``<AppDataLocation>/recovery/recovery-0.rnnviz.json`` every 30 s and about two
seconds after an important change (text, settings, weights, training), but
only while there are unsaved changes. Every write is atomic, so a kill in
the middle of one leaves the previous recovery file intact. Saving the
session, or closing the app on purpose, deletes the recovery file: it only
survives a crash, a ``kill -9`` or a power cut.

Each running rnnviz holds a lock on its own slot (``recovery-<i>.lock``,
a ``QLockFile``), so a second window never offers, or deletes, the live copy
of the first; the lock of a process that was killed goes stale, and the next
start takes that slot over and finds the copy. At the next start
``recover_if_any(window)`` finds it and asks (``ask_recover``,
patched in tests) whether to restore it; the restored session is marked as
unsaved and keeps the path of the file it came from, so Save writes there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os

from PySide6.QtCore import QEvent, QLockFile, QObject, QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ..io.atomic import atomic_write_text
from ..io.session_file import dumps_session, load_session
from . import dialogs
from .session_actions import restore_docks, restore_session, session_file_of

MAX_SLOTS = 8  # rnnviz windows running at once, each with its own recovery file
INTERVAL_MS = 30_000  # the regular tick
SOON_MS = 2_000  # after an important change (coalesces a burst, e.g. live training)
_IMPORTANT = ("spec", "current_params", "history")


def recovery_directory(directory: str | os.PathLike | None = None) -> str:
    """``directory``, or the app's data folder (QStandardPaths AppDataLocation)/recovery."""
    if directory is not None:
        return os.fspath(directory)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return os.path.join(base or os.path.expanduser("~/.rnnviz"), "recovery")


def recovery_files(directory: str, slot: int = 0) -> tuple[str, str]:
    """(the session copy, its note of where it was saved and when) for one slot."""
    base = os.path.join(directory, f"recovery-{slot}")
    return f"{base}.rnnviz.json", f"{base}.meta.json"


def _take_slot(directory: str) -> tuple[QLockFile | None, int | None]:
    """The first slot no running rnnviz holds (a dead process's lock is stale)."""
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        return None, None
    for slot in range(MAX_SLOTS):
        lock = QLockFile(os.path.join(directory, f"recovery-{slot}.lock"))
        lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
        if lock.tryLock(0):
            return lock, slot
    return None, None


def ask_recover(parent: QWidget | None, saved: str, path: str | None) -> bool:
    """Offer the recovered work; True to restore it."""
    where = f" (from {os.path.basename(path)})" if path else ""
    answer = QMessageBox.question(
        parent,
        "Recover unsaved work?",
        f"rnnviz did not close properly last time. Unsaved work{where} was kept "
        f"at {saved}.\n\nRestore it? (No deletes the copy.)",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Yes,
    )
    return answer == QMessageBox.StandardButton.Yes


class Autosaver(QObject):
    """Writes the window's session to the recovery file while it has unsaved changes."""

    def __init__(self, window, directory: str) -> None:
        super().__init__(window)
        self.window = window
        self.state = window.state
        self.directory = directory
        self.lock, self.slot = _take_slot(directory)
        self.path, self.meta_path = recovery_files(directory, self.slot or 0)
        self.last_error: str | None = None
        if self.lock is None:  # read-only disk, or many windows: work on, without a copy
            self.last_error = f"no recovery slot free in {directory}"
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.soon = QTimer(self)
        self.soon.setSingleShot(True)
        self.soon.setInterval(SOON_MS)
        self.soon.timeout.connect(self.tick)
        for name in _IMPORTANT:
            getattr(self.state.events, name).connect(self._on_important_changed)
        self.state.events.dirty.connect(self._on_dirty_changed)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.release)  # a clean exit leaves nothing to recover
        window.installEventFilter(self)

    # -- state -> autosave ----------------------------------------------------
    def _on_important_changed(self, _value) -> None:
        if self.state.dirty and not self.soon.isActive():
            self.soon.start()  # not restarted by every change, so live training still saves

    def _on_dirty_changed(self, dirty) -> None:
        if not dirty:  # saved (or a fresh session): the file on disk is the latest work
            self.soon.stop()
            self.discard()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        if obj is self.window and event.type() == QEvent.Type.Close:
            # the window may still refuse (Cancel); look once the close has been decided
            QTimer.singleShot(0, self._after_close)
        return False

    def _after_close(self) -> None:
        if not self.window.isVisible():
            self.release()

    # -- the file ---------------------------------------------------------------
    def tick(self) -> bool:
        """Write the recovery file if there are unsaved changes; True if written."""
        return self.save_now() if self.state.dirty else False

    def save_now(self) -> bool:
        """Write the recovery file now; a failure is remembered, never shown mid-work."""
        if self.lock is None:
            return False
        try:
            text = dumps_session(session_file_of(self.window))
            atomic_write_text(self.path, text)
            meta = {"path": self.state.path, "saved": dt.datetime.now().isoformat(" ", "seconds")}
            atomic_write_text(self.meta_path, json.dumps(meta))
        except Exception as e:  # e.g. a full disk or NaN weights: autosave must not crash
            self.last_error = str(e)
            return False
        self.last_error = None
        return True

    def discard(self) -> None:
        if self.lock is None:
            return  # the files of this slot belong to another window
        for path in (self.path, self.meta_path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)

    def release(self) -> None:
        """A clean exit: no copy is needed, and the slot is free for the next start."""
        self.discard()
        if self.lock is not None:
            self.lock.unlock()
            self.lock = None


def install_autosave(window, directory: str | os.PathLike | None = None) -> Autosaver:
    """Start autosaving ``window``'s session; kept as ``window.autosaver``."""
    saver = Autosaver(window, recovery_directory(directory))
    window.autosaver = saver
    return saver


def _read_meta(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return {}
    if not isinstance(meta, dict):
        return {}
    return {
        k: meta[k]
        for k in ("path", "saved")
        if isinstance(meta.get(k), str) and len(meta[k]) < 4096
    }


def recover_if_any(window, directory: str | os.PathLike | None = None) -> bool:
    """At startup: offer the work a crash left behind; True if it was restored.

    With an autosaver, its own slot is looked at (the one a killed rnnviz held);
    without one, slot 0 of ``directory``.
    """
    saver = getattr(window, "autosaver", None)
    if saver is not None and directory is None:
        if saver.lock is None:
            return False
        path, meta_path = saver.path, saver.meta_path
    else:
        path, meta_path = recovery_files(recovery_directory(directory))
    if not os.path.exists(path):
        return False

    def forget() -> None:
        for p in (path, meta_path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(p)

    try:
        sf = load_session(path)
    except Exception as e:
        dialogs.show_error(window, "Could not recover the unsaved work", f"{path}\n\n{e}")
        forget()
        return False
    meta = _read_meta(meta_path)
    if not ask_recover(window, meta.get("saved", "an unknown time"), meta.get("path")):
        forget()
        return False
    problem = restore_session(window.session, sf, meta.get("path"), dirty=True)
    if problem is not None:
        dialogs.show_error(window, "Could not recover the unsaved work", problem)
        forget()
        return False
    restore_docks(window, sf.view)
    window.statusBar().showMessage("Recovered the unsaved work of the last session", 10000)
    if saver is not None:
        saver.save_now()  # keep the copy until the user saves: another crash must not lose it
    return True
