"""Save from the GUI, open in a fresh window: the same experiment, weights, history and view."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from rnnviz import presets
from rnnviz.engine.spec import Spec
from rnnviz.engine.train import train
from rnnviz.io.session_file import SessionFile, load_session, save_session
from rnnviz.io.session_history import history_from_dict, history_to_dict
from rnnviz.session import Session
from rnnviz.ui import dialogs, session_actions
from rnnviz.ui.main_window import MainWindow
from rnnviz.ui.session_actions import install_session_actions

HELLO = Spec(
    name="hello",
    text="hello",
    level="char",
    hidden_size=3,
    use_unk=False,
    task="next-token",
    training={"steps": 6, "learning_rate": 0.3},
)


def make_window(qtbot, spec=HELLO, confirm_close=False) -> MainWindow:
    window = MainWindow(Session(spec), settings=None, confirm_close=confirm_close)
    qtbot.addWidget(window)
    install_session_actions(window)
    return window


def trained(window) -> None:
    """Six real training updates, delivered as the worker delivers them."""
    s, built = window.session, window.state.analysis.built
    snaps = list(train(built.params, built.samples, built.config, s.train_settings()))
    assert len(snaps) == 6 and not snaps[-1].stopped
    s.apply_snapshots(snaps[:4])
    s.apply_snapshots(snaps[4:])


@pytest.fixture
def no_dialogs(monkeypatch):
    """Every dialog answers from this dict; errors are recorded instead of shown."""
    answers = {"errors": []}
    monkeypatch.setattr(dialogs, "save_session_path", lambda *a: answers["save"])
    monkeypatch.setattr(dialogs, "open_session_path", lambda *a: answers["open"])
    monkeypatch.setattr(dialogs, "show_error", lambda p, t, text: answers["errors"].append(text))
    monkeypatch.setattr(dialogs, "ask_save_changes", lambda *a: answers["ask"])
    return answers


def test_save_then_open_in_a_fresh_window_restores_everything(qtbot, tmp_path, no_dialogs):
    a = make_window(qtbot)
    trained(a)
    s = a.session
    s.set_cursor(3)
    s.set_notation("uvw")
    s.set_selected_unit(1)
    s.set_phase("backward")
    assert a.state.dirty
    first = tmp_path / "exp.rnnviz.json"
    no_dialogs["save"] = str(first)
    a.save_as_action.trigger()
    assert not no_dialogs["errors"]
    assert not a.state.dirty and a.state.path == str(first)

    b = make_window(qtbot, spec=presets.get(presets.names()[0]))
    no_dialogs["open"] = str(first)
    b.open_action.trigger()
    assert not no_dialogs["errors"]
    sa, sb = a.state, b.state
    assert sb.spec == sa.spec
    assert sb.current_params is not None and sb.current_params.equals(sa.current_params)
    assert sb.analysis.built.params.equals(sa.analysis.built.params)
    assert sb.analysis.trace.loss == sa.analysis.trace.loss  # bit-exact weights, same loss
    assert b.loss_label.text() == a.loss_label.text()
    assert len(sb.history) == 6
    for field in ("step", "loss", "accuracy", "grad_norm_before", "grad_norm_after", "cosine"):
        assert [getattr(x, field) for x in sb.history] == [getattr(x, field) for x in sa.history]
    assert [x.param_grad_norms for x in sb.history] == [
        {k: float(v) for k, v in x.param_grad_norms.items()} for x in sa.history
    ]
    assert (sb.cursor, sb.notation, sb.selected_unit, sb.phase) == (3, "uvw", 1, "backward")
    assert b.position_label.text() == a.position_label.text()
    assert not sb.dirty and sb.path == str(first)

    # save -> load -> save: the same bytes
    second = tmp_path / "again.rnnviz.json"
    no_dialogs["save"] = str(second)
    b.save_as_action.trigger()
    assert second.read_bytes() == first.read_bytes()

    # training continues from the restored weights in the fresh window
    built = sb.analysis.built
    more = next(train(built.params, built.samples, built.config, b.session.train_settings()))
    b.session.apply_snapshots([more])
    assert len(sb.history) == 7


def test_damaged_file_leaves_the_session_untouched(qtbot, tmp_path, no_dialogs):
    w = make_window(qtbot)
    trained(w)
    before = (w.state.spec, w.state.current_params, w.state.history, w.state.path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "rnnviz-session", "version": 1, "input": {"text": ""', "utf-8")
    no_dialogs["open"] = str(bad)
    w.open_action.trigger()
    assert len(no_dialogs["errors"]) == 1 and "bad.json" in no_dialogs["errors"][0]
    after = (w.state.spec, w.state.current_params, w.state.history, w.state.path)
    assert all(x is y for x, y in zip(before, after, strict=True))


def test_wrong_shaped_saved_weights_are_refused(qtbot, tmp_path, no_dialogs):
    w = make_window(qtbot)
    trained(w)
    path = tmp_path / "s.json"
    no_dialogs["save"] = str(path)
    w.save_as_action.trigger()
    text = path.read_text("utf-8").replace('"hidden_size": 3', '"hidden_size": 4', 1)
    path.write_text(text, "utf-8")
    spec = w.state.spec
    no_dialogs["open"] = str(path)
    w.open_action.trigger()
    assert "state.current_params" in no_dialogs["errors"][0]
    assert w.state.spec is spec


def test_new_asks_about_unsaved_changes(qtbot, no_dialogs):
    w = make_window(qtbot, confirm_close=True)
    names = [a.text() for a in session_actions.file_menu(w).actions()]
    assert names.index("&New") < names.index("&Open session…")
    assert "Export &weights (.npz)…" in names and "&Import weights (.npz)…" in names
    w.session.set_text("hello there")
    no_dialogs["ask"] = "cancel"
    w.session_actions["new"].trigger()
    assert w.state.spec.text == "hello there" and w.state.dirty
    no_dialogs["ask"] = "discard"
    w.session_actions["new"].trigger()
    assert w.state.spec == presets.get(presets.names()[0])
    assert not w.state.dirty and w.state.path is None


def _drag(window, path, drop=False):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    pos = window.rect().center()
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    if drop:
        event = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, buttons, mods)
    else:
        event = QDragEnterEvent(QPoint(pos), Qt.DropAction.CopyAction, mime, buttons, mods)
    QApplication.sendEvent(window, event)
    return event.isAccepted()


def test_dropping_a_session_file_opens_it(qtbot, tmp_path, no_dialogs):
    src = make_window(qtbot)
    trained(src)
    src.session.set_cursor(2)
    path = tmp_path / "dropped.json"
    no_dialogs["save"] = str(path)
    src.save_as_action.trigger()
    other = tmp_path / "notes.txt"
    other.write_text("not a session", "utf-8")

    w = make_window(qtbot, spec=presets.get(presets.names()[0]))
    assert w.acceptDrops()
    assert not _drag(w, other)  # not ours: refused
    assert _drag(w, path)
    _drag(w, path, drop=True)
    qtbot.waitUntil(lambda: w.state.path == str(path), timeout=2000)
    assert w.state.spec == src.state.spec and w.state.cursor == 2
    assert w.state.current_params.equals(src.state.current_params)


def test_export_and_import_weights_from_the_menu(qtbot, tmp_path, no_dialogs, monkeypatch):
    w = make_window(qtbot)
    trained(w)
    exported = w.state.analysis.built.params
    path = tmp_path / "w.npz"
    monkeypatch.setattr(session_actions, "ask_weights_save_path", lambda *a: str(path))
    monkeypatch.setattr(session_actions, "ask_weights_open_path", lambda *a: str(path))
    w.session_actions["export_weights"].trigger()
    assert path.exists() and str(path) in w.statusBar().currentMessage()
    with np.load(path, allow_pickle=False) as npz:
        assert np.array_equal(npz["weight_hh_l0"], exported.W_hh)

    w.session.reset_weights()
    assert not w.state.analysis.built.params.equals(exported)
    w.session.set_training_status("running")  # a run in progress would overwrite them
    w.session_actions["import_weights"].trigger()
    assert "Stop the training" in no_dialogs["errors"][-1]
    assert not w.state.analysis.built.params.equals(exported)
    w.session.set_training_status("stopped")
    w.session_actions["import_weights"].trigger()
    assert w.state.analysis.built.params.equals(exported)
    assert w.state.history == () and w.state.dirty
    assert "imported" in w.state.notice

    # a file for another network: a clear message, weights unchanged
    with np.load(path, allow_pickle=False) as npz:
        arrays = dict(npz)
    arrays["weight_hh_l0"] = np.zeros((2, 2))
    np.savez(path, **arrays)
    w.session_actions["import_weights"].trigger()
    assert "weight_hh_l0 is 2 × 2" in no_dialogs["errors"][-1]
    assert w.state.analysis.built.params.equals(exported)


# -- the history as plain curves (Qt-free) --------------------------------------------------------


def test_a_blown_up_history_round_trips_through_the_file(tmp_path):
    session = Session(presets.get("exploding"))
    built = session.state.analysis.built
    snaps = tuple(train(built.params, built.samples, built.config, session.train_settings()))
    assert snaps[-1].stopped and np.isnan(snaps[-1].loss)  # the loss overflowed: stopped
    spec = session.state.spec
    sf = SessionFile(spec, current_params=snaps[-1].params, history=history_to_dict(snaps))
    path = tmp_path / "blown.json"
    save_session(path, sf)
    loaded = load_session(path)
    back = history_from_dict(loaded.history, loaded.current_params)
    assert [s.step for s in back] == [s.step for s in snaps]
    assert back[-1].stopped == snaps[-1].stopped  # the reason is kept
    assert back[-1].params.equals(snaps[-1].params)
    assert [s.loss for s in back[:-1]] == [s.loss for s in snaps[:-1]]
    assert np.isnan(back[-1].loss)  # saved as null, back as NaN


def test_a_hand_written_history_needs_only_a_curve():
    back = history_from_dict({"loss": [3.0, 2.5, 2.0]})
    assert [s.step for s in back] == [1, 2, 3] and [s.loss for s in back] == [3.0, 2.5, 2.0]
    assert all(s.accuracy is None and not s.clipped for s in back)


def test_a_history_with_bad_steps_is_refused(qtbot, tmp_path, no_dialogs):
    w = make_window(qtbot)
    trained(w)
    path = tmp_path / "s.json"
    no_dialogs["save"] = str(path)
    w.save_as_action.trigger()
    text = path.read_text("utf-8")
    start = text.index('"step": [') + len('"step": [')
    path.write_text(text[:start] + "-1.5, " + text[start:].split(",", 1)[1], "utf-8")
    spec = w.state.spec
    no_dialogs["open"] = str(path)
    w.open_action.trigger()
    assert "state.history.step" in no_dialogs["errors"][0]
    assert w.state.spec is spec
