"""Crash recovery: kill -9 the app mid-session, start it again, the work is back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QMainWindow

from rnnviz.engine.spec import Spec
from rnnviz.engine.train import train
from rnnviz.io.session_file import load_session
from rnnviz.session import Session
from rnnviz.ui import autosave, dialogs
from rnnviz.ui.autosave import install_autosave, recover_if_any, recovery_directory
from rnnviz.ui.main_window import MainWindow
from rnnviz.ui.session_actions import install_session_actions

HELLO = Spec(name="hello", text="hello", level="char", hidden_size=3, use_unk=False)

DRIVER = textwrap.dedent(
    """
    import json, os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from rnnviz.engine.spec import Spec
    from rnnviz.engine.train import train
    from rnnviz.session import Session
    from rnnviz.ui import autosave
    from rnnviz.ui.app import make_app, make_window
    from rnnviz.ui.session_actions import install_session_actions

    mode, directory, out = sys.argv[1:4]
    app = make_app([])
    if mode == "crash":
        spec = Spec(name="crashy", text="hello", level="char", hidden_size=3, use_unk=False,
                    task="next-token", training={"steps": 3, "learning_rate": 0.5})
        session = Session(spec)
    else:
        session = Session()  # the default example: anything else must come from recovery
    window = make_window(session, settings=None, confirm_close=True)
    install_session_actions(window)
    saver = autosave.install_autosave(window, directory)
    offered = []
    autosave.ask_recover = lambda *a: offered.append(a) or True  # the dialog says "Restore"
    recovered = autosave.recover_if_any(window)
    s = window.session
    if mode == "crash":
        s.set_text("lost? never")
        built = window.state.analysis.built
        s.apply_snapshots(list(train(built.params, built.samples, built.config,
                                     s.train_settings())))
        s.set_cursor(4)
        assert saver.tick(), saver.last_error  # the autosave timer fires
    state = window.state
    with open(out, "w") as f:
        json.dump({
            "offered": len(offered), "recovered": recovered, "text": state.spec.text,
            "name": state.spec.name, "W_hh": state.analysis.built.params.W_hh.tolist(),
            "losses": [x.loss for x in state.history], "cursor": state.cursor,
            "dirty": state.dirty,
        }, f)
    print("READY", flush=True)
    if mode == "crash":
        app.exec()  # working on, until the kill
    """
)


def _run(driver, mode, directory, out, wait: bool):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    args = [sys.executable, str(driver), mode, str(directory), str(out)]
    if not wait:
        return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True)
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def test_kill_9_then_restart_brings_the_work_back(tmp_path):
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, "utf-8")
    directory = tmp_path / "recovery"
    before_out = tmp_path / "before.json"
    proc = _run(driver, "crash", directory, before_out, wait=False)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "READY", f"driver failed (exit {proc.poll()})"
        time.sleep(0.2)
        assert proc.poll() is None  # still running: it is killed mid-session
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    before = json.loads(before_out.read_text())
    assert before["offered"] == 0 and before["text"] == "lost? never" and before["dirty"]
    assert os.path.exists(autosave.recovery_files(str(directory))[0])

    after = _run(driver, "recover", directory, tmp_path / "after.json", wait=True)
    assert after["offered"] == 1 and after["recovered"]
    assert after["name"] == "crashy" and after["text"] == "lost? never"
    assert after["W_hh"] == before["W_hh"]  # the trained weights, bit for bit
    assert after["losses"] == before["losses"] and len(after["losses"]) == 3
    assert after["cursor"] == 4 and after["dirty"]


# -- in-process behaviour -------------------------------------------------------------------------


class Shell(QMainWindow):
    """What autosave uses of the main window (building every panel would be slow)."""

    def __init__(self, spec: Spec | None = HELLO) -> None:
        super().__init__()
        self.session = Session(spec)
        self.state = self.session.state
        self.docks = {}


def shell(qtbot) -> Shell:
    w = Shell()
    qtbot.addWidget(w)
    return w


@pytest.fixture
def window(qtbot, tmp_path):
    w = shell(qtbot)
    install_autosave(w, tmp_path / "rec")
    return w


def test_the_main_window_autosaves_and_saving_removes_the_copy(qtbot, tmp_path, monkeypatch):
    w = MainWindow(Session(HELLO), settings=None)
    qtbot.addWidget(w)
    install_session_actions(w)
    saver = install_autosave(w, tmp_path / "rec")
    assert not w.state.dirty and not saver.tick()
    assert not os.path.exists(saver.path)
    w.session.set_text("hello again")
    assert saver.tick() and load_session(saver.path).spec.text == "hello again"
    monkeypatch.setattr(dialogs, "save_session_path", lambda *a: str(tmp_path / "mine.json"))
    w.save_as_action.trigger()
    assert not w.state.dirty and not os.path.exists(saver.path)


def test_an_important_change_saves_soon(window, qtbot):
    saver = window.autosaver
    saver.soon.setInterval(20)
    window.session.set_model(hidden_size=4)
    qtbot.waitUntil(lambda: os.path.exists(saver.path), timeout=2000)
    assert load_session(saver.path).spec.hidden_size == 4
    window.session.set_cursor(2)  # moving the cursor alone is no reason to write
    assert not saver.soon.isActive()


def test_training_progress_is_in_the_recovery_file(window):
    s, built = window.session, window.state.analysis.built
    spec = s.state.spec.with_(task="next-token")
    s.set_spec(spec, dirty=True)
    built = window.state.analysis.built
    s.apply_snapshots(
        list(train(built.params, built.samples, built.config, s.train_settings()))[:2]
    )
    assert window.autosaver.tick()
    sf = load_session(window.autosaver.path)
    assert sf.current_params.equals(window.state.current_params)
    assert len(sf.history["loss"]) == 2


def test_declining_deletes_the_copy_and_keeps_the_session(window, qtbot, monkeypatch):
    window.session.set_text("hello hello")
    window.autosaver.save_now()
    fresh = shell(qtbot)
    monkeypatch.setattr(autosave, "ask_recover", lambda *a: False)
    assert not recover_if_any(fresh, window.autosaver.directory)
    assert fresh.state.spec == HELLO
    assert not os.path.exists(window.autosaver.path)
    assert not recover_if_any(fresh, window.autosaver.directory)  # nothing left to offer


def test_a_damaged_recovery_file_is_reported_not_fatal(window, qtbot, monkeypatch):
    os.makedirs(window.autosaver.directory, exist_ok=True)
    with open(window.autosaver.path, "w", encoding="utf-8") as f:
        f.write('{"format": "rnnviz-session", "version": 1, "inpu')  # cut by a power loss
    errors = []
    monkeypatch.setattr(dialogs, "show_error", lambda p, t, text: errors.append(text))
    monkeypatch.setattr(autosave, "ask_recover", lambda *a: pytest.fail("must not offer"))
    assert not recover_if_any(window)
    assert errors and "line 1" in errors[0]
    assert window.state.spec == HELLO and not os.path.exists(window.autosaver.path)


def test_recovery_keeps_the_original_path(window, qtbot, tmp_path, monkeypatch):
    window.session.mark_saved(str(tmp_path / "mine.json"))
    window.session.set_text("hello world")
    window.autosaver.save_now()
    fresh = Shell(None)  # the default example
    qtbot.addWidget(fresh)
    monkeypatch.setattr(
        autosave, "ask_recover", lambda parent, saved, path: path.endswith("mine.json")
    )
    assert recover_if_any(fresh, window.autosaver.directory)
    assert fresh.state.path == str(tmp_path / "mine.json") and fresh.state.dirty
    assert fresh.state.spec.text == "hello world"


def test_default_directory_is_the_app_data_location():
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    assert recovery_directory() == os.path.join(base, "recovery")
    assert recovery_directory("/x/y") == "/x/y"


def test_a_second_window_never_touches_the_live_copy_of_the_first(window, qtbot, monkeypatch):
    window.session.set_text("hello you")
    assert window.autosaver.save_now()
    other = shell(qtbot)
    second = install_autosave(other, window.autosaver.directory)
    assert (window.autosaver.slot, second.slot) == (0, 1)
    monkeypatch.setattr(autosave, "ask_recover", lambda *a: pytest.fail("not a crash"))
    assert not recover_if_any(other)
    other.session.set_text("hello me")
    assert second.save_now() and second.path != window.autosaver.path
    second.release()  # a clean exit of the second window: the first one's copy stays
    assert not os.path.exists(second.path)
    assert load_session(window.autosaver.path).spec.text == "hello you"
