"""``rnnviz export`` with no display: every view in every format, from a session file.

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
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from rnnviz.engine.spec import Spec
from rnnviz.io.session_file import SessionFile, save_session
from rnnviz.session import Session
from rnnviz.ui import headless_export as headless
from rnnviz.ui.headless_export import VIEW_FORMATS, main_export

SPEC = Spec(name="hello", text="hello there", level="char", hidden_size=4, use_unk=False)
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
    save_session(path, SessionFile(SPEC, view={"cursor": 1}))
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


def test_every_csv_holds_the_engines_numbers(session_path, tmp_path, capsys):
    session = Session(SPEC)
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
