"""Generation: greedy is the trace's argmax, sampling is reproducible, the Sample replays."""

import numpy as np
import pytest

from rnnviz.engine import Config, Spec, build, run
from rnnviz.engine.generate import generate
from rnnviz.engine.train import TrainSettings, train

TEXT = "hello world hello world"


@pytest.fixture(scope="module")
def trained():
    """A small character model trained until it can spell its one sentence."""
    b = build(Spec(text=TEXT, level="char", hidden_size=12, seed=1))
    settings = TrainSettings(optimizer="adam", learning_rate=0.05, steps=200)
    *_, last = train(b.params, b.samples, b.config, settings)
    return b, last.params


def test_greedy_is_deterministic_and_is_the_argmax_of_the_trace(trained):
    b, params = trained
    g = generate(params, b.config, b, "hel", 20, greedy=True)
    again = generate(params, b.config, b, "hel", 20, greedy=True)
    assert np.array_equal(g.ids, again.ids) and g.text == again.text
    tr = run(params, g.sample, b.config)
    # output row seed_length - 1 + k produced generated token k
    rows = tr.ys[g.seed_length - 1 :]
    assert len(rows) == 20
    assert np.array_equal(rows.argmax(axis=1), g.ids)
    assert g.full_text.startswith("hello world")  # the trained model spells its sentence


def test_the_returned_sample_replays_the_same_hidden_states(trained):
    b, params = trained
    g = generate(params, b.config, b, "h", 15, rng=np.random.default_rng(0))
    tr = run(params, g.sample, b.config)
    assert g.sample.length == 1 + 15 - 1  # seed + every generated token but the last
    np.testing.assert_allclose(tr.hs, g.hs, rtol=0, atol=1e-12)
    # each fed input is the one-hot of the token generated the step before
    assert np.array_equal(g.sample.xs[1:].argmax(axis=1), g.ids[:-1])
    assert np.array_equal(g.sample.targets.argmax(axis=1), g.ids)
    assert g.sample.tokens == ("h", *g.tokens[:-1])


def test_the_same_seed_reproduces_a_sampled_sequence(trained):
    b, params = trained
    a = generate(params, b.config, b, "w", 30, temperature=2.0, rng=np.random.default_rng(5))
    same = generate(params, b.config, b, "w", 30, temperature=2.0, rng=np.random.default_rng(5))
    other = generate(params, b.config, b, "w", 30, temperature=2.0, rng=np.random.default_rng(6))
    assert a.text == same.text and np.array_equal(a.probabilities, same.probabilities)
    assert a.text != other.text
    assert generate(params, b.config, b, "w", 30, temperature=2.0, rng=5).text == a.text


def test_probabilities_are_the_softmax_of_the_logits_over_temperature(trained):
    b, params = trained
    g = generate(params, b.config, b, "he", 10, temperature=0.7, rng=np.random.default_rng(1))
    tr = run(params, g.sample, b.config)
    z = tr.logits[g.seed_length - 1 :] / 0.7
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(g.probabilities, expected, rtol=1e-10)
    assert g.probabilities.shape == (10, len(b.vocab))


def test_very_low_temperature_approaches_greedy(trained):
    b, params = trained
    greedy = generate(params, b.config, b, "o", 25, greedy=True)
    cold = generate(params, b.config, b, "o", 25, temperature=1e-3, rng=np.random.default_rng(2))
    assert np.array_equal(cold.ids, greedy.ids)
    assert cold.probabilities.max(axis=1).min() > 0.999
    hot = generate(params, b.config, b, "o", 25, temperature=5.0, rng=np.random.default_rng(2))
    assert hot.probabilities.max(axis=1).mean() < cold.probabilities.max(axis=1).mean()


def test_embedding_models_feed_the_rows_of_e():
    b = build(Spec(text=TEXT, level="char", encoding="embedding", embedding_size=3, seed=2))
    g = generate(b.params, b.config, b, "wor", 12, rng=np.random.default_rng(0))
    assert np.array_equal(g.sample.xs[3:], b.params.E[g.ids[:-1]])
    np.testing.assert_allclose(run(b.params, g.sample, b.config).hs, g.hs, atol=1e-12)


def test_a_numeric_series_feeds_its_outputs_back():
    config = Config(head="identity", loss="mse")
    b = build(Spec(text="0.1 0.2 0.3 0.4", encoding="numeric", hidden_size=4, config=config))
    g = generate(b.params, b.config, b, "0.1, 0.2, 0.3", 6)
    assert g.ids is None and g.probabilities is None and g.outputs.shape == (6, 1)
    assert np.array_equal(g.sample.xs[:3, 0], [0.1, 0.2, 0.3])
    assert np.array_equal(g.sample.xs[3:], g.outputs[:-1])  # y_t becomes x_{t+1}
    tr = run(b.params, g.sample, b.config)
    np.testing.assert_allclose(tr.hs, g.hs, atol=1e-12)
    np.testing.assert_allclose(tr.ys[2:], g.outputs, atol=1e-12)
    from_array = generate(b.params, b.config, None, np.array([0.1, 0.2, 0.3]), 6)
    assert np.array_equal(from_array.outputs, g.outputs)


def test_unknown_seed_words_become_unk():
    b = build(Spec(text="the cat sat on the mat", hidden_size=5))
    g = generate(b.params, b.config, b, "the dog sat", 4, greedy=True)
    assert g.seed_tokens == ("the", "<unk>", "sat")
    assert g.separator == " " and g.full_text.startswith("the <unk> sat ")
    assert g.sample.tokens[:3] == ("the", "<unk>", "sat")


def test_seeds_outside_a_vocabulary_without_unk_are_refused():
    b = build(Spec(text="hello", level="char", use_unk=False, hidden_size=3))
    with pytest.raises(ValueError, match=r"seed token 2 \('a'\) is not in the vocabulary"):
        generate(b.params, b.config, b, "ha", 3, greedy=True)
    g = generate(b.params, b.config, b.vocab, ["h", "e"], 3, greedy=True)
    assert g.separator == "" and len(g.text) == 3


@pytest.mark.parametrize("temperature", [0, -1.0, float("nan"), float("inf"), "1"])
def test_bad_temperatures_are_refused(trained, temperature):
    b, params = trained
    with pytest.raises(ValueError, match="temperature must be a positive finite number"):
        generate(params, b.config, b, "h", 5, temperature=temperature, rng=0)


def test_other_bad_requests_say_what_is_wrong(trained):
    b, params = trained
    with pytest.raises(ValueError, match="steps must be a whole number"):
        generate(params, b.config, b, "h", 0, greedy=True)
    with pytest.raises(ValueError, match="sampling needs a random generator"):
        generate(params, b.config, b, "h", 5)
    with pytest.raises(ValueError, match="the seed must be text or a list of tokens"):
        generate(params, b.config, b, 42, 5, greedy=True)
    with pytest.raises(ValueError, match="the seed is empty"):
        generate(params, b.config, b, "", 5, greedy=True)
    sentiment = build(
        Spec(text="good film", task="many-to-one", classes=("neg", "pos"), label="pos")
    )
    with pytest.raises(ValueError, match="generation needs a next-token model"):
        generate(sentiment.params, sentiment.config, sentiment, "good", 3, greedy=True)
    broken = params.replace(W_hh=np.full_like(params.W_hh, np.inf))
    with pytest.raises(ValueError, match="not finite"):
        generate(broken, b.config, b, "h", 3, greedy=True)
