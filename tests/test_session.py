"""The state has one writer (Session) and emits only real changes (Qt-free)."""

import numpy as np
import pytest

from rnnviz import presets
from rnnviz.engine.generate import generate
from rnnviz.engine.spec import Spec
from rnnviz.engine.train import train
from rnnviz.session import Session


def _session(text="hello world", **kw):
    return Session(Spec(text=text, level="char", hidden_size=4, **kw))


def _record(state, *fields):
    seen = []
    for f in fields:
        getattr(state.events, f).connect(lambda v, f=f: seen.append((f, v)))
    return seen


def test_default_session_opens_on_the_first_preset():
    s = Session()
    assert s.state.spec.name == presets.get(presets.names()[0]).name
    assert s.state.analysis.trace.finite


def test_state_is_written_only_through_the_session():
    s = _session()
    with pytest.raises(AttributeError, match="Session intents"):
        s.state.cursor = 3


def test_cursor_is_clamped_and_emits_only_on_change():
    s = _session()
    seen = _record(s.state, "cursor")
    s.set_cursor(3)
    s.set_cursor(3)
    s.set_cursor(999)
    s.set_cursor(-5)
    T = s.state.analysis.length
    assert seen == [("cursor", 3), ("cursor", T - 1), ("cursor", 0)]
    s.last()
    s.step(+1)
    assert s.state.cursor == T - 1


def test_one_analysis_per_text_change_and_the_cursor_follows_consistently():
    s = _session()
    s.set_cursor(9)
    lengths_seen_by_subscribers = []
    s.state.events.analysis.connect(
        lambda a: lengths_seen_by_subscribers.append((a.length, s.state.cursor))
    )
    s.set_text("hi!")
    # one analysis, and the subscriber already sees the clamped cursor (no half update)
    assert lengths_seen_by_subscribers == [(2, 1)]


def test_refused_change_keeps_the_previous_valid_state_with_a_message():
    s = _session()
    before = s.state.analysis
    assert not s.set_text("")
    assert s.state.analysis is before
    assert "empty" in s.state.error
    assert s.set_text("hey")
    assert s.state.error is None
    assert not s.set_model(hidden_size=100_000)
    assert "hidden size" in s.state.error
    assert s.state.analysis.built.params.hidden_size == 4


def test_returning_to_the_valid_text_clears_the_refusal_message():
    s = _session()
    assert not s.set_text("")
    assert s.state.error
    assert s.set_text("hello world")  # the text that is still shown
    assert s.state.error is None


def test_unchanged_text_is_not_an_unsaved_change():
    s = _session()
    s.mark_saved("/tmp/x.json")
    s.set_text("hello world")
    assert s.state.dirty is False
    s.set_text("hello there")
    assert s.state.dirty is True


def test_hand_written_weights_fall_back_to_seeded_weights_when_sizes_change():
    s = Session(presets.get("ai-planet"))
    assert s.set_model(hidden_size=5)
    assert s.state.analysis.built.params.hidden_size == 5
    assert "random weights" in s.state.notice


def test_selected_unit_is_validated_against_the_hidden_size():
    s = _session()
    s.set_selected_unit(3)
    assert s.state.selected_unit == 3
    s.set_selected_unit(7)
    assert s.state.selected_unit is None
    s.set_selected_unit(3)
    s.set_model(hidden_size=2)
    assert s.state.selected_unit is None


def test_trained_weights_are_kept_for_a_new_sentence_and_reset_on_request():
    s = Session(presets.get("sentiment"))
    b = s.state.analysis.built
    snaps = list(train(b.params, b.samples, b.config, s.train_settings()))
    s.apply_snapshots(snaps)
    assert len(s.state.history) == len(snaps)
    assert s.state.current_params.equals(snaps[-1].params)
    s.set_text("this movie is not bad")
    classes = s.state.analysis.built.output_names
    assert classes[int(np.argmax(s.state.analysis.trace.ys[-1]))] == "positive"
    s.reset_weights()
    assert s.state.current_params is None and s.state.history == ()
    assert s.state.analysis.built.params.equals(b.params)


def test_loading_a_preset_drops_trained_weights():
    s = Session(presets.get("sentiment"))
    b = s.state.analysis.built
    s.apply_snapshots(list(train(b.params, b.samples, b.config, s.train_settings()))[:5])
    s.load_preset("hello")
    assert s.state.current_params is None and s.state.history == ()


def test_scaling_w_hh_sets_its_largest_singular_value():
    s = Session(presets.get("hello"))
    assert s.scale_recurrent(1.7)
    assert s.state.analysis.trace.sigma_max == pytest.approx(1.7, rel=1e-12)
    assert "exploding is possible" in s.state.analysis.trace.condition["text"]
    assert s.scale_recurrent(0.3)
    assert "vanishing is guaranteed" in s.state.analysis.trace.condition["text"]
    assert not s.scale_recurrent(float("nan"))
    assert "σ_max" in s.state.error
    assert not s.scale_recurrent(0.0)  # a zero W_hh could never be scaled back
    assert s.state.analysis.trace.sigma_max == pytest.approx(0.3, rel=1e-12)


def test_generation_is_shown_and_cleared():
    s = Session(presets.get("ice-cream"))
    text_tokens = s.state.analysis.built.tokens
    b = s.state.analysis.built
    g = generate(b.params, b.config, b, "i want", 4, greedy=True)
    s.show_generation(g)
    assert s.state.generation is g
    assert s.state.analysis.built.tokens[:2] == ("i", "want")
    assert s.state.analysis.length == len(g.sample.tokens)
    s.clear_generation()
    assert s.state.analysis.built.tokens == text_tokens
