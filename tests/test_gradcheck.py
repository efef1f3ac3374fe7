"""BPTT gradients agree with central differences (float64, relative error < 1e-7).

Every parameter (W_xh, W_hh, b_h, W_hy, b_y, a trainable h0, the embedding E)
and dL/dh_t itself -- the quantity the gradient panel plots -- are checked by
``rnnviz.engine.gradcheck.check`` across the cross product of activations,
(loss, head) pairs, tasks, truncation lengths, encodings and reductions.
Sizes are tiny (H = 3, T = 4) so the whole file runs in seconds.
"""

from __future__ import annotations

import dataclasses
import importlib
import itertools

import numpy as np
import pytest

from rnnviz.engine.spec import Spec, build
from rnnviz.engine.trace import Config, run

ACTIVATIONS = ("tanh", "relu", "sigmoid", "identity")
PAIRS = (  # (loss, head)
    ("ce", "softmax"),
    ("ce", "sigmoid"),
    ("bce", "sigmoid"),
    ("mse", "softmax"),
    ("mse", "sigmoid"),
    ("mse", "identity"),
)
TASKS = ("many-to-one", "many-to-many", "next-token")
TRUNCATIONS = (None, 1, 2, 4)  # T = 4 for every task below: k = T is full BPTT
ENCODINGS = ("onehot", "embedding")
REDUCTIONS = ("sum", "mean")
TOL = 1e-7
# The module, not the function: rnnviz/engine/__init__.py rebinds the package
# attribute ``gradcheck`` to ``check`` (see test_engine_units for that bug).
gc = importlib.import_module("rnnviz.engine.gradcheck")


def _spec(task: str, encoding: str, config: Config, seed: int) -> Spec:
    """A tiny experiment for ``task``; the vocabulary has no <unk> to keep D small."""
    common = dict(
        hidden_size=3, encoding=encoding, embedding_size=2, use_unk=False, config=config, seed=seed
    )
    if task == "next-token":  # "abcab": a b c a predict b c a b (T = 4, V = O = 3)
        return Spec(text="abcab", level="char", task=task, **common)
    if task == "many-to-one":  # only the last of 4 steps is scored
        return Spec(text="a b c b", task=task, classes=("x", "y"), label="y", **common)
    # many-to-many with step 2 unscored
    return Spec(text="a b c b", task=task, classes=("x", "y"), tags=("x", None, "y", "x"), **common)


def _problem(activation, pair, task, encoding, reduction, truncation):
    """(params, sample, config) with non-zero biases and h0, ReLU kinks avoided."""
    loss, head = pair
    config = Config(
        activation=activation, head=head, loss=loss, reduction=reduction, truncation=truncation
    )
    for seed in range(200):
        built = build(_spec(task, encoding, config, seed))
        rng = np.random.default_rng(1000 + seed)
        p = built.params
        # zero biases and h0 would hide bugs in their gradients (and h0 is trainable)
        params = p.replace(
            W_hh=p.W_hh + 0.3 * rng.standard_normal(p.W_hh.shape),
            b_h=0.5 * rng.standard_normal(p.b_h.shape),
            b_y=0.5 * rng.standard_normal(p.b_y.shape),
            h0=0.5 * rng.standard_normal(p.h0.shape),
        )
        # E is unchanged, so the sample's xs (rows of E) still match these params
        zs = run(params, built.sample, config).zs
        # central differences with eps = 1e-5 must not straddle ReLU's kink at 0
        if activation != "relu" or (np.abs(zs).min() > 1e-3 and (zs > 0).mean() > 0.3):
            return params, built.sample, config
    raise AssertionError("no seed keeps the ReLU pre-activations away from 0")


CASES = list(itertools.product(ACTIVATIONS, PAIRS, TASKS, ENCODINGS, REDUCTIONS, TRUNCATIONS))


@pytest.mark.parametrize(
    ("activation", "pair", "task", "encoding", "reduction", "truncation"),
    CASES,
    ids=[f"{a}-{lo}+{h}-{t}-{e}-{r}-k{k}" for a, (lo, h), t, e, r, k in CASES],
)
def test_bptt_matches_central_differences(activation, pair, task, encoding, reduction, truncation):
    params, sample, config = _problem(activation, pair, task, encoding, reduction, truncation)
    rows = gc.check(params, sample, config)
    names = [r["name"] for r in rows]
    # every parameter (h0 included, E with an embedding) plus dL/dh_t was checked
    expected = ["W_xh", "W_hh", "b_h", "W_hy", "b_y", "h0"]
    expected += ["E"] if encoding == "embedding" else []
    assert names == [*expected, "dL/dh_t"]
    bad = [(r["name"], r["rel_error"]) for r in rows if not r["rel_error"] < TOL]
    assert not bad, f"gradients disagree with finite differences: {bad}"
    assert all(r["passed"] for r in rows)


def test_h0_gradient_is_nonzero_and_checked():
    """A trainable h0 gets a real gradient (dL/dh0 = W_hh^T dz_1), and it checks out."""
    params, sample, config = _problem(
        "tanh", ("ce", "softmax"), "next-token", "onehot", "sum", None
    )
    trace = run(params, sample, config)
    assert np.linalg.norm(trace.grads["h0"]) > 1e-3
    np.testing.assert_allclose(trace.grads["h0"], params.W_hh.T @ trace.dz[0], rtol=1e-12)
    row = next(r for r in gc.check(params, sample, config) if r["name"] == "h0")
    assert row["passed"] and row["rel_error"] < TOL


@pytest.mark.parametrize("name", ["W_hh", "E", "h0", "dh"])
def test_checker_fails_on_a_corrupted_gradient(monkeypatch, name):
    """The checker is not vacuous: a gradient off by 1e-4 in one entry is caught."""
    params, sample, config = _problem(
        "tanh", ("ce", "softmax"), "next-token", "embedding", "sum", 2
    )
    honest = gc.check(params, sample, config)
    assert all(r["passed"] for r in honest)
    real_run = gc.run

    def corrupted_run(*args, **kwargs):
        trace = real_run(*args, **kwargs)
        if name == "dh":
            dh = np.array(trace.dh)
            dh[1, 0] += 1e-4
            return dataclasses.replace(trace, dh=dh)
        grads = {k: np.array(v) for k, v in trace.grads.items()}
        grads[name].flat[0] += 1e-4
        return dataclasses.replace(trace, grads=grads)

    monkeypatch.setattr(gc, "run", corrupted_run)
    rows = {r["name"]: r for r in gc.check(params, sample, config)}
    target = "dL/dh_t" if name == "dh" else name
    assert not rows[target]["passed"]
    assert rows[target]["rel_error"] > TOL
    assert rows[target]["max_abs_error"] == pytest.approx(1e-4, rel=1e-3)
    # only the corrupted row fails
    assert all(r["passed"] for n, r in rows.items() if n != target)


def test_checker_fails_for_a_wrong_truncated_gradient(monkeypatch):
    """Full-BPTT gradients do not pass as truncated ones: the reference really truncates."""
    params, sample, config = _problem("tanh", ("ce", "softmax"), "next-token", "onehot", "sum", 1)
    real_run = gc.run
    monkeypatch.setattr(
        gc, "run", lambda p, s, c: real_run(p, s, dataclasses.replace(c, truncation=None))
    )
    rows = {r["name"]: r for r in gc.check(params, sample, config)}
    assert not rows["W_hh"]["passed"]
    assert not rows["dL/dh_t"]["passed"]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_truncation_changes_the_gradient_when_T_exceeds_k(k):
    params, sample, config = _problem(
        "tanh", ("ce", "softmax"), "next-token", "onehot", "sum", None
    )
    T = sample.length
    assert k < T
    full = run(params, sample, config)
    cut = run(params, sample, dataclasses.replace(config, truncation=k))
    # the loss and the output-layer gradients do not depend on how far back BPTT goes ...
    assert cut.loss == full.loss
    np.testing.assert_array_equal(cut.grads["W_hy"], full.grads["W_hy"])
    # ... but the recurrent gradient and dL/dh_t do
    assert np.linalg.norm(cut.grads["W_hh"] - full.grads["W_hh"]) > 1e-6
    assert np.linalg.norm(cut.dh - full.dh) > 1e-6
    # the last state only receives the last loss: identical under any truncation
    np.testing.assert_allclose(cut.dh[-1], full.dh[-1], rtol=1e-12)
    # and truncation to T or more steps is exactly full BPTT
    same = run(params, sample, dataclasses.replace(config, truncation=T))
    np.testing.assert_allclose(same.grads["W_hh"], full.grads["W_hh"], rtol=1e-12)
