"""The rnnviz command: trace, gradcheck, presets, opening the app, and clean errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import rnnviz
from rnnviz import cli
from rnnviz.engine import bptt
from rnnviz.engine.spec import Example, Spec, build
from rnnviz.engine.trace import Config, run
from rnnviz.io.session_file import SessionFile, dumps_session, load_session, save_session

ROOT = Path(__file__).resolve().parents[1]

AI_PLANET = Spec(
    name="AI Planet",
    text="AI Planet Bootcamps are free and available to all.",
    vocab=("<unk>", "AI", "Planet", "Bootcamps", "are", "free", "and", "available", "to", "all"),
    encoding="embedding",
    embedding_size=3,
    hidden_size=2,
    classes=("negative", "positive"),
    task="many-to-one",
    label="positive",
    config=Config(head="sigmoid", loss="bce"),
    params={
        "W_xh": [[0.5, 0.6, 0.7], [0.8, 0.9, 1.0]],
        "W_hh": [[0.1, 0.2], [0.3, 0.4]],
        "b_h": [0.1, 0.2],
        "W_hy": [[0.2, 0.3], [0.4, 0.5]],
        "b_y": [0.3, 0.4],
        "E": [[0.0, 0.0, 0.0]] + [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]] * 4 + [[0.4, 0.5, 0.6]],
    },
)
SENTIMENT = Spec(
    name="tiny sentiment",
    text="good film",
    hidden_size=3,
    task="many-to-one",
    classes=("neg", "pos"),
    label="pos",
    seed=4,
    dataset=(Example("good film", "pos"), Example("bad film", "neg"), Example("good good", "pos")),
)


@pytest.fixture
def ai_file(tmp_path) -> Path:
    path = tmp_path / "ai_planet.json"
    save_session(path, AI_PLANET)
    return path


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(code: int, out: str, err: str, fragment: str) -> None:
    assert code == 2
    assert out == ""
    assert err.startswith("rnnviz: error: ") and err.count("\n") == 1, err
    assert fragment in err
    assert "Traceback" not in err


# -- trace --------------------------------------------------------------------------------------


def test_trace_prints_a_readable_summary(capsys, ai_file):
    code, out, err = _run(capsys, "trace", ai_file)
    assert code == 0 and err == ""
    assert "AI Planet: many-to-one, word level, embedding input" in out
    assert "H = 2, D = 3, O = 2 (negative, positive)" in out
    lines = out.splitlines()
    step1 = next(line for line in lines if line.lstrip().startswith("1  'AI'"))
    assert "[0.4462, 0.6411]" in step1  # h_1 of the tutorial
    step9 = next(line for line in lines if line.lstrip().startswith("9  'all'"))
    assert "positive" in step9
    assert "loss L = " in out and "condition: σ_max = 0.546 < 1/γ = 1: vanishing" in out
    assert "clipping: off" in out and "weights: the explicit weights in params" in out


def test_trace_json_to_stdout_is_the_full_trace(capsys, ai_file):
    code, out, _ = _run(capsys, "trace", ai_file, "--json")
    assert code == 0
    d = json.loads(out)
    assert d["row_i_is_timestep"] == "i+1"
    np.testing.assert_allclose(d["hs"][0], [0.44624361, 0.64107696], atol=5e-9)


def test_trace_csv_and_output_files(capsys, ai_file, tmp_path):
    code, out, _ = _run(capsys, "trace", ai_file, "--csv")
    assert code == 0 and out.splitlines()[0].startswith("t,token,target,step_loss")
    assert len(out.splitlines()) == 1 + 9
    for name, first in [("t.json", "{"), ("t.csv", "t,token"), ("t.txt", "AI Planet:")]:
        code, out, err = _run(capsys, "trace", ai_file, "-o", tmp_path / name)
        assert code == 0 and out == "" and f"wrote {tmp_path / name}" in err
        assert (tmp_path / name).read_text(encoding="utf-8").startswith(first)


def test_trace_refuses_to_overwrite_the_session_itself(capsys, ai_file):
    before = ai_file.read_bytes()
    _assert_one_line_error(
        *_run(capsys, "trace", ai_file, "--json", "-o", ai_file), "is the session file itself"
    )
    assert ai_file.read_bytes() == before


def test_trace_uses_trained_weights_unless_initial(capsys, tmp_path):
    built = build(AI_PLANET)
    trained = built.params.replace(W_hh=np.array([[0.9, 0.0], [0.0, 0.9]]), E=built.params.E * 2)
    path = tmp_path / "trained.json"
    save_session(path, SessionFile(AI_PLANET, trained))
    expected = run(trained, _embedded(built.sample, trained.E), built.config)
    _, out, _ = _run(capsys, "trace", path, "--json")
    d = json.loads(out)
    assert d["params"]["W_hh"] == [[0.9, 0.0], [0.0, 0.9]]
    assert np.array(d["hs"]).tobytes() == expected.hs.tobytes()  # x_t = E[id] from trained E
    _, out, _ = _run(capsys, "trace", path, "--json", "--initial")
    assert json.loads(out)["params"]["W_hh"] == [[0.1, 0.2], [0.3, 0.4]]
    _, out, _ = _run(capsys, "trace", path)
    assert "weights: the trained weights saved in state.current_params" in out


def _embedded(sample, E):
    from rnnviz.engine.trace import Sample

    return Sample(E[sample.ids], sample.targets, sample.scored, sample.tokens, sample.ids)


def test_wide_hidden_states_are_shortened_in_the_summary(capsys, tmp_path):
    path = tmp_path / "wide.json"
    save_session(path, Spec(text="one two three", hidden_size=9))
    _, out, _ = _run(capsys, "trace", path)
    assert "(vectors show their first 6 entries; --json has them all)" in out
    assert ", …]" in out


# -- gradcheck ----------------------------------------------------------------------------------


def test_gradcheck_passes_and_prints_a_table(capsys, ai_file):
    code, out, _ = _run(capsys, "gradcheck", ai_file)
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[3:-1]}
    assert set(rows) == {"W_xh", "W_hh", "b_h", "W_hy", "b_y", "h0", "E", "dL/dh_t"}
    assert all(r[-1] == "PASS" and float(r[1]) < 1e-7 for r in rows.values())
    assert out.splitlines()[2].split() == ["name", "rel", "error", "max", "abs", "error", "result"]
    assert out.rstrip().endswith("all 8 checks passed")


def test_gradcheck_covers_the_training_samples(capsys, tmp_path):
    path = tmp_path / "s.json"
    save_session(path, SENTIMENT)
    code, out, _ = _run(capsys, "gradcheck", path)
    assert code == 0 and "3 samples" in out
    _, out, _ = _run(capsys, "gradcheck", path, "--max-samples", "2")
    assert "2 of 3 samples" in out
    _, out, _ = _run(capsys, "gradcheck", path, "--displayed")
    assert "the displayed text" in out


def test_gradcheck_fails_with_exit_1_when_bptt_is_wrong(capsys, ai_file, monkeypatch):
    real = bptt.backward

    def buggy(*args, **kwargs):  # a 1% error in dL/dW_hh, as a sign slip or a missing term gives
        out = real(*args, **kwargs)
        out["grads"]["W_hh"] = out["grads"]["W_hh"] * 1.01
        return out

    monkeypatch.setattr(bptt, "backward", buggy)
    code, out, _ = _run(capsys, "gradcheck", ai_file)
    assert code == 1
    w_hh = next(line for line in out.splitlines() if line.startswith("W_hh "))
    assert w_hh.endswith("FAIL")
    assert "1 of 8 checks FAILED: W_hh" in out


# -- presets ------------------------------------------------------------------------------------


@pytest.fixture
def fake_presets(monkeypatch):
    """A stand-in with the presets API (names, get, describe)."""
    mod = types.ModuleType("rnnviz.presets")
    table = {
        "ai-planet": (AI_PLANET, "The AI Planet tutorial's step.\nMore detail."),
        "sentiment": (SENTIMENT, "Three tiny reviews."),
    }
    mod.names = lambda: list(table)

    def get(name):
        if name not in table:
            raise ValueError(f"unknown preset {name!r}")
        return table[name][0]

    mod.get = get
    mod.describe = lambda name: table[name][1]
    monkeypatch.setitem(sys.modules, "rnnviz.presets", mod)
    monkeypatch.setattr(rnnviz, "presets", mod, raising=False)
    return mod


def test_presets_lists_names_with_one_line_descriptions(capsys, fake_presets):
    code, out, _ = _run(capsys, "presets")
    assert code == 0
    assert out.splitlines() == [
        "ai-planet  The AI Planet tutorial's step.",
        "sentiment  Three tiny reviews.",
    ]


def test_preset_writes_a_session_file_and_refuses_to_overwrite(capsys, fake_presets, tmp_path):
    path = tmp_path / "lesson.json"
    code, _, err = _run(capsys, "preset", "ai-planet", "-o", path)
    assert code == 0 and "wrote preset 'ai-planet'" in err
    assert dumps_session(load_session(path)) == dumps_session(AI_PLANET)
    assert build(load_session(path).spec).params.equals(build(AI_PLANET).params)
    path.write_text("my own notes")
    _assert_one_line_error(
        *_run(capsys, "preset", "sentiment", "-o", path),
        "already exists; use --force to overwrite it",
    )
    assert path.read_text() == "my own notes"
    code, _, _ = _run(capsys, "preset", "sentiment", "-o", path, "--force")
    assert code == 0 and load_session(path).spec.name == "tiny sentiment"


def test_preset_without_output_prints_the_file_and_unknown_names_are_errors(capsys, fake_presets):
    code, out, _ = _run(capsys, "preset", "sentiment")
    assert code == 0 and json.loads(out)["name"] == "tiny sentiment"
    _assert_one_line_error(
        *_run(capsys, "preset", "nope"),
        "no preset called 'nope'; the presets are: ai-planet, sentiment",
    )


# -- opening the app ----------------------------------------------------------------------------


@pytest.fixture
def fake_app(monkeypatch):
    calls = []
    mod = types.ModuleType("rnnviz.ui.app")
    mod.main = lambda session_path=None: calls.append(session_path) or 0
    monkeypatch.setitem(sys.modules, "rnnviz.ui.app", mod)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    return calls


def test_no_arguments_open_the_app(capsys, fake_app):
    assert cli.main([]) == 0
    assert fake_app == [None]


def test_a_session_argument_opens_it_in_the_app(capsys, fake_app, ai_file):
    assert cli.main([str(ai_file)]) == 0
    assert fake_app == [str(ai_file)]


def test_a_bad_session_is_reported_before_any_window_opens(capsys, fake_app, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "rnnviz-session", "version": 1, "input": {"text": 5}}')
    _assert_one_line_error(*_run(capsys, bad), "input.text: expected text in double quotes")
    assert fake_app == []


def test_without_a_display_the_app_is_not_started(capsys, monkeypatch, fake_app):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    _assert_one_line_error(*_run(capsys), "no display to open the app on")
    assert fake_app == []


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["trace", "gradcheck"])
def test_a_missing_file_is_one_line_and_exit_2(capsys, tmp_path, command):
    _assert_one_line_error(
        *_run(capsys, command, tmp_path / "absent.json"), "No such file or directory"
    )


def test_a_bad_session_names_the_file_and_the_problem(capsys):
    path = ROOT / "tests" / "data" / "malformed" / "ragged_matrix.json"
    _assert_one_line_error(
        *_run(capsys, "trace", path), f"{path}: params.W_hh row 2: expected 3 numbers, found 2"
    )


def test_an_unwritable_output_is_one_line(capsys, ai_file, tmp_path):
    _assert_one_line_error(
        *_run(capsys, "trace", ai_file, "-o", tmp_path / "no" / "x.json"), "cannot write"
    )


def test_extra_arguments_and_usage_errors_exit_2(capsys, ai_file):
    _assert_one_line_error(*_run(capsys, ai_file, "extra"), "unexpected argument 'extra'")
    code, out, err = _run(capsys, "trace")
    assert code == 2 and "the following arguments are required: SESSION.json" in err
    code, _, err = _run(capsys, "trace", ai_file, "--json", "--csv")
    assert code == 2 and "not allowed with argument" in err
    _assert_one_line_error(
        *_run(capsys, "gradcheck", ai_file, "--max-samples", "-1"),
        "--max-samples must be 0 (all) or more",
    )


def test_help_and_version(capsys):
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    for command in ("trace", "gradcheck", "presets", "preset"):
        assert command in out
    code, out, _ = _run(capsys, "--version")
    assert code == 0 and out.strip() == f"rnnviz {rnnviz.__version__}"


def test_an_unexpected_bug_is_still_one_line(capsys, ai_file, monkeypatch):
    monkeypatch.delenv("RNNVIZ_DEBUG", raising=False)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(cli, "format_summary", broken)
    code, out, err = _run(capsys, "trace", ai_file)
    assert code == 2 and err.count("\n") == 1 and "internal error (ZeroDivisionError: boom)" in err


# -- headless, as a real process ----------------------------------------------------------------


def _headless_env() -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def test_python_m_rnnviz_trace_runs_without_a_display(ai_file):
    proc = subprocess.run(
        [sys.executable, "-m", "rnnviz", "trace", str(ai_file)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        env=_headless_env(),
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "[0.4462, 0.6411]" in proc.stdout and "loss L = " in proc.stdout


def test_the_command_line_never_imports_qt(ai_file):
    """trace, gradcheck and presets work where Qt is broken or missing."""
    code = (
        "import sys; from rnnviz.cli import main; "
        f"rc = main(['trace', {str(ai_file)!r}, '--json']) "
        f"or main(['gradcheck', {str(ai_file)!r}]) or main(['presets']); "
        "sys.exit(10 if any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules) "
        "else rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=_headless_env(),
        cwd=ROOT,
    )
    assert proc.returncode == 0, (proc.returncode, proc.stderr)


def test_a_numeric_series_session_traces_and_checks(capsys, tmp_path):
    path = tmp_path / "series.json"
    path.write_text(
        '{"format": "rnnviz-session", "version": 1, "name": "series",'
        ' "input": {"text": "1, 2\\n2, 3\\n3, 5\\n5, 8", "encoding": "numeric"},'
        ' "model": {"hidden_size": 3, "head": "identity", "loss": "mse", "truncation": 2},'
        ' "clipping": {"mode": "norm", "threshold": 0.5}}'
    )
    code, out, _ = _run(capsys, "trace", path)
    assert code == 0
    assert out.startswith("series: next-token, a numeric series\n")
    assert "truncated BPTT (k = 2)" in out and "clipping: norm at 0.5: clipped" in out
    code, out, _ = _run(capsys, "gradcheck", path)
    assert code == 0 and "all 7 checks passed" in out  # no E without an embedding


def test_gradcheck_warns_when_it_will_be_slow(capsys, ai_file, monkeypatch):
    monkeypatch.setattr(cli, "SLOW_STEPS", 10)
    code, _, err = _run(capsys, "gradcheck", ai_file)
    assert code == 0 and "this may take minutes" in err


# -- the real presets ---------------------------------------------------------------------------


def test_real_presets_are_listed_one_line_each(capsys):
    from rnnviz import presets

    code, out, _ = _run(capsys, "presets")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == presets.names()
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)  # every one has a description


def test_every_real_preset_writes_a_session_that_loads_back_equal(capsys, tmp_path):
    from rnnviz import presets

    for name in presets.names():
        path = tmp_path / f"{name}.json"
        code, _, err = _run(capsys, "preset", name, "-o", path)
        assert code == 0, err
        loaded = load_session(path)
        assert loaded.spec == presets.get(name), name
        save_session(tmp_path / "again.json", loaded)
        assert (tmp_path / "again.json").read_bytes() == path.read_bytes(), name
        code, out, err = _run(capsys, "trace", path)
        assert code == 0 and out.startswith(presets.get(name).name), (name, err)


def test_the_documented_ai_planet_example_is_the_ai_planet_preset():
    import re

    from rnnviz import presets
    from rnnviz.io.session_file import loads_session

    doc = (ROOT / "docs" / "session-format.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```json\n(.*?)```", doc, re.S) if "AI Planet" in b)
    documented, preset = loads_session(block).spec, presets.get("ai-planet")
    for field in (
        "text",
        "level",
        "vocab",
        "encoding",
        "embedding_size",
        "hidden_size",
        "classes",
        "task",
        "label",
        "config",
        "params",
    ):
        assert getattr(documented, field) == getattr(preset, field), field
