"""Trace files: every intermediate of one pass, in JSON and CSV, read back exactly."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest

from rnnviz.engine.spec import Spec, build
from rnnviz.engine.trace import Config, run
from rnnviz.io.trace_file import (
    csv_header,
    trace_csv_text,
    trace_to_dict,
    write_trace_csv,
    write_trace_json,
)

ROOT = Path(__file__).resolve().parents[1]


def _strict_load(path) -> dict:
    """json.load that refuses NaN/Infinity, as a browser's JSON.parse would."""

    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")

    return json.loads(Path(path).read_text(encoding="utf-8"), parse_constant=refuse)


def _traced(spec: Spec):
    built = build(spec)
    return built, run(built.params, built.sample, built.config)


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
    config=Config(head="sigmoid", loss="bce", clip_mode="value"),
    params={
        "W_xh": [[0.5, 0.6, 0.7], [0.8, 0.9, 1.0]],
        "W_hh": [[0.1, 0.2], [0.3, 0.4]],
        "b_h": [0.1, 0.2],
        "W_hy": [[0.2, 0.3], [0.4, 0.5]],
        "b_y": [0.3, 0.4],
        "E": [[0.0, 0.0, 0.0]] + [[0.1 * i, 0.1 * i + 0.1, 0.1 * i + 0.2] for i in range(1, 10)],
    },
)


def test_json_holds_every_intermediate_exactly(tmp_path):
    built, tr = _traced(AI_PLANET)
    path = tmp_path / "trace.json"
    write_trace_json(path, tr, built)
    d = _strict_load(path)
    assert d["format"] == "rnnviz-trace" and d["row_i_is_timestep"] == "i+1"
    assert d["sizes"] == {"T": 9, "D": 3, "H": 2, "O": 2}
    assert d["tokens"][0] == "AI" and d["ids"][:3] == [1, 2, 3]
    arrays = {
        "xs": tr.xs,
        "zs": tr.zs,
        "hs": tr.hs,
        "logits": tr.logits,
        "ys": tr.ys,
        "step_losses": tr.step_losses,
        "dhs": tr.dh,
        "dh_local": tr.dh_local,
        "dh_carried": tr.dh_carried,
        "dh_norms": tr.dh_norms,
        "jacobian_norms": tr.jacobian_norms,
        "h0": tr.params.h0,
    }
    for key, a in arrays.items():
        assert np.array(d[key]).tobytes() == np.asarray(a).tobytes(), key
    # row 0 is timestep 1: the tutorial's h(1)
    np.testing.assert_allclose(d["hs"][0], [0.44624361, 0.64107696], atol=5e-9)
    assert d["loss"] == tr.loss
    assert set(d["grads"]) == {"W_xh", "W_hh", "b_h", "W_hy", "b_y", "h0", "E"}
    for name, g in tr.grads.items():
        assert np.array(d["grads"][name]).tobytes() == g.tobytes()
        assert np.array(d["clipped_grads"][name]).tobytes() == tr.clipped_grads[name].tobytes()
    assert d["sigma_max"] == tr.sigma_max and d["gamma"] == 1.0
    assert d["condition"]["verdict"] == "vanishing" and "σ_max" in d["condition"]["text"]
    assert d["clipping"]["mode"] == "value" and d["clipping"]["clipped"] is (tr.clip.clipped)
    assert d["clipping"]["norm_before"] == tr.clip.norm_before
    assert d["finite"] is True and d["problem"] is None and d["non_finite"] == []


def test_unscored_steps_have_null_targets():
    built, tr = _traced(AI_PLANET)
    d = trace_to_dict(tr, built)
    assert d["targets"][:8] == [None] * 8 and d["targets"][8] == [0.0, 1.0]
    assert d["scored"] == [False] * 8 + [True]
    assert d["target_tokens"][-1] == "positive" and d["output_names"] == ["negative", "positive"]


def test_overflow_is_written_as_null_and_listed(tmp_path):
    built, _ = _traced(
        Spec(
            text="hello world",
            level="char",
            hidden_size=3,
            config=Config(activation="identity", head="identity", loss="mse"),
        )
    )
    p = built.params.replace(W_hh=np.eye(3) * 1e200, W_xh=built.params.W_xh * 1e200)
    tr = run(p, built.sample, built.config)
    assert not tr.finite
    path = tmp_path / "t.json"
    write_trace_json(path, tr, built)
    d = _strict_load(path)  # still strict JSON
    assert d["finite"] is False and "overflowed" in d["problem"]
    assert {"hs", "ys", "loss", "dhs"} <= set(d["non_finite"])
    assert d["hs"][-1] == [None, None, None] and d["loss"] is None
    assert d["hs"][0] == tr.hs[0].tolist()  # the finite first step is kept as is


def test_dead_relu_jacobian_log_norm_is_null_not_minus_infinity():
    spec = Spec(
        text="a b a b",
        hidden_size=2,
        config=Config(activation="relu"),
        params={"W_xh": [[1.0, 1.0, 1.0]] * 2, "W_hh": 0.5, "b_h": -10.0, "W_hy": [[1.0, 1.0]] * 3},
    )
    built, tr = _traced(spec)
    d = trace_to_dict(tr, built)
    assert d["jacobian_norms"][:-1] == [0.0] * (tr.length - 1)
    assert d["jacobian_log10_norms"][:-1] == [None] * (tr.length - 1)
    assert d["jacobian_log10_norms"][-1] == 0.0 and d["non_finite"] == []


def test_csv_has_one_row_per_timestep_with_exact_numbers(tmp_path):
    built, tr = _traced(AI_PLANET)
    path = tmp_path / "trace.csv"
    write_trace_csv(path, tr, built)
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    assert rows[0] == [
        "t",
        "token",
        "target",
        "step_loss",
        "||dL/dh_t||",
        "||dh_T/dh_t||",
        "h_1",
        "h_2",
        "y_1",
        "y_2",
    ]
    assert len(rows) == 1 + tr.length
    last = rows[-1]
    assert last[:3] == ["9", "all", "positive"]
    assert float(last[3]) == tr.step_losses[-1] and float(last[4]) == tr.dh_norms[-1]
    assert float(last[5]) == 1.0
    assert [float(v) for v in last[6:8]] == tr.hs[-1].tolist()
    assert [float(v) for v in last[8:]] == tr.ys[-1].tolist()
    assert rows[1][2] == ""  # unscored: no target
    assert os.listdir(tmp_path) == ["trace.csv"]


def test_csv_quotes_awkward_character_tokens():
    built, tr = _traced(Spec(text='a, "b"\nc', level="char", hidden_size=2))
    rows = list(csv.reader(trace_csv_text(tr, built).splitlines(keepends=True)))
    assert [r[1] for r in rows[1:]] == list('a, "b"\n')
    assert [r[2] for r in rows[1:]] == list(', "b"\nc')


def test_csv_without_built_uses_the_sample_and_writes_non_finite_as_nan():
    built, _ = _traced(
        Spec(
            text="hello world",
            level="char",
            hidden_size=3,
            config=Config(activation="identity", head="identity", loss="mse"),
        )
    )
    p = built.params.replace(W_hh=np.eye(3) * 1e200, W_xh=built.params.W_xh * 1e200)
    tr = run(p, built.sample, built.config)
    rows = list(csv.reader(trace_csv_text(tr).splitlines()))
    assert rows[0] == csv_header(tr)
    assert (
        rows[1][1] == "h" and rows[1][2] == "0, 0, 1, 0, 0, 0, 0, 0, 0"
    )  # e = id 2 after <unk>, h
    assert "nan" in rows[-1] and np.isnan(float(rows[-1][-1]))


def test_every_key_is_documented():
    doc = (ROOT / "docs" / "trace-format.md").read_text(encoding="utf-8")
    built, tr = _traced(AI_PLANET)
    for key in trace_to_dict(tr, built):
        assert f"`{key}`" in doc, key


@pytest.mark.parametrize("truncation", [None, 2])
def test_trace_without_built(truncation):
    _, tr = _traced(
        Spec(text="to be or not to be", hidden_size=3, config=Config(truncation=truncation))
    )
    d = trace_to_dict(tr)
    assert d["name"] is None and d["target_tokens"] is None
    assert d["tokens"] == ["to", "be", "or", "not", "to"]
    assert d["config"]["truncation"] == truncation
    json.dumps(d, allow_nan=False)
