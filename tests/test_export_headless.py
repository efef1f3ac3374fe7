"""``rnnviz export`` with no display: every view in every format, from a session file.

The module's session holds trained weights and a training history, as a
session saved after pressing Train does; the training and clipping-lab
figures must show those numbers (nothing trains unless ``--train N`` asks).

The image exports run in a fresh interpreter whose environment has neither
QT_QPA_PLATFORM nor DISPLAY/WAYLAND_DISPLAY, as on a build server; the
command must choose the offscreen platform itself. One interpreter exports
every view (a window per export, as the command does), which keeps the test
fast; single invocations check the exit status and messages.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace

import numpy as np
import pytest

from rnnviz import clipping_lab as lab
from rnnviz.engine.spec import Spec, build
from rnnviz.engine.train import TrainSettings, lockstep, train
from rnnviz.io.session_file import SessionFile, save_session
from rnnviz.io.session_history import history_from_dict, history_to_dict
from rnnviz.session import Session
from rnnviz.ui import headless_export as headless
from rnnviz.ui.headless_export import NO_HISTORY, VIEW_FORMATS, main_export

LAB_STEPS = 12  # the session's training steps: the lab runs this many updates per run
SPEC = Spec(
    name="hello",
    text="hello there",
    level="char",
    hidden_size=4,
    use_unk=False,
    training={"steps": LAB_STEPS, "clip_mode": "norm", "clip_threshold": 0.5},
)
SAVED_STEPS = 9  # the training history the module's session file holds


def engine_training(spec: Spec, steps: int, params=None) -> list:
    """The engine's snapshots for ``steps`` updates with the spec's training settings."""
    built = build(spec)
    settings = replace(TrainSettings.from_dict(spec.training), steps=steps)
    return list(train(built.params if params is None else params, built.samples,
                      built.config, settings))  # fmt: skip


SNAPSHOTS = engine_training(SPEC, SAVED_STEPS)


def saved_session() -> Session:
    """The module's session as the app restores it: trained weights and history."""
    session = Session(SPEC)
    params = SNAPSHOTS[-1].params
    history = history_from_dict(history_to_dict(SNAPSHOTS), params)
    assert session.restore_training(params, history, dirty=False)
    return session


def read_csv(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def long_curves(path, points: int) -> int:
    """How many SVG paths/polylines in ``path`` have exactly ``points`` vertices (a curve
    with one vertex per update)."""
    root = ET.parse(path).getroot()
    count = 0
    for el in root.iter():
        if el.tag.split("}")[-1] in ("path", "polyline"):
            d = el.get("d") or el.get("points") or ""
            count += len(re.findall(r"[-\d.e]+[ ,][-\d.e]+", d)) == points
    return count


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# run in the child: export every (view, format) given as JSON in argv[1]; print statuses
CHILD = r"""
import json, sys
from rnnviz.ui.headless_export import main_export
jobs = json.loads(sys.argv[1])
print(json.dumps([main_export(job) for job in jobs]))
"""


def headless_env() -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")
    }
    env["PYTHONPATH"] = ROOT
    return env


def run_child(jobs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(jobs)],
        capture_output=True,
        text=True,
        timeout=120,
        env=headless_env(),
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def session_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("session") / "hello.rnnviz.json"
    sf = SessionFile(
        SPEC,
        current_params=SNAPSHOTS[-1].params,
        view={"cursor": 1},
        history=history_to_dict(SNAPSHOTS),
    )
    save_session(path, sf)
    return path


@pytest.fixture(scope="module")
def untrained_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("untrained") / "fresh.rnnviz.json"
    save_session(path, SessionFile(SPEC))
    return path


@pytest.fixture(scope="module")
def images(session_path, tmp_path_factory):
    """Every view as PNG (at 700x450, 200 dpi) and SVG, exported headless in one child."""
    out = tmp_path_factory.mktemp("images")
    jobs, files = [], []
    for view, formats in VIEW_FORMATS.items():
        for fmt in formats:
            if fmt == "csv":
                continue
            path = out / f"{view}.{fmt}"
            job = [str(session_path), "--view", view, "--format", fmt, "-o", str(path)]
            if fmt == "png":
                job += ["--size", "700x450", "--dpi", "200", "--timestep", "3"]
            jobs.append(job)
            files.append(path)
    result = run_child(jobs)
    return result, files


def test_every_view_exports_as_png_and_svg_without_a_display(images):
    from PySide6.QtGui import QImage

    result, files = images
    assert result.returncode == 0, result.stderr
    statuses = json.loads(result.stdout.strip().splitlines()[-1])
    assert statuses == [0] * len(files), result.stderr
    assert "propagateSizeHints" not in result.stderr  # Qt's offscreen chatter is filtered
    for path in files:
        assert str(path) in result.stdout  # each written path is reported
        if path.suffix == ".png":
            image = QImage(str(path))
            assert (image.width(), image.height()) == (700, 450), path
            assert round(image.dotsPerMeterX() * 0.0254) == 200
            colours = {image.pixel(x, y) for x in range(0, 700, 9) for y in range(0, 450, 9)}
            assert len(colours) > 3, f"{path} is blank"
        else:
            root = ET.parse(path).getroot()
            assert root.tag == "{http://www.w3.org/2000/svg}svg"
            tags = {el.tag.split("}")[-1] for el in root.iter()}
            assert tags & {"path", "rect", "image", "text", "polyline"}, path
    assert len(files) == 25
    # the curves are the saved history (one vertex per update) and the lab's three runs
    folder = files[0].parent
    assert long_curves(folder / "training.svg", SAVED_STEPS) >= 3  # loss, smoothed, norms
    assert long_curves(folder / "clipping-lab.svg", LAB_STEPS) >= 9  # 3 runs x 3 plots


def test_every_csv_holds_the_engines_numbers(session_path, tmp_path, capsys):
    session = saved_session()  # the trained weights the file holds, not the initial ones
    session.set_cursor(3)
    trace = session.state.analysis.trace
    for view, formats in VIEW_FORMATS.items():
        if "csv" not in formats:
            continue
        path = tmp_path / f"{view}.csv"
        argv = [str(session_path), "--view", view, "--format", "csv", "-o", str(path)]
        assert main_export([*argv, "--timestep", "4"]) == 0
        assert path.read_text().startswith(("t,", "lag,", "name,", "step,", "run,"))
    assert str(tmp_path / "training.csv") in capsys.readouterr().out
    with open(tmp_path / "hidden-heatmap.csv", newline="") as f:
        table = list(csv.reader(f))
    assert np.array_equal(np.array([[float(x) for x in r[2:]] for r in table[1:]]), trace.hs)
    with open(tmp_path / "output-bars.csv", newline="") as f:
        ys = [float(r[3]) for r in list(csv.reader(f))[1:]]
    assert ys == list(trace.ys[3])  # --timestep 4 is the cursor at index 3


def test_an_existing_file_is_kept_without_force(session_path, tmp_path, capsys):
    out = tmp_path / "h.csv"
    out.write_text("keep me")
    argv = [str(session_path), "--view", "hidden-heatmap", "--format", "csv", "-o", str(out)]
    assert main_export(argv) == 2
    assert "exists; use --force" in capsys.readouterr().err
    assert out.read_text() == "keep me"
    assert main_export([*argv, "--force"]) == 0
    assert out.read_text().startswith("t,token,h_1")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--view", "diagram", "--format", "csv"], "exports as png, svg, not csv"),
        (["--view", "window", "--format", "svg"], "exports as png, not svg"),
        (["--view", "hidden-heatmap", "--format", "csv", "--timestep", "99"], "has 10 timesteps"),
        (["--view", "hidden-heatmap", "--format", "svg", "--size", "10x10"], "PNG only"),
        (["--view", "hidden-heatmap", "--format", "csv", "--dpi", "3"], "--dpi 3"),
    ],
)
def test_bad_requests_get_one_clear_line(session_path, tmp_path, capsys, extra, message):
    assert main_export([str(session_path), *extra, "-o", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not os.listdir(tmp_path)


def test_a_bad_session_or_size_is_reported_not_raised(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "rnnviz-session", "version": 1, "input": {"text": 5}}')
    argv = [str(bad), "--view", "hidden-heatmap", "--format", "csv", "-o", str(tmp_path / "o.csv")]
    assert main_export(argv) == 2
    assert "input.text" in capsys.readouterr().err
    assert main_export(["--view", "nope"]) == 2  # argparse's usage error
    assert not (tmp_path / "o.csv").exists()


def test_unknown_size_text_is_refused_in_a_real_process(session_path, tmp_path):
    out = tmp_path / "x.png"
    argv = [str(session_path), "--view", "hidden-heatmap", "--format", "png", "-o", str(out)]
    result = run_child([[*argv, "--size", "big"]])
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [2]
    assert "WIDTHxHEIGHT" in result.stderr and not out.exists()


def test_formats_table_matches_the_parser():
    p = headless.parser()
    view = next(a for a in p._actions if a.dest == "view")
    assert list(view.choices) == list(VIEW_FORMATS)


def test_training_csv_is_the_saved_history(session_path, tmp_path):
    out = tmp_path / "training.csv"
    argv = [str(session_path), "--view", "training", "--format", "csv", "-o", str(out)]
    assert main_export(argv) == 0
    rows = read_csv(out)
    assert [int(r["step"]) for r in rows] == [s.step for s in SNAPSHOTS]
    assert [float(r["loss"]) for r in rows] == [s.loss for s in SNAPSHOTS]
    assert [float(r["grad_norm_before"]) for r in rows] == [s.grad_norm_before for s in SNAPSHOTS]


@pytest.mark.parametrize("fmt", ["csv", "png", "svg"])
def test_a_session_without_history_is_refused_with_a_hint(untrained_path, tmp_path, capsys, fmt):
    out = tmp_path / f"training.{fmt}"
    argv = [str(untrained_path), "--view", "training", "--format", fmt, "-o", str(out)]
    assert main_export(argv) == 2
    err = capsys.readouterr().err
    assert "no training history" in err and "--train N" in err and "Traceback" not in err
    assert NO_HISTORY in err and not out.exists()


def test_train_n_trains_with_the_sessions_settings_first(untrained_path, session_path, tmp_path):
    out = tmp_path / "training.csv"
    argv = [str(untrained_path), "--view", "training", "--format", "csv", "-o", str(out)]
    assert main_export([*argv, "--train", "7"]) == 0
    expected = engine_training(SPEC, 7)
    rows = read_csv(out)
    assert [float(r["loss"]) for r in rows] == [s.loss for s in expected]
    assert [r["clipped"] for r in rows] == [str(int(s.clipped)) for s in expected]
    # every other view shows the trained network
    heat = tmp_path / "h.csv"
    argv = [str(untrained_path), "--view", "hidden-heatmap", "--format", "csv", "-o", str(heat)]
    assert main_export([*argv, "--train", "7"]) == 0
    session = Session(SPEC)
    session.restore_training(expected[-1].params, expected)
    hs = np.array([[float(x) for x in list(r.values())[2:]] for r in read_csv(heat)])
    assert np.array_equal(hs, session.state.analysis.trace.hs)
    # a saved history is continued, as the app's Train button continues it
    more = tmp_path / "more.csv"
    argv = [str(session_path), "--view", "training", "--format", "csv"]
    assert main_export([*argv, "-o", str(more), "--train", "3"]) == 0
    rows = read_csv(more)
    assert len(rows) == SAVED_STEPS + 3
    # numbered through the whole history, as the plot's x axis is (not 1, 2, 3 again)
    assert [int(r["step"]) for r in rows] == list(range(1, SAVED_STEPS + 4))
    assert main_export([*argv, "-o", str(tmp_path / "x.csv"), "--train", "0"]) == 2


def test_clipping_lab_csv_is_the_three_runs_from_the_current_weights(session_path, tmp_path):
    out = tmp_path / "lab.csv"
    argv = [str(session_path), "--view", "clipping-lab", "--format", "csv", "-o", str(out)]
    assert main_export(argv) == 0
    rows = read_csv(out)
    # the lab's runs straight from the engine: the saved (trained) weights, the session's
    # settings with clipping off / value / norm at its threshold, its number of steps
    built = build(SPEC)
    base = TrainSettings.from_dict(SPEC.training)
    settings = {n: replace(base, clip_mode=m) for n, m in lab.RUNS.items()}
    items = list(lockstep(SNAPSHOTS[-1].params, built.samples, built.config, settings))
    assert len(items) == LAB_STEPS
    for name in lab.RUNS:
        mine = [r for r in rows if r["run"] == name]
        assert [float(r["loss"]) for r in mine] == [i[name].loss for i in items]
        assert [float(r["grad_norm_after"]) for r in mine] == [
            i[name].grad_norm_after for i in items
        ]
    clipped = [r["clipped"] for r in rows if r["run"] == "norm clipping"]
    assert "1" in clipped  # threshold 0.5: norm clipping really clipped
