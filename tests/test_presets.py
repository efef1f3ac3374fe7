"""Every preset builds, runs, checks its gradients, and does what its description claims.

The demonstrations are tested for the effect a learner is meant to see:
vanishing shrinks dL/dh_t by orders of magnitude toward the start; exploding
blows up when trained without clipping, and learns with value or norm
clipping; the clipping preset is exactly the exploding one with the fix on.
"""

import numpy as np
import pytest

from rnnviz import presets
from rnnviz.engine import build, gradcheck, run
from rnnviz.engine.train import TrainSettings, lockstep, train
from rnnviz.io.session_file import dumps_session, loads_session

EXPECTED = [
    "ai-planet",
    "hello",
    "sentiment",
    "harry-potter",
    "ice-cream",
    "vanishing",
    "exploding",
    "clipping",
]
TUTORIALS = {
    "ai-planet": "AI Planet",
    "hello": "lesson 7",
    "sentiment": "Madhu Sanjeevi",
    "harry-potter": "The Daily Crunch",
    "ice-cream": "RNNs [Week 4]",
}


def flat(text: str) -> str:
    return " ".join(text.split())


def analysed(name: str):
    built = build(presets.get(name))
    return built, run(built.params, built.sample, built.config)


# -- the registry -----------------------------------------------------------------------------


def test_names_are_stable_and_match_the_registry():
    assert presets.names() == EXPECTED
    assert presets.names() == list(presets.PRESETS)
    assert presets.names() is not presets.names()  # callers may change their copy


def test_unknown_preset_is_a_clear_error():
    with pytest.raises(ValueError, match=r"unknown preset 'x'; choose one of ai-planet, hello"):
        presets.get("x")
    for bad in (None, 3, ""):
        with pytest.raises(ValueError, match="unknown preset"):
            presets.get(bad)
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        presets.describe("nope")


def test_get_returns_a_private_copy():
    spec = presets.get("exploding")
    spec.training["learning_rate"] = 99.0
    hello = presets.get("hello")
    hello.params["W_hh"] = 0.0
    assert presets.get("exploding").training["learning_rate"] == 0.1
    assert presets.get("hello").params["W_hh"] == 0.427043
    with pytest.raises(TypeError):
        presets.PRESETS["mine"] = spec  # the registry itself is read-only


@pytest.mark.parametrize("name", EXPECTED)
def test_titles_and_one_line_descriptions(name):
    spec = presets.get(name)
    line = presets.describe(name)
    assert line and "\n" not in line and len(line) < 200
    assert presets.title(name) == spec.name and spec.name != name  # a human title
    assert presets.key_of(spec) == name
    assert presets.key_of(spec.with_(name="my own")) is None
    assert len(spec.description) > 400 and "What it shows." in spec.description


@pytest.mark.parametrize("name", list(TUTORIALS))
def test_tutorial_presets_name_their_source_and_errata(name):
    text = flat(presets.get(name).description)
    assert TUTORIALS[name] in text
    assert "Errat" in text  # "Errata." or "Erratum."


# -- every preset works -----------------------------------------------------------------------


@pytest.mark.parametrize("name", EXPECTED)
def test_preset_builds_and_runs_finite(name):
    built, tr = analysed(name)
    assert tr.finite and tr.problem is None
    assert tr.length == len(built.tokens) >= 4
    assert built.sample.scored.any()  # there is a loss to look at
    assert np.isfinite(tr.loss) and tr.loss > 0
    assert all(s.xs.shape[1] == built.params.input_size for s in built.samples)


@pytest.mark.parametrize("name", EXPECTED)
def test_preset_passes_the_gradient_check(name):
    built = build(presets.get(name))
    assert built.params.W_hh.dtype == np.float64
    rows = gradcheck.check(built.params, built.sample, built.config)
    names = {r["name"] for r in rows}
    assert set(built.params.names()) | {"dL/dh_t"} <= names
    for row in rows:
        assert row["rel_error"] < 1e-7, row


@pytest.mark.parametrize("name", EXPECTED)
def test_preset_training_settings_are_valid_and_complete(name):
    spec = presets.get(name)
    keys = {"optimizer", "learning_rate", "clip_mode", "clip_threshold", "steps", "batch"}
    assert keys <= set(spec.training)
    TrainSettings.from_dict(spec.training)  # raises on anything the engine refuses


@pytest.mark.parametrize("name", EXPECTED)
def test_preset_survives_a_session_file_round_trip(name):
    spec = presets.get(name)
    again = loads_session(dumps_session(spec)).spec
    assert again.name == spec.name and again.description == spec.description
    assert again.text == spec.text and again.training == spec.training
    a, b = build(spec), build(again)
    assert a.params.equals(b.params) and a.tokens == b.tokens


# -- vanishing --------------------------------------------------------------------------------


def test_vanishing_gradient_shrinks_by_orders_of_magnitude_toward_the_start():
    built, tr = analysed("vanishing")
    assert tr.length >= 30
    assert tr.sigma_max == pytest.approx(0.8, rel=1e-12)
    assert tr.condition["verdict"] == "vanishing"
    n = tr.dh_norms
    assert np.all(np.diff(n) > 0)  # smaller at every step back
    assert n[-1] / n[0] > 1e4  # more than four orders of magnitude
    text = flat(presets.get("vanishing").description)
    assert f"from {n[-1]:.2f} at the last word to {n[0]:.1e} at the first" in text
    assert f"0.8^{tr.length - 1} = {0.8 ** (tr.length - 1):.5f}" in text
    assert f"a {tr.length}-word sentence" in text


# -- exploding and clipping -------------------------------------------------------------------


def test_exploding_network_grows_gradients_toward_the_start():
    built, tr = analysed("exploding")
    T = tr.length
    assert tr.sigma_max == pytest.approx(1.2, rel=1e-12)
    assert tr.jacobian_norms[0] == pytest.approx(1.2 ** (T - 1), rel=1e-9)  # orthogonal x 1.2
    assert tr.dh_norms[0] / tr.dh_norms[-1] > 100
    text = flat(presets.get("exploding").description)
    assert f"||dh_{T}/dh_1|| = 1.2^{T - 1} = {1.2 ** (T - 1):.0f}" in text
    assert f"grows from {tr.dh_norms[-1]:.3f} at the last character to {tr.dh_norms[0]:.0f}" in text


def test_exploding_diverges_unclipped_and_learns_with_value_or_norm_clipping():
    spec = presets.get("exploding")
    built = build(spec)
    base = spec.training
    assert base["clip_mode"] == "off"
    runs = {mode: {**base, "clip_mode": mode} for mode in ("off", "value", "norm")}
    final = {}
    for snaps in lockstep(built.params, built.samples, built.config, runs):
        final = snaps
    off, value, norm = final["off"], final["value"], final["norm"]
    # unclipped: stops with a non-finite number well within the preset's steps
    assert off.stopped is not None and off.step < base["steps"]
    assert not np.isfinite(off.loss)
    assert "clipping" in off.stopped  # the message suggests the fix
    assert off.params.all_finite()  # the last finite weights are kept
    # clipped: every step succeeds and the sequence is learned
    for snap in (value, norm):
        assert snap.stopped is None and snap.step == base["steps"]
        assert snap.loss < 0.05 and snap.accuracy == 1.0
    text = flat(spec.description)
    assert "at step 3 the hidden states overflow" in text
    assert off.step == 2 and "Step 3:" in off.stopped


def test_exploding_first_update_is_huge_without_clipping():
    spec = presets.get("exploding")
    built = build(spec)
    snaps = list(train(built.params, built.samples, built.config, TrainSettings(**spec.training)))
    first = snaps[0]
    assert first.grad_norm_before == pytest.approx(870, rel=0.01)
    assert not first.clipped
    assert snaps[1].loss > 1e50  # "the loss jumps from 86 to about 2e53"
    assert f"from {first.loss:.0f} to about {snaps[1].loss:.0e}".replace("e+", "e") in flat(
        spec.description
    )


def test_clipping_is_the_exploding_network_with_norm_clipping_on():
    ex, cl = presets.get("exploding"), presets.get("clipping")
    same = ex.with_(
        name=cl.name,
        description=cl.description,
        config=cl.config,
        training={**ex.training, "clip_mode": "norm"},
    )
    assert same == cl  # nothing else differs
    assert cl.config.clip_mode == "norm" and cl.training["clip_mode"] == "norm"
    assert build(ex).params.equals(build(cl).params)
    built, tr = analysed("clipping")
    assert tr.clip.clipped and tr.clip.norm_after == pytest.approx(1.0)
    assert tr.clip.cosine == pytest.approx(1.0)  # the direction is kept


def test_clipping_preset_learns_with_its_own_settings():
    spec = presets.get("clipping")
    built = build(spec)
    settings = TrainSettings.from_dict(spec.training)
    snaps = list(train(built.params, built.samples, built.config, settings))
    assert len(snaps) == settings.steps and all(s.stopped is None for s in snaps)
    assert all(s.clipped for s in snaps[:5])  # the early gradients are all too long
    assert snaps[0].loss > 80 and snaps[-1].loss < 0.05 and snaps[-1].accuracy == 1.0
    assert "loss falls from 86 to about 0.01 in 200 steps" in flat(spec.description)
