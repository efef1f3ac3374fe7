"""The tutorials' worked examples, reproduced through the real engine, errata included.

Every number a tutorial prints is recomputed with ``build`` + ``run`` (the same
path the app takes). Where a tutorial slips, the test checks the correct value,
shows where the tutorial's number really comes from, and checks that the
preset's description states both, the slip labelled as the tutorial's.
Sources: ../shared/seeds/000 (AI Planet), 001 ("Week 4"), 002 (Harry Potter),
003 ("hello"), 004 (Madhu).
"""

import numpy as np
import pytest

from rnnviz import presets
from rnnviz.engine import Config, Params, Sample, build, run
from rnnviz.engine.functions import sigmoid
from rnnviz.engine.losses import step_losses
from rnnviz.engine.train import TrainSettings, train


def fmt(values, digits: int) -> str:
    """A vector the way the descriptions print it: '[0.64142900, 0.71075134]'."""
    return "[" + ", ".join(f"{v:.{digits}f}" for v in values) + "]"


def flat(text: str) -> str:
    """The description with its line breaks joined, so phrases can be searched."""
    return " ".join(text.split())


def preset(name: str):
    spec = presets.get(name)
    built = build(spec)
    return spec, built, run(built.params, built.sample, built.config)


def trained(name: str, steps: int | None = None):
    """Train a preset with its own settings; returns (first snapshot, last snapshot, built)."""
    spec = presets.get(name)
    built = build(spec)
    settings = TrainSettings.from_dict(spec.training)
    if steps is not None:
        settings = TrainSettings.from_dict({**spec.training, "steps": steps})
    snaps = list(train(built.params, built.samples, built.config, settings))
    return snaps, built


# =============================================================================================
# AI Planet (seed 000)
# =============================================================================================

AI_TOKENS = ("AI", "Planet", "Bootcamps", "are", "free", "and", "available", "to", "all")


def test_ai_planet_tokens_are_numbered_from_one_and_the_full_stop_is_dropped():
    spec, built, _ = preset("ai-planet")
    assert built.tokens == AI_TOKENS  # "all." -> "all", case kept ("AI")
    assert built.sample.ids.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert built.vocab.tokens[0] == "<unk>"
    assert {t: built.vocab.id_of(t) for t in AI_TOKENS} == {
        t: i for i, t in enumerate(AI_TOKENS, 1)
    }
    # an unseen word becomes <unk>, whose documented embedding row is zero
    other = build(spec.with_(text="AI Planet rocks"))
    assert other.sample.ids.tolist() == [1, 2, 0]
    assert other.sample.xs[2].tolist() == [0.0, 0.0, 0.0]


def test_ai_planet_embedding_keeps_the_tutorials_rows():
    _, built, tr = preset("ai-planet")
    shown = {
        "AI": [0.1, 0.2, 0.3],
        "Planet": [0.4, 0.5, 0.6],
        "Bootcamps": [0.7, 0.8, 0.9],
        "to": [0.7, 0.8, 0.9],
        "all": [0.4, 0.5, 0.6],
    }
    for word, row in shown.items():
        assert built.params.E[built.vocab.id_of(word)].tolist() == row
    # the inputs the RNN sees are exactly those rows, x_1 = [0.1, 0.2, 0.3]
    assert tr.xs[0].tolist() == [0.1, 0.2, 0.3]
    assert tr.xs[-2].tolist() == [0.7, 0.8, 0.9] and tr.xs[-1].tolist() == [0.4, 0.5, 0.6]


def test_ai_planet_step_one_pre_activation_and_hidden_state():
    _, built, tr = preset("ai-planet")
    p = built.params
    np.testing.assert_allclose(p.W_xh @ tr.xs[0], [0.38, 0.56], atol=1e-12)
    np.testing.assert_allclose(p.W_hh @ p.h0, [0.0, 0.0], atol=0)
    np.testing.assert_allclose(tr.zs[0], [0.48, 0.76], atol=1e-12)
    np.testing.assert_allclose(tr.hs[0], [0.44624361, 0.64107696], atol=1e-8)


def test_ai_planet_erratum_1_tanh_of_the_wrong_vector():
    spec, _, tr = preset("ai-planet")
    # the printed result is tanh of the real pre-activation, not of [0.21, 0.46]
    np.testing.assert_allclose(np.tanh([0.48, 0.76]), [0.44624361, 0.64107696], atol=1e-8)
    wrong = np.tanh([0.21, 0.46])
    np.testing.assert_allclose(wrong, [0.2070, 0.4301], atol=1e-4)
    assert np.abs(wrong - tr.hs[0]).min() > 0.2
    text = flat(spec.description)
    assert 'It writes "h(1) = tanh([0.21, 0.46])"' in text  # the slip, as the tutorial's
    assert "[0.48, 0.76]" in text and fmt(tr.hs[0], 8) in text  # the correct values
    assert fmt(wrong, 4) in text


def test_ai_planet_errata_2_and_3_output_layer():
    spec, built, tr = preset("ai-planet")
    p = built.params
    mistyped = np.array([0.206, 0.440])
    # (2) the vector fed to the output layer is the leftover tanh([0.21, 0.46]), not h1
    np.testing.assert_allclose(mistyped, np.tanh([0.21, 0.46]), atol=0.01)
    assert np.abs(mistyped - tr.hs[0]).min() > 0.2
    # (3) W_y [0.206, 0.440] is [0.1732, 0.3024], not the printed [0.216, 0.355]
    product = p.W_hy @ mistyped
    np.testing.assert_allclose(product, [0.1732, 0.3024], atol=1e-12)
    assert np.abs(product - [0.216, 0.355]).max() > 0.04
    # its printed y(1) is what its code gives with the mistyped h ...
    np.testing.assert_allclose(sigmoid(product + p.b_y), [0.61614087, 0.66871967], atol=1e-8)
    # ... and not sigmoid of its own intermediate [0.516, 0.755]
    np.testing.assert_allclose(sigmoid(np.array([0.516, 0.755])), [0.6262, 0.6803], atol=1e-4)
    # the correct y(1), what the engine shows at step 1
    np.testing.assert_allclose(tr.logits[0], [0.58157181, 0.89903592], atol=1e-8)
    np.testing.assert_allclose(tr.ys[0], [0.641429, 0.71075134], atol=1e-8)
    assert np.abs(tr.ys[0] - [0.61614087, 0.66871967]).min() > 0.02  # NOT the slip
    text = flat(spec.description)
    assert "It prints W_y [0.206, 0.440] = [0.216, 0.355]" in text
    assert fmt(product, 4) in text and fmt(product + p.b_y, 4) in text
    assert "y(1) = [0.61614087, 0.66871967] is what its code gives with the mistyped h" in text
    assert fmt(tr.logits[0], 8) in text and fmt(tr.ys[0], 8) in text


def test_ai_planet_erratum_4_bptt_needs_the_transpose():
    spec, built, tr = preset("ai-planet")
    W = built.params.W_hh
    assert not np.allclose(W, W.T)
    # only the last step has a loss, so dL/dh_8 is all carried back from step 9
    np.testing.assert_allclose(tr.dh_local[-2], 0.0, atol=0)
    np.testing.assert_allclose(tr.dh[-2], W.T @ tr.dz[-1], rtol=1e-12)
    tutorial = W @ tr.dz[-1]  # np.dot(Wh, temp)
    assert np.linalg.norm(tutorial - tr.dh[-2]) > 0.1 * np.linalg.norm(tr.dh[-2])
    text = flat(spec.description)
    assert "np.dot(Wh, temp)" in text and "np.dot(Wh.T, temp)" in text
    assert fmt(tr.dh[-2], 8) in text and fmt(tutorial, 8) in text


def test_ai_planet_loss_is_bce_and_the_description_compares_it_with_the_tutorials_ce():
    spec, built, tr = preset("ai-planet")
    assert built.spec.config.loss == "bce" and built.spec.config.head == "sigmoid"
    y = tr.ys[-1]
    assert tr.sample.targets[-1].tolist() == [0.0, 1.0]  # positive
    assert tr.sample.scored.tolist() == [False] * 8 + [True]  # many-to-one
    bce = -np.log(1 - y[0]) - np.log(y[1])
    assert tr.loss == pytest.approx(bce, rel=1e-12)
    tutorial_ce = -np.log(y[1])  # L = -sum y log y_hat with y = [0, 1]
    text = flat(spec.description)
    assert f"= {bce:.4f}" in text and f"= {tutorial_ce:.4f}" in text
    assert f"-log(1 - {y[0]:.4f}) - log({y[1]:.4f})" in text


def test_ai_planet_description_says_which_rows_are_not_the_tutorials():
    text = flat(presets.get("ai-planet").description)
    assert "NOT from the tutorial" in text
    for row in ("are [0.2, 0.3, 0.4]", "free [0.5, 0.6, 0.7]", "and [0.8, 0.9, 1.0]"):
        assert row in text
    assert "available [0.3, 0.4, 0.5]" in text and "<unk> [0, 0, 0]" in text


def test_ai_planet_trains_with_the_tutorials_clipped_gradient_descent():
    snaps, _ = trained("ai-planet")
    assert snaps[0].loss > 1.0 and snaps[-1].loss < 0.2 and snaps[-1].accuracy == 1.0
    # np.clip(dW, -1, 1): value clipping at 1
    assert presets.get("ai-planet").training["clip_mode"] == "value"


# =============================================================================================
# "hello" (seed 003)
# =============================================================================================

HELLO_H1 = [0.69316804, 0.89955366, 0.8021184]
HELLO_H2 = [0.93653372, 0.94910403, 0.76234056]
HELLO_REC = [0.863013, 0.951149, 0.90954]
HELLO_Y2 = [1.90607732, 1.13779113, 0.95666016, 1.27422602]


def test_hello_vocabulary_and_next_letter_targets():
    _, built, tr = preset("hello")
    assert built.vocab.tokens == ("h", "e", "l", "o") and built.vocab.unk is None
    assert built.tokens == ("h", "e", "l", "l")
    assert built.target_tokens == ("e", "l", "l", "o")
    np.testing.assert_array_equal(tr.xs, np.eye(4)[[0, 1, 2, 2]])  # the lesson's one-hot table
    assert built.output_names == ("h", "e", "l", "o")


def test_hello_weights_are_the_lessons():
    _, built, _ = preset("hello")
    p = built.params
    np.testing.assert_array_equal(p.W_hh, 0.427043 * np.eye(3))
    np.testing.assert_array_equal(p.b_h, [0.567001] * 3)
    np.testing.assert_array_equal(p.W_xh[:, 0], [0.287027359, 0.902874425, 0.537523791])
    np.testing.assert_array_equal(p.b_y, 0.0)


def test_hello_hidden_states_after_h_and_e():
    _, built, tr = preset("hello")
    p = built.params
    np.testing.assert_allclose(tr.hs[0], HELLO_H1, atol=2e-7)
    np.testing.assert_allclose(p.W_hh @ tr.hs[0] + p.b_h, HELLO_REC, atol=1e-6)
    np.testing.assert_allclose(p.W_xh @ tr.xs[1], [0.84606, 0.871522, 0.09224], atol=0)
    np.testing.assert_allclose(tr.hs[1], HELLO_H2, atol=2e-7)


def test_hello_output_for_e_and_the_predicted_letter():
    spec, built, tr = preset("hello")
    np.testing.assert_allclose(tr.logits[1], HELLO_Y2, atol=1e-5)
    np.testing.assert_allclose(tr.ys[1], np.exp(tr.logits[1]) / np.exp(tr.logits[1]).sum())
    # "the model says the letter after e should be h": right for these untrained weights
    assert built.output_names[int(np.argmax(tr.ys[1]))] == "h"
    assert built.target_tokens[1] == "l"
    assert fmt(tr.ys[1], 4) in flat(spec.description)


def test_hello_erratum_the_printed_formula_has_no_bias_but_the_numbers_do():
    spec, built, tr = preset("hello")
    no_bias = np.tanh(built.params.W_xh[:, 0])  # h_1 by the formula as printed
    assert np.abs(no_bias - HELLO_H1).min() > 0.1
    np.testing.assert_allclose(np.tanh(built.params.W_xh[:, 0] + 0.567001), HELLO_H1, atol=2e-7)
    text = flat(spec.description)
    assert "h_t = tanh(W_hh h_{t-1} + W_xh x_t), has no bias" in text
    assert fmt(no_bias, 8).replace("0.71769460", "0.7176946") in text
    assert "h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h)" in text


def test_hello_last_digits_differ_by_rounding_not_by_a_slip():
    spec, built, tr = preset("hello")
    p = built.params
    # the lesson's h_1 fits one bias in all three units: 0.5670008, printed as 0.567001
    bias = np.arctanh(HELLO_H1) - p.W_xh[:, 0]
    np.testing.assert_allclose(bias, 0.5670008, atol=1e-7)
    # W_hy's first column, recovered from its printed y and h, rounds to the printed 5 decimals
    first_col = (np.array(HELLO_Y2) - p.W_hy[:, 1:] @ HELLO_H2[1:]) / HELLO_H2[0]
    assert np.abs(first_col - p.W_hy[:, 0]).max() <= 5e-6
    assert np.abs(tr.logits[1] - HELLO_Y2).max() > 1e-6  # so y differs in the 6th decimal ...
    assert np.abs(tr.hs[:2] - [HELLO_H1, HELLO_H2]).max() < 2e-7  # ... and h in the 8th
    text = flat(spec.description)
    assert "Not a slip" in text and "0.5670008" in text
    for ours, theirs in ((tr.hs[0], HELLO_H1), (tr.hs[1], HELLO_H2)):
        assert fmt(ours, 8)[1:-1] in text and ", ".join(map(str, theirs)) in text
    assert fmt(tr.logits[1], 6)[1:-1] in text and ", ".join(map(str, HELLO_Y2)) in text


def test_hello_learns_e_l_l_o_with_its_training_settings():
    snaps, built = trained("hello")
    first = next(s.step for s in snaps if s.accuracy == 1.0)
    assert first <= 50  # "within a few dozen steps"
    tr = run(snaps[-1].params, built.sample, built.config)
    assert [built.output_names[i] for i in tr.ys.argmax(axis=1)] == ["e", "l", "l", "o"]


# =============================================================================================
# The Daily Crunch, Harry Potter (seed 002)
# =============================================================================================


def test_harry_potter_tags_and_notation():
    spec, built, tr = preset("harry-potter")
    words = "Harry Potter and Hermione Granger invented a new spell"
    assert built.tokens == tuple(words.split(" "))
    assert tr.sample.targets[:, 0].tolist() == [1, 1, 0, 1, 1, 0, 0, 0, 0]
    assert tr.sample.scored.all()  # many-to-many: every word is scored
    assert built.params.output_size == 1 and spec.config.head == "sigmoid"
    assert "W_ax = W_xh, W_aa = W_hh, W_ya = W_hy" in flat(spec.description)


def test_harry_potter_loss_is_the_correct_bce_summed_over_words():
    spec, _, tr = preset("harry-potter")
    y, y_hat = tr.sample.targets[:, 0], tr.ys[:, 0]
    by_hand = -y * np.log(y_hat) - (1 - y) * np.log(1 - y_hat)
    np.testing.assert_allclose(tr.step_losses, by_hand, rtol=1e-12)
    assert tr.loss == pytest.approx(by_hand.sum(), rel=1e-12)
    printed = -y_hat * np.log(y_hat) - (1 - y) * np.log(1 - y_hat)  # the tutorial's formula
    assert abs(printed.sum() - tr.loss) > 0.1


def test_harry_potter_erratum_numbers_in_the_description():
    text = flat(presets.get("harry-potter").description)
    assert "L<t> = -y_hat log(y_hat) - (1 - y) log(1 - y_hat)" in text  # the tutorial's
    assert "L<t> = -y log(y_hat) - (1 - y) log(1 - y_hat)" in text  # the correct one
    for y_hat in (0.01, 0.9):
        logit = np.log(y_hat / (1 - y_hat))
        _, correct, _ = step_losses(
            "bce",
            "sigmoid",
            "sum",
            np.array([[logit]]),
            np.array([[y_hat]]),
            np.array([[1.0]]),
            np.array([True]),
        )
        printed = -y_hat * np.log(y_hat)  # y = 1 kills the second term
        assert f"{correct:.4f}" in text and f"{printed:.4f}" in text
    # the printed formula barely punishes a confident miss
    assert -0.01 * np.log(0.01) < 0.05 < 4.6 < -np.log(0.01)


def test_harry_potter_learns_to_tag_its_sentences():
    snaps, built = trained("harry-potter")
    assert snaps[-1].accuracy == 1.0
    tr = run(snaps[-1].params, built.sample, built.config)
    assert (tr.ys[:, 0] > 0.5).astype(int).tolist() == [1, 1, 0, 1, 1, 0, 0, 0, 0]


# =============================================================================================
# Madhu Sanjeevi, "this movie is not good" (seed 004)
# =============================================================================================


def test_sentiment_steps_are_numbered_from_one():
    spec, built, tr = preset("sentiment")
    assert built.tokens == ("this", "movie", "is", "not", "good")
    assert tr.length == 5 and tr.sample.scored.tolist() == [False] * 4 + [True]
    text = flat(spec.description)
    assert 'It numbers the words from x(0) ("this" is x(0), "good" is x(4))' in text
    assert 'x_1 = "this", ..., x_5 = "good"' in text


def test_sentiment_weights_are_shared_across_time_steps():
    spec, built, tr = preset("sentiment")
    p = built.params
    prev = np.vstack([p.h0, tr.hs[:-1]])  # h_{t-1} for every step
    # one matrix each, whose gradient is the sum of one contribution per step
    np.testing.assert_allclose(tr.grads["W_xh"], tr.dz.T @ tr.xs, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tr.grads["W_hh"], tr.dz.T @ prev, rtol=1e-12, atol=1e-15)
    # and the same W_xh, W_hh are used at every step of the forward pass
    for t in range(tr.length):
        np.testing.assert_allclose(tr.zs[t], p.W_hh @ prev[t] + p.W_xh @ tr.xs[t] + p.b_h)
    text = flat(spec.description)
    assert '"U and V are weight vectors, different for every time step" is wrong' in text
    assert "the same three are used at every time step" in text


def test_sentiment_learns_that_not_good_is_negative():
    _, built, before = preset("sentiment")
    assert abs(before.ys[-1, 1] - 0.5) < 0.2  # untrained: close to 50/50
    snaps, built = trained("sentiment")
    assert snaps[-1].accuracy == 1.0  # all twelve sentences
    after = run(snaps[-1].params, built.sample, built.config)
    assert built.output_names[int(np.argmax(after.ys[-1]))] == "negative"
    assert after.ys[-1, 0] > 0.9


# =============================================================================================
# "RNNs [Week 4]", ice cream (seed 001)
# =============================================================================================


def test_ice_cream_state_t_uses_input_t_not_t_minus_1():
    spec, built, tr = preset("ice-cream")
    assert built.tokens[0] == "i" and built.target_tokens[-1] == "hot"
    p = built.params
    for t in range(1, tr.length):
        z = p.W_hh @ tr.hs[t - 1] + p.W_xh @ tr.xs[t] + p.b_h
        np.testing.assert_allclose(tr.hs[t], np.tanh(z))
    # changing only the last input word changes only the last state: h_t depends on x_t
    other = build(spec.with_(text="I want to have some ice cream as it is very cold"))
    tr2 = run(other.params, other.sample, other.config)
    np.testing.assert_array_equal(tr2.hs[:-1], tr.hs[:-1])
    text = flat(spec.description)
    assert "It writes h(t+1) = f(alpha x(t) + beta h(t-1)): the indices are off by one" in text
    assert "h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h)" in text


def test_ice_cream_jacobians_multiply_they_are_not_added():
    """One unit, identity activation, W_hh = 0.5: dh_4/dh_1 = 0.5^3, as the description says."""
    params = Params(W_xh=[[1.0]], W_hh=[[0.5]], b_h=[0.0], W_hy=[[1.0]], b_y=[0.0], h0=[0.0])
    scored = np.array([False, False, False, True])
    targets = np.where(scored[:, None], 1.0, np.nan)
    sample = Sample(np.ones((4, 1)), targets, scored)
    tr = run(params, sample, Config(activation="identity", head="identity", loss="mse"))
    assert tr.jacobian_norms[0] == pytest.approx(0.5 * 0.5 * 0.5, rel=1e-12)
    assert tr.dh[0, 0] == pytest.approx(0.125 * tr.dh[3, 0], rel=1e-12)  # a product, not 1.5x
    text = flat(presets.get("ice-cream").description)
    assert "dh_4/dh_1 = 0.5 x 0.5 x 0.5 = 0.125, not 0.5 + 0.5 + 0.5 = 1.5" in text
    assert "The chain rule multiplies them" in text


def test_ice_cream_paths_are_summed_each_path_a_product():
    """dL/dh_k = sum over later losses t of dL_t/dh_k: what is added is one term per loss."""
    _, built, _ = preset("ice-cream")
    config = Config(reduction="sum")
    s = built.sample
    total = run(built.params, s, config).dh
    per_loss = []
    for t in range(s.length):
        only_t = np.arange(s.length) == t
        one = Sample(s.xs, np.where(only_t[:, None], s.targets, np.nan), only_t)
        per_loss.append(run(built.params, one, config).dh)
    np.testing.assert_allclose(sum(per_loss), total, rtol=1e-10, atol=1e-14)
    # loss t does not reach later states: the path from t back to k only exists for k <= t
    for t, dh in enumerate(per_loss):
        np.testing.assert_array_equal(dh[t + 1 :], 0.0)


def test_ice_cream_remembers_what_came_before():
    snaps, built = trained("ice-cream")
    params, names = snaps[-1].params, built.output_names

    def predictions(i):
        tr = run(params, built.samples[i], built.config)
        return [names[j] for j in tr.ys.argmax(axis=1)], tr.ys

    hot_first, _ = predictions(1)  # it is very hot so i want some -> ice
    cold_first, _ = predictions(2)  # it is very cold so i want some -> hot
    assert hot_first[7] == "ice" and cold_first[7] == "hot"
    tutorial, ys = predictions(0)
    assert tutorial[10] == "hot"  # "as it is very" -> hot: it remembers "ice cream"
    # after "i want to have some" the data cannot decide: the bet is split
    some = ys[4]
    assert some[names.index("ice")] > 0.25 and some[names.index("hot")] > 0.25
