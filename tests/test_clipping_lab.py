"""Clipping lab logic (Qt-free): three runs from one set of weights, what clipping does to
the gradient's direction, the threshold helper, and the lab's own record of the runs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rnnviz import clipping_lab as lab
from rnnviz.engine.train import TrainSettings, lockstep, train
from rnnviz.session import Session


@pytest.fixture(scope="module")
def exploding():
    """(session, the lab's history after a full run, every lockstep item) on the demo."""
    session = Session()
    session.load_preset(lab.DEMO_PRESET)
    built = session.state.analysis.built
    settings = lab.run_settings(session.train_settings(), lab.DEMO_THRESHOLD)
    history, generator = lab.start(built.params, built.samples, built.config, settings)
    items = list(generator)
    history.extend(items)
    return session, history, items


def _weights(session):
    state = session.state
    return state.current_params if state.current_params is not None else state.analysis.built.params


def test_run_settings_differ_only_in_clip_mode():
    base = TrainSettings(optimizer="adam", learning_rate=0.03, steps=7, batch="single", seed=4)
    runs = lab.run_settings(base, 2.5, steps=11)
    assert list(runs) == ["no clipping", "value clipping", "norm clipping"]
    assert [s.clip_mode for s in runs.values()] == ["off", "value", "norm"]
    for s in runs.values():
        assert s.clip_threshold == 2.5 and s.steps == 11
        assert replace(s, clip_mode="off", clip_threshold=1.0, steps=7) == base


@pytest.mark.parametrize(
    ("threshold", "steps", "message"),
    [(0, None, "threshold"), (-1.0, None, "threshold"), (float("nan"), None, "threshold"),
     ("1", None, "threshold"), (True, None, "threshold"), (1.0, 0, "steps"),
     (1.0, 2.5, "steps"), (1.0, 10**9, "steps")],
)  # fmt: skip
def test_bad_lab_settings_are_clear_errors(threshold, steps, message):
    with pytest.raises(ValueError, match=f"clipping lab: .*{message}"):
        lab.run_settings(TrainSettings(), threshold, steps)


def test_the_three_runs_start_from_bit_identical_weights(exploding):
    session, history, items = exploding
    start = _weights(session)
    assert history.initial.equals(start)
    first = items[0]
    # the first loss and gradient are computed at theta_0, before any clipping or update:
    # bitwise equal in all three runs only if all three start from the very same weights
    losses = {s.loss for s in first.values()}
    norms = {s.grad_norm_before for s in first.values()}
    assert len(losses) == 1 and len(norms) == 1
    per_param = [first[name].param_grad_norms for name in lab.RUNS]
    assert per_param[0] == per_param[1] == per_param[2]
    # and each run is exactly the single-run training from those weights
    built = session.state.analysis.built
    for name, settings in history.settings.items():
        alone = [s.loss for s in train(start, built.samples, built.config, settings)]
        assert alone[: len(history.runs[name])] == history.runs[name].array("loss").tolist()


def test_different_weights_give_different_first_losses():
    """The identical-start check above can fail: another start gives another loss."""
    session = Session()
    session.load_preset(lab.DEMO_PRESET)
    built = session.state.analysis.built
    other = built.params.replace(W_hh=built.params.W_hh * 0.5)
    a = next(train(built.params, built.samples, built.config, TrainSettings(steps=1)))
    b = next(train(other, built.samples, built.config, TrainSettings(steps=1)))
    assert a.loss != b.loss


def test_norm_clipping_keeps_the_direction_on_every_step(exploding):
    _, history, _ = exploding
    norm = history.runs["norm clipping"]
    cos = norm.array("cosine")
    assert len(cos) == 200
    assert norm.array("clipped").sum() > 10  # it really clipped, often
    np.testing.assert_allclose(cos, 1.0, rtol=0, atol=1e-12)
    clipped = norm.array("clipped")
    after = norm.array("grad_norm_after")
    np.testing.assert_allclose(after[clipped], 1.0, rtol=1e-12)  # shortened to tau exactly


def test_value_clipping_bends_the_gradient_when_it_clips(exploding):
    _, history, _ = exploding
    value = history.runs["value clipping"]
    clipped, cos = value.array("clipped"), value.array("cosine")
    assert clipped.sum() > 5
    assert np.all(cos[clipped] < 1.0)
    assert cos[clipped].min() < 0.9  # a visible bend, not rounding
    assert np.all(cos[~clipped] == 1.0)


def test_no_clipping_diverges_and_its_record_stops(exploding):
    _, history, items = exploding
    run = history.runs["no clipping"]
    assert run.stop is not None and run.stop.stopped
    assert run.diverged == "no clipping diverged at step 3: the loss became nan"
    assert run.summary() == run.diverged
    assert run.array("step").tolist() == [1, 2]  # the failed attempt is not drawn
    assert np.all(np.isfinite(run.array("loss")))
    assert len(items) == 200  # the lockstep repeats its last snapshot; recorded once
    assert np.all(run.array("cosine") == 1.0) and run.clip_rate == 0.0


def test_clipped_runs_learn_and_report_their_clip_rate(exploding):
    _, history, _ = exploding
    for name in ("value clipping", "norm clipping"):
        run = history.runs[name]
        loss = run.array("loss")
        assert run.stop is None and run.diverged is None
        assert loss[-1] < 1e-3 * loss[0]
        rate = run.array("clipped").mean()
        assert run.clip_rate == rate and 0 < rate < 1
        assert f"{len(run)} steps" in run.summary() and "clipped on" in run.summary()


def test_probe_suggestion_is_half_to_ten_times_the_probe_mean_norm():
    session = Session()
    session.load_preset("hello")
    built = session.state.analysis.built
    base = session.train_settings()
    s = lab.probe(built.params, built.samples, built.config, base)
    probe = list(train(built.params, built.samples, built.config, replace(base, steps=10)))
    mean = np.mean([p.grad_norm_before for p in probe])
    assert s.count == 10 and s.warning is None
    assert s.mean == pytest.approx(mean, rel=1e-15)
    assert (s.low, s.high) == pytest.approx((0.5 * mean, 10 * mean), rel=1e-15)
    assert s.middle == pytest.approx(np.sqrt(5) * mean, rel=1e-14)
    assert s.text == (
        f"suggested threshold: {0.5 * mean:.4g} – {10 * mean:.4g} "
        f"(½× to 10× the average norm {mean:.4g})"
    )


def test_a_diverging_probe_warns_and_leaves_out_the_failed_attempt():
    session = Session()
    session.load_preset(lab.DEMO_PRESET)
    built = session.state.analysis.built
    s = lab.probe(built.params, built.samples, built.config, session.train_settings())
    probe = list(train(built.params, built.samples, built.config, TrainSettings(steps=10)))
    finite = [p.grad_norm_before for p in probe if not p.stopped]
    assert s.count == len(finite) == 2
    assert s.mean == pytest.approx(np.mean(finite))
    assert "diverged at step 3" in s.warning


def test_the_example_wording_of_the_helper():
    s = lab.suggest_threshold([1.2, 2.0, 1.6], "x")
    assert s.text == "suggested threshold: 0.8 – 16 (½× to 10× the average norm 1.6)"


def test_a_suggestion_needs_a_finite_norm():
    with pytest.raises(ValueError, match="no finite gradient norm"):
        lab.suggest_threshold([float("nan"), float("inf"), 0.0])


def test_lab_suggestion_leaves_out_runs_that_diverged(exploding):
    _, history, _ = exploding
    norms, names = history.observed_norms()
    assert names == ["value clipping", "norm clipping"]
    expected = np.concatenate(
        [history.runs[n].array("grad_norm_before") for n in ("value clipping", "norm clipping")]
    )
    np.testing.assert_array_equal(norms, expected)
    s = history.suggestion()
    assert s.mean == pytest.approx(expected.mean()) and s.count == 400


def test_lockstep_repeats_are_recorded_once():
    session = Session()
    session.load_preset("hello")
    built = session.state.analysis.built
    runs = lab.run_settings(session.train_settings(), 1.0, steps=5)
    runs["norm clipping"] = replace(runs["norm clipping"], steps=3)  # finishes early
    history = lab.LabHistory(built.params, runs)
    history.extend(lockstep(built.params, built.samples, built.config, runs))
    assert history.steps == 5
    assert [len(history.runs[n]) for n in lab.RUNS] == [5, 5, 3]
    assert history.runs["norm clipping"].array("step").tolist() == [1, 2, 3]


def test_log_view_fits_the_runs_that_did_not_diverge(exploding):
    _, history, _ = exploding
    lo, hi, cut = lab.log_view(history, "loss")
    calm = np.concatenate(
        [history.runs[n].array("loss") for n in ("value clipping", "norm clipping")]
    )
    every = np.concatenate([r.array("loss") for r in history.runs.values()])
    assert lo < np.log10(every.min()) and np.log10(calm.max()) < np.log10(cut) < hi
    blow_up = history.runs["no clipping"].array("loss").max()  # about 1e53
    assert blow_up > cut  # off the scale: drawn as an arrow on the top edge
    assert lab.log_view(None, "loss", [1.0]) == (-2.0, 2.0, float("inf"))


@pytest.mark.parametrize(
    ("lo", "hi", "labels"),
    [
        (-2.1, 2.3, ["0.01", "0.1", "1", "10", "100"]),
        (-0.6, 1.1, ["0.5", "1", "2", "5", "10"]),
        (-2.0, 60.0, ["1", "10²⁰", "10⁴⁰", "10⁶⁰"]),
        (-4.0, -3.5, ["10⁻⁴", "2×10⁻⁴", "3×10⁻⁴"]),
        (0.1, 0.3, []),
    ],
)
def test_log_ticks_never_crowd_a_short_axis(lo, hi, labels):
    ticks = lab.log_ticks(lo, hi)
    assert [text for _, text in ticks] == labels
    assert all(lo <= at <= hi for at, _ in ticks) and len(ticks) <= 6
