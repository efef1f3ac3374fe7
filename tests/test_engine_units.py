"""Engine unit tests (Qt-free): tokenizer, encodings, forward, losses, clipping, Config, init.

Expected numbers are written out by hand with the ``math`` module, never by
calling the engine function under test a second time.
"""

from __future__ import annotations

import doctest
import importlib
import math
import unicodedata
from pathlib import Path

import numpy as np
import pytest

import rnnviz.engine as engine
from rnnviz.engine.clipping import clip, global_norm
from rnnviz.engine.encoding import embed, one_hot, parse_series
from rnnviz.engine.forward import forward
from rnnviz.engine.functions import head
from rnnviz.engine.init import init_params
from rnnviz.engine.losses import step_losses
from rnnviz.engine.params import Params
from rnnviz.engine.spec import Spec, build
from rnnviz.engine.tokenizer import UNK, Vocab, tokenize
from rnnviz.engine.trace import Config, Sample, run

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- tokenizer


def test_word_tokens_drop_punctuation_like_the_ai_planet_tutorial():
    text = "AI Planet Bootcamps are free and available to all."
    assert tokenize(text) == [
        "AI",
        "Planet",
        "Bootcamps",
        "are",
        "free",
        "and",
        "available",
        "to",
        "all",
    ]


def test_word_tokens_keep_punctuation_one_token_per_mark():
    assert tokenize("Hi, you! Ok?", punctuation="keep") == ["Hi", ",", "you", "!", "Ok", "?"]
    assert tokenize("wait...", punctuation="keep") == ["wait", ".", ".", "."]


def test_apostrophes_and_hyphens_inside_words_stay_in_the_word():
    text = "Don't re-use O'Neil’s well-known state-of-the-art"
    assert tokenize(text) == ["Don't", "re-use", "O'Neil’s", "well-known", "state-of-the-art"]
    # at the edges they are punctuation, not part of a word
    assert tokenize("'quoted' -dash- end-", punctuation="keep") == [
        "'",
        "quoted",
        "'",
        "-",
        "dash",
        "-",
        "end",
        "-",
    ]
    assert tokenize("'quoted' -dash- end-") == ["quoted", "dash", "end"]


def test_lowercase_merges_case_variants():
    assert tokenize("AI ai Ai", lowercase=True) == ["ai", "ai", "ai"]
    assert tokenize("AI ai Ai") == ["AI", "ai", "Ai"]
    assert tokenize("Hi", level="char", lowercase=True) == ["h", "i"]


def test_char_level_keeps_every_character_including_whitespace():
    assert tokenize("hi there", level="char") == list("hi there")
    assert len(tokenize("hi there", level="char")) == 8
    assert tokenize("a, b!", level="char", punctuation="drop") == list("a, b!")


def test_whitespace_only_and_empty_text_give_no_word_tokens():
    for text in ("", "   ", "\n\t \r\n"):
        assert tokenize(text) == []
        assert tokenize(text, punctuation="keep") == []
    assert tokenize(" \n", level="char") == [" ", "\n"]


def test_emoji_are_punctuation_marks_at_word_level():
    assert tokenize("I love 🐍 python 😀!") == ["I", "love", "python"]
    assert tokenize("I love 🐍 python 😀!", punctuation="keep") == [
        "I",
        "love",
        "🐍",
        "python",
        "😀",
        "!",
    ]
    assert tokenize("🐍😀", level="char") == ["🐍", "😀"]


def test_emoji_with_modifiers_is_one_token_not_an_invisible_extra_chip():
    # BUG (tokenizer.py, _WORD_OR_MARK): U+FE0F (variation selector), U+200D (zero-width
    # joiner) and skin-tone modifiers become tokens of their own, so a learner
    # sees an empty chip after the heart.
    assert tokenize("I ❤️ it", punctuation="keep") == ["I", "❤️", "it"]
    assert tokenize("👍🏽", punctuation="keep") == ["👍🏽"]


def test_words_with_combining_marks_are_not_split():
    # BUG (tokenizer.py, _WORD and _WORD_OR_MARK): Python's \w does not match combining marks
    # (Unicode category M), so Hindi loses its vowel signs and a decomposed
    # (NFD) "café", as macOS pastes it, is split into "cafe" + a lost accent.
    assert tokenize("हिन्दी भाषा") == ["हिन्दी", "भाषा"]
    nfd = unicodedata.normalize("NFD", "café naïve")
    assert tokenize(nfd) == nfd.split()


def test_mixed_scripts_split_on_spaces():
    assert tokenize("naïve café 東京 Привет مرحبا") == ["naïve", "café", "東京", "Привет", "مرحبا"]


def test_tokenizer_rejects_unknown_level_and_punctuation_mode():
    with pytest.raises(ValueError, match="level 'byte'"):
        tokenize("x", level="byte")
    with pytest.raises(ValueError, match="punctuation mode 'strip'"):
        tokenize("x", punctuation="strip")


def test_vocab_numbers_tokens_in_order_of_first_appearance_from_1():
    vocab = Vocab.build(tokenize("to be or not to be"))
    assert vocab.tokens == (UNK, "to", "be", "or", "not")
    assert vocab.id_of(UNK) == 0
    assert vocab.encode(tokenize("to be or not to be")) == [1, 2, 3, 4, 1, 2]
    assert len(vocab) == 5
    assert vocab.decode([4, 0, 1]) == ["not", UNK, "to"]


def test_vocab_without_unk_numbers_from_0_like_the_hello_tutorial():
    vocab = Vocab.build(list("hello"), unk=None)
    assert vocab.tokens == ("h", "e", "l", "o")
    assert vocab.encode(list("hell")) == [0, 1, 2, 2]


def test_unknown_words_map_to_unk():
    vocab = Vocab.build(["the", "cat"])
    assert vocab.encode(["the", "dog", "cat", "Cat"]) == [1, 0, 2, 0]


def test_vocab_without_unk_names_the_unknown_token_and_its_position():
    vocab = Vocab.build(list("hello"), unk=None)
    with pytest.raises(ValueError, match=r"token 3 \('p'\) is not in the vocabulary"):
        vocab.encode(list("hep"))


def test_vocab_rejects_duplicates_and_a_missing_unk_entry():
    with pytest.raises(ValueError, match="'a' more than once"):
        Vocab(("a", "b", "a"), unk=None)
    with pytest.raises(ValueError, match="no '<unk>' entry"):
        Vocab(("a", "b"))


# --------------------------------------------------------------------------- encodings


def test_one_hot_rows_are_identity_rows():
    x = one_hot([0, 2, 2, 1], 3)
    assert x.shape == (4, 3)
    np.testing.assert_array_equal(x, [[1, 0, 0], [0, 0, 1], [0, 0, 1], [0, 1, 0]])
    assert one_hot([], 3).shape == (0, 3)


def test_embed_picks_rows_of_E_and_copies_them():
    E = np.arange(8.0).reshape(4, 2)
    x = embed([3, 1, 3], E)
    np.testing.assert_array_equal(x, [[6, 7], [2, 3], [6, 7]])
    x[0, 0] = -1.0  # the trace must not alias the parameter
    assert E[3, 0] == 6.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1, 2, 3", [[1], [2], [3]]),  # one line: T steps of one feature
        ("1 2 3", [[1], [2], [3]]),
        ("1;2;3", [[1], [2], [3]]),
        ("1 2\n3 4\n5 6", [[1, 2], [3, 4], [5, 6]]),
        ("1,2; 3,4", [[1, 2], [3, 4]]),
        ("  -1.5e2 \n\n 2.5  \n", [[-150], [2.5]]),  # blank lines and spaces ignored
    ],
)
def test_parse_series(text, expected):
    got = parse_series(text)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, np.array(expected, dtype=float))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        (" \n\t ", "empty"),
        ("1\n2\nx", r"step 3: 'x' is not a number"),
        ("1, two, 3", r"step 2: 'two' is not a number"),
        ("1\nnan", r"step 2: 'nan' is not a finite number"),
        ("1e400", r"step 1: '1e400' is not a finite number"),
        ("1 2\n3 4\n5", r"step 3 has 1 numbers but step 1 has 2"),
        # BUG (encoding.py, parse_series): separators without numbers raise IndexError
        (",", "empty"),
        (" ; , ", "empty"),
    ],
)
def test_parse_series_errors_name_the_step(text, message):
    with pytest.raises(ValueError, match=message):
        parse_series(text)


# --------------------------------------------------------------------------- forward


def _params_2x2():
    return Params(
        W_xh=[[0.5, -0.3], [0.2, 0.1]],
        W_hh=[[0.1, 0.2], [-0.4, 0.3]],
        b_h=[0.05, -0.05],
        W_hy=[[1.0, -1.0], [0.5, 2.0], [0.0, 1.5]],
        b_y=[0.1, 0.0, -0.1],
        h0=[0.0, 0.0],
    )


def test_forward_shapes_and_read_only_arrays():
    p = init_params(np.random.default_rng(0), 5, 7, 3)
    xs = np.random.default_rng(1).standard_normal((11, 5))
    fp = forward(p, xs, "tanh", "softmax")
    assert fp.xs.shape == (11, 5)
    assert fp.zs.shape == fp.hs.shape == (11, 7)
    assert fp.logits.shape == fp.ys.shape == (11, 3)
    np.testing.assert_allclose(fp.ys.sum(axis=1), 1.0, rtol=1e-12)
    for a in (fp.xs, fp.zs, fp.hs, fp.logits, fp.ys):
        assert a.dtype == np.float64 and not a.flags.writeable


def test_forward_two_steps_by_hand():
    p = _params_2x2()
    fp = forward(p, [[1.0, 0.0], [0.0, 1.0]], "tanh", "softmax")
    # step 1: h0 = 0, x1 = e1 -> z1 = first column of W_xh + b_h
    z1 = [0.5 + 0.05, 0.2 - 0.05]
    h1 = [math.tanh(z1[0]), math.tanh(z1[1])]
    # step 2: z2 = W_hh h1 + second column of W_xh + b_h
    z2 = [0.1 * h1[0] + 0.2 * h1[1] - 0.3 + 0.05, -0.4 * h1[0] + 0.3 * h1[1] + 0.1 - 0.05]
    h2 = [math.tanh(z2[0]), math.tanh(z2[1])]
    np.testing.assert_allclose(fp.zs, [z1, z2], rtol=1e-14)
    np.testing.assert_allclose(fp.hs, [h1, h2], rtol=1e-14)
    o2 = [h2[0] - h2[1] + 0.1, 0.5 * h2[0] + 2.0 * h2[1], 1.5 * h2[1] - 0.1]
    np.testing.assert_allclose(fp.logits[1], o2, rtol=1e-14)
    denom = sum(math.exp(v) for v in o2)
    np.testing.assert_allclose(fp.ys[1], [math.exp(v) / denom for v in o2], rtol=1e-14)


@pytest.mark.parametrize(
    ("activation", "f"),
    [
        ("relu", lambda z: max(z, 0.0)),
        ("sigmoid", lambda z: 1.0 / (1.0 + math.exp(-z))),
        ("identity", lambda z: z),
    ],
)
def test_forward_other_activations_by_hand(activation, f):
    p = _params_2x2().replace(h0=[0.7, -0.9])
    fp = forward(p, [[1.0, 0.0]], activation, "identity")
    z1 = [0.1 * 0.7 + 0.2 * -0.9 + 0.5 + 0.05, -0.4 * 0.7 + 0.3 * -0.9 + 0.2 - 0.05]
    np.testing.assert_allclose(fp.hs[0], [f(z1[0]), f(z1[1])], rtol=1e-14)


def test_forward_and_backward_two_scalar_steps_by_hand():
    """H = D = O = 1, tanh, identity head, squared error at both steps."""
    p = Params(W_xh=[[0.5]], W_hh=[[0.8]], b_h=[0.1], W_hy=[[1.5]], b_y=[-0.2], h0=[0.3])
    sample = Sample(xs=[[1.0], [-1.0]], targets=[[0.5], [0.2]], scored=[True, True])
    tr = run(p, sample, Config(head="identity", loss="mse"))
    h1 = math.tanh(0.8 * 0.3 + 0.5 + 0.1)
    h2 = math.tanh(0.8 * h1 - 0.5 + 0.1)
    o1, o2 = 1.5 * h1 - 0.2, 1.5 * h2 - 0.2
    assert tr.loss == pytest.approx((o1 - 0.5) ** 2 + (o2 - 0.2) ** 2, rel=1e-14)
    do1, do2 = 2 * (o1 - 0.5), 2 * (o2 - 0.2)
    dh2 = 1.5 * do2
    dz2 = dh2 * (1 - h2 * h2)
    dh1 = 1.5 * do1 + 0.8 * dz2  # local + carried back through W_hh
    dz1 = dh1 * (1 - h1 * h1)
    np.testing.assert_allclose(tr.dh[:, 0], [dh1, dh2], rtol=1e-13)
    np.testing.assert_allclose(tr.dh_local[:, 0], [1.5 * do1, 1.5 * do2], rtol=1e-13)
    np.testing.assert_allclose(tr.dh_carried[:, 0], [0.8 * dz2, 0.0], atol=1e-15)
    expected = {
        "W_hh": dz1 * 0.3 + dz2 * h1,
        "W_xh": dz1 - dz2,
        "b_h": dz1 + dz2,
        "W_hy": do1 * h1 + do2 * h2,
        "b_y": do1 + do2,
        "h0": 0.8 * dz1,
    }
    for name, value in expected.items():
        assert float(tr.grads[name].ravel()[0]) == pytest.approx(value, rel=1e-13), name


def test_forward_reproduces_the_hello_tutorial_step_2():
    """Seed 003: h_2 and y_2 for the letter 'e' (tutorial prints 6-8 digits)."""
    W_xh = [
        [0.287027, 0.84606, 0.572392, 0.486813],
        [0.902874, 0.871522, 0.691079, 0.18998],
        [0.537524, 0.09224, 0.558159, 0.491528],
    ]
    W_hy = [
        [0.37168, 0.974829459, 0.830034886],
        [0.39141, 0.282585823, 0.659835709],
        [0.64985, 0.09821557, 0.334287084],
        [0.91266, 0.32581642, 0.144630018],
    ]
    spec = Spec(
        text="hello",
        level="char",
        use_unk=False,
        hidden_size=3,
        params={"W_xh": W_xh, "W_hh": 0.427043, "b_h": 0.567001, "W_hy": W_hy},
    )
    built = build(spec)
    tr = run(built.params, built.sample, built.config)
    assert built.tokens == tuple("hell") and built.target_tokens == tuple("ello")
    np.testing.assert_allclose(tr.hs[0], [0.69316804, 0.89955366, 0.8021184], atol=2e-6)
    np.testing.assert_allclose(tr.hs[1], [0.93653372, 0.94910403, 0.76234056], atol=2e-6)
    # its W_hy is printed with 5 digits in places, so y_2 agrees to about 1e-5
    np.testing.assert_allclose(
        tr.logits[1], [1.90607732, 1.13779113, 0.95666016, 1.27422602], atol=1e-5
    )


# --------------------------------------------------------------------------- losses

LOGITS = np.array([[2.0, -1.0, 0.5], [0.3, 0.3, -2.0], [-0.7, 1.2, 0.1]])
TARGETS = np.array([[0.0, 0.0, 1.0], [np.nan, np.nan, np.nan], [1.0, 0.0, 0.0]])
SCORED = np.array([True, False, True])  # step 2 is unscored: NaN targets must not leak


def _softmax(o):
    e = [math.exp(v) for v in o]
    return [v / sum(e) for v in e]


def _sig(v):
    return 1.0 / (1.0 + math.exp(-v))


def _by_hand(loss, head_name, o, t):
    """One step's loss as a learner writes it, from y = g(o)."""
    y = {"softmax": _softmax, "sigmoid": lambda o: [_sig(v) for v in o], "identity": list}[
        head_name
    ](o)
    if loss == "ce":
        return -sum(tj * math.log(yj) for tj, yj in zip(t, y, strict=True))
    if loss == "bce":
        return -sum(
            tj * math.log(yj) + (1 - tj) * math.log(1 - yj) for tj, yj in zip(t, y, strict=True)
        )
    return sum((yj - tj) ** 2 for tj, yj in zip(t, y, strict=True))


def _grad_by_differences(loss, head_name, o, t, eps=1e-6):
    g = []
    for j in range(len(o)):
        up, down = list(o), list(o)
        up[j] += eps
        down[j] -= eps
        g.append(
            (_by_hand(loss, head_name, up, t) - _by_hand(loss, head_name, down, t)) / (2 * eps)
        )
    return g


PAIRS = [
    ("ce", "softmax"),
    ("ce", "sigmoid"),
    ("bce", "sigmoid"),
    ("mse", "softmax"),
    ("mse", "sigmoid"),
    ("mse", "identity"),
]


@pytest.mark.parametrize(("loss", "head_name"), PAIRS)
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_losses_by_hand_for_every_pair(loss, head_name, reduction):
    ys = head(head_name, LOGITS)
    per_step, total, dlogits = step_losses(loss, head_name, reduction, LOGITS, ys, TARGETS, SCORED)
    l1 = _by_hand(loss, head_name, LOGITS[0], TARGETS[0])
    l3 = _by_hand(loss, head_name, LOGITS[2], TARGETS[2])
    np.testing.assert_allclose(per_step, [l1, 0.0, l3], rtol=1e-12)
    scale = 0.5 if reduction == "mean" else 1.0  # mean over the 2 scored steps, not T = 3
    assert total == pytest.approx(scale * (l1 + l3), rel=1e-12)
    for t in (0, 2):
        np.testing.assert_allclose(
            dlogits[t],
            scale * np.array(_grad_by_differences(loss, head_name, LOGITS[t], TARGETS[t])),
            atol=1e-8,
        )
    np.testing.assert_array_equal(dlogits[1], 0.0)  # unscored: no gradient, no NaN


def test_canonical_pairs_have_gradient_y_minus_t():
    for loss, head_name in (("ce", "softmax"), ("bce", "sigmoid")):
        ys = head(head_name, LOGITS)
        _, _, d = step_losses(loss, head_name, "sum", LOGITS, ys, TARGETS, SCORED)
        np.testing.assert_allclose(d[[0, 2]], ys[[0, 2]] - TARGETS[[0, 2]], rtol=1e-14)


def test_no_scored_step_means_no_loss_and_no_gradient():
    ys = head("softmax", LOGITS)
    per_step, total, d = step_losses("ce", "softmax", "mean", LOGITS, ys, TARGETS, [False] * 3)
    assert total == 0.0
    assert not per_step.any() and not d.any()


@pytest.mark.parametrize(
    ("loss", "head_name"), [("ce", "softmax"), ("ce", "sigmoid"), ("bce", "sigmoid")]
)
def test_cross_entropy_is_finite_for_huge_logits(loss, head_name):
    """A confident wrong answer costs about the logit gap, never log(0) = inf."""
    o = np.array([[1000.0, 0.0, -1000.0], [-800.0, 800.0, 0.0]])
    t = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    per_step, total, d = step_losses(loss, head_name, "sum", o, head(head_name, o), t, [True, True])
    assert np.isfinite(total) and np.isfinite(per_step).all() and np.isfinite(d).all()
    if head_name == "softmax":
        np.testing.assert_allclose(per_step, [2000.0, 1600.0], rtol=1e-12)
    elif loss == "ce":  # -log sigmoid(-1000) = 1000 for the target unit
        assert per_step[0] == pytest.approx(1000.0, rel=1e-12)
    else:  # bce adds -log(1 - y) of the others: 1000 for o = 1000, log 2 for o = 0
        assert per_step[0] == pytest.approx(2000.0 + math.log(2.0), rel=1e-12)
    assert np.abs(d).max() <= 1.0 + 1e-12


def test_loss_rejects_incompatible_pairs_and_reductions():
    ys = head("softmax", LOGITS)
    with pytest.raises(ValueError, match="bce loss needs a sigmoid output head"):
        step_losses("bce", "softmax", "sum", LOGITS, ys, TARGETS, SCORED)
    with pytest.raises(ValueError, match="unknown reduction 'max'"):
        step_losses("ce", "softmax", "max", LOGITS, ys, TARGETS, SCORED)


# --------------------------------------------------------------------------- clipping


def _grads():
    return {"W": np.array([[3.0, -0.5], [0.2, 0.0]]), "b": np.array([-2.0, 0.4])}


def test_value_clipping_clips_each_component():
    raw = _grads()
    out, rec = clip(raw, "value", 1.0)
    np.testing.assert_array_equal(out["W"], [[1.0, -0.5], [0.2, 0.0]])
    np.testing.assert_array_equal(out["b"], [-1.0, 0.4])
    assert rec.mode == "value" and rec.threshold == 1.0 and rec.clipped
    norm_raw = math.sqrt(9 + 0.25 + 0.04 + 4 + 0.16)
    norm_out = math.sqrt(1 + 0.25 + 0.04 + 1 + 0.16)
    assert rec.norm_before == pytest.approx(norm_raw, rel=1e-14)
    assert rec.norm_after == pytest.approx(norm_out, rel=1e-14)
    dot = 3 + 0.25 + 0.04 + 2 + 0.16
    assert rec.cosine == pytest.approx(dot / (norm_raw * norm_out), rel=1e-14)
    assert rec.cosine < 0.99  # the direction changed
    np.testing.assert_array_equal(raw["W"], _grads()["W"])  # input untouched


def test_norm_clipping_rescales_to_exactly_tau_and_keeps_direction():
    raw = _grads()
    before = global_norm(raw)
    for tau in (0.1, 1.0, 3.0):
        out, rec = clip(raw, "norm", tau)
        assert rec.clipped and rec.norm_before == pytest.approx(before, rel=1e-15)
        assert global_norm(out) == pytest.approx(tau, rel=1e-14)
        assert rec.norm_after == pytest.approx(tau, rel=1e-14)
        assert abs(rec.cosine - 1.0) < 1e-12
        np.testing.assert_allclose(out["W"] * before / tau, raw["W"], rtol=1e-14)


def test_clipping_below_the_threshold_changes_nothing():
    raw = _grads()
    for mode in ("norm", "value", "off"):
        out, rec = clip(raw, mode, 10.0)
        assert not rec.clipped and rec.cosine == 1.0
        assert rec.norm_before == rec.norm_after
        for k in raw:
            np.testing.assert_array_equal(out[k], raw[k])
            assert out[k] is not raw[k]


def test_clip_off_ignores_the_threshold():
    out, rec = clip(_grads(), "off", -5.0)
    assert not rec.clipped and rec.cosine == 1.0


@pytest.mark.parametrize("threshold", [0.0, -1.0, float("nan"), float("inf")])
@pytest.mark.parametrize("mode", ["value", "norm"])
def test_bad_clipping_threshold_is_a_clear_error(mode, threshold):
    with pytest.raises(ValueError, match="clipping threshold must be a positive number"):
        clip(_grads(), mode, threshold)


def test_unknown_clipping_mode_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown clipping mode 'max'"):
        clip(_grads(), "max", 1.0)


def test_clip_off_does_not_report_clipping_of_a_nan_gradient():
    # BUG (clipping.py, clip: the "changed" test): np.array_equal(nan, nan) is False, so with
    # clipping *off* a gradient holding NaN is reported as clipped.
    _, rec = clip({"W": np.array([np.nan, 1.0])}, "off", 1.0)
    assert rec.clipped is False


def test_norm_clipping_an_infinite_gradient_does_not_warn():
    # BUG (clipping.py, clip: norm mode): scale = tau / inf = 0 and inf * 0 emits
    # "RuntimeWarning: invalid value encountered in multiply" (an error here).
    _, rec = clip({"W": np.array([np.inf, 1.0])}, "norm", 1.0)
    assert rec.norm_before == math.inf


def test_run_applies_the_configured_clipping():
    built = build(Spec(text="hello world hello there", hidden_size=4, init="xavier"))
    cfg = Config(clip_mode="norm", clip_threshold=1e-3)
    tr = run(built.params, built.sample, cfg)
    assert tr.clip.clipped and tr.clip.norm_before == pytest.approx(global_norm(tr.grads))
    assert global_norm(tr.clipped_grads) == pytest.approx(1e-3, rel=1e-12)
    assert global_norm(tr.grads) > 1e-3  # raw gradients are kept as they were


# --------------------------------------------------------------------------- Config


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"activation": "gelu"}, "unknown activation 'gelu'"),
        ({"head": "tanh"}, "unknown output head 'tanh'"),
        ({"loss": "hinge"}, "unknown loss 'hinge'"),
        ({"loss": "bce", "head": "softmax"}, "bce loss needs a sigmoid output head"),
        ({"loss": "ce", "head": "identity"}, "ce loss needs a softmax or sigmoid output head"),
        ({"reduction": "max"}, "unknown reduction 'max'"),
        ({"truncation": 0}, "truncation must be a whole number"),
        ({"truncation": -3}, "truncation must be a whole number"),
        ({"truncation": 2.5}, "truncation must be a whole number"),
        ({"truncation": True}, "truncation must be a whole number"),
        ({"truncation": "3"}, "truncation must be a whole number"),
    ],
)
def test_config_rejects_bad_settings(changes, message):
    with pytest.raises(ValueError, match=message):
        Config(**changes)


@pytest.mark.parametrize(
    "changes",
    [
        {"clip_mode": "max"},
        {"clip_mode": "norm", "clip_threshold": -1.0},
        {"clip_mode": "value", "clip_threshold": 0.0},
        {"clip_mode": "norm", "clip_threshold": float("nan")},
        {"clip_mode": "norm", "clip_threshold": "1"},
    ],
)
def test_config_rejects_bad_clipping_when_it_is_made(changes):
    # BUG (trace.py, Config.__post_init__): clip_mode and
    # clip_threshold are not validated, so a bad setting is accepted and only
    # fails later inside run() -- as a TypeError for a text threshold.
    with pytest.raises(ValueError, match="clip"):
        Config(**changes)


def test_config_is_frozen():
    cfg = Config()
    with pytest.raises(AttributeError):
        cfg.activation = "relu"


# --------------------------------------------------------------------------- init


def test_orthogonal_init_has_every_singular_value_equal_to_sigma_max():
    for sigma in (0.5, 1.0, 2.5):
        p = init_params(np.random.default_rng(3), 4, 16, 5, scheme="orthogonal", sigma_max=sigma)
        s = np.linalg.svd(p.W_hh, compute_uv=False)
        np.testing.assert_allclose(s, sigma, rtol=1e-12)
    q = init_params(np.random.default_rng(3), 4, 16, 5, scheme="orthogonal").W_hh
    np.testing.assert_allclose(q.T @ q, np.eye(16), atol=1e-13)


@pytest.mark.parametrize("scheme", ["small", "xavier", "orthogonal"])
def test_sigma_max_rescales_any_scheme(scheme):
    p = init_params(np.random.default_rng(0), 3, 6, 2, scheme=scheme, sigma_max=1.7)
    assert np.linalg.norm(p.W_hh, 2) == pytest.approx(1.7, rel=1e-12)


@pytest.mark.parametrize("scheme", ["small", "xavier", "orthogonal"])
def test_init_is_reproducible_from_the_seed_and_seeds_differ(scheme):
    def make(seed):
        return init_params(np.random.default_rng(seed), 3, 5, 2, vocab_size=7, scheme=scheme)

    assert make(42).equals(make(42))
    a, b = make(42), make(43)
    assert not a.equals(b)
    for name in ("W_xh", "W_hh", "W_hy", "E"):
        assert not np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.E.shape == (7, 3)
    for name in ("b_h", "b_y", "h0"):  # biases and the initial state start at zero
        assert not getattr(a, name).any()


def test_xavier_bounds_and_small_scale():
    p = init_params(np.random.default_rng(0), 10, 30, 20, scheme="xavier")
    assert np.abs(p.W_xh).max() <= math.sqrt(6 / 40)
    assert np.abs(p.W_hy).max() <= math.sqrt(6 / 50)
    q = init_params(np.random.default_rng(0), 10, 30, 20, scheme="small")
    assert q.W_hh.std() == pytest.approx(0.01, rel=0.1)


@pytest.mark.parametrize("scheme", ["small", "xavier", "orthogonal"])
@pytest.mark.parametrize("sigma", [1e307, 1e308])
def test_sigma_max_near_the_float_limit_gives_finite_weights(scheme, sigma):
    # BUG (init.py, scale_to_sigma): W * (target / s) overflows when s < 1 (the
    # "small" scheme has s ~ 0.03), so W_hh is filled with inf without an error;
    # LAPACK then prints "DLASCL parameter number 4 had an illegal value" and
    # the condition text reads "σ_max = nan". (W / s) * target cannot overflow.
    p = build(Spec(text="a b", hidden_size=3, init=scheme, sigma_max=sigma)).params
    assert np.isfinite(p.W_hh).all()
    assert np.linalg.norm(p.W_hh / sigma, 2) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scheme": "he"}, "unknown initialisation 'he'"),
        ({"sigma_max": -1.0}, "sigma_max must be a number >= 0"),
        ({"sigma_max": float("inf")}, "sigma_max must be a number >= 0"),
    ],
)
def test_init_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        init_params(np.random.default_rng(0), 3, 4, 2, **kwargs)


# --------------------------------------------------------------------------- public API


def test_rnnviz_engine_gradcheck_is_the_module():
    # BUG (engine/__init__.py): ``from .gradcheck import check as
    # gradcheck`` rebinds the package attribute to the function, so the
    # documented ``rnnviz.engine.gradcheck.check(...)`` raises AttributeError and
    # ``import rnnviz.engine.gradcheck as gc`` yields the function.
    module = importlib.import_module("rnnviz.engine.gradcheck")
    assert engine.gradcheck is module
    assert engine.gradcheck.check is module.check


def test_docs_engine_md_examples_run_and_print_what_they_say():
    """Every >>> line of docs/engine.md runs, and its output matches the doc."""
    path = ROOT / "docs" / "engine.md"
    text = path.read_text(encoding="utf-8")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {}, "docs/engine.md", str(path), 0)
    assert len(test.examples) > 20, "the worked example lost its code"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failures = []
    saved = np.get_printoptions()  # the doc sets print options; do not leak them
    try:
        runner.run(test, out=failures.append)
    finally:
        np.set_printoptions(**saved)
    assert runner.failures == 0, "".join(failures)


def test_the_restricted_mark_scan_misses_no_combining_mark():
    # the tokenizer scans only MARK_RANGES at import for speed; nothing outside may be a mark
    import sys
    import unicodedata

    from rnnviz.engine.tokenizer import MARK_RANGES

    inside = {c for r in MARK_RANGES for c in r}
    outside = [
        c
        for c in range(sys.maxunicode + 1)
        if c not in inside and unicodedata.category(chr(c))[0] == "M"
    ]
    assert outside == []
