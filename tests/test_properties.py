"""Property tests: whatever a person types, the engine answers with a Trace or a
clear ValueError -- never another exception, never a silent NaN.

pytest turns RuntimeWarning into an error (pyproject.toml), so a NumPy
overflow warning escaping the engine fails these tests too.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from rnnviz.engine.encoding import parse_series
from rnnviz.engine.spec import Spec, build
from rnnviz.engine.trace import Config, Trace, run

SETTINGS = settings(
    deadline=None,
    max_examples=50,
    derandomize=True,  # the same examples on every run: a failure is reproducible
    database=None,
    # no shrinking: a failing example is reported as drawn, in seconds instead of minutes
    phases=(Phase.explicit, Phase.generate),
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------- strategies

EMOJI_AND_SCRIPTS = "😀🐍❤️👍🏽\u200d東京Привет مرحبا हिन्दी naïve café ß'’-_.,!? \t\n"
WORDS = ["the", "cat", "AI", "don't", "re-use", "東京", "😀", "Привет", ",", "!", "42", "é"]

texts = st.one_of(
    st.text(max_size=120),  # any unicode at all
    st.text(alphabet=EMOJI_AND_SCRIPTS, max_size=80),  # emoji, mixed scripts
    st.sampled_from(["", " ", "\n\t  \r\n", "hello", "a", "😀"]),  # edge cases
    st.builds(  # long texts: up to 10,000 tokens (rnnviz refuses more than 2,000)
        lambda n, words: " ".join(words[i % len(words)] for i in range(n)),
        st.integers(0, 10_000),
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=6),
    ),
)
numeric_texts = st.one_of(
    st.text(alphabet="0123456789.,;eE+- \n\tinfa", max_size=60),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=12).map(
        lambda xs: "\n".join(repr(x) for x in xs)
    ),
)
magnitudes = st.floats(min_value=1e-300, max_value=1e300)
weights = st.one_of(  # a scalar (W_hh = w I, b_h = b for every unit), mixed signs
    st.builds(lambda m, neg: -m if neg else m, magnitudes, st.booleans()),
    st.sampled_from([0.0, 1e300, -1e300, 1e-300, -1e-300, 1.0, 3.0]),
)
PARAM_NAMES = ("W_xh", "W_hh", "b_h", "W_hy", "b_y", "h0")
explicit_params = st.fixed_dictionaries({n: weights for n in PARAM_NAMES})
PAIRS = [
    ("ce", "softmax"),
    ("ce", "sigmoid"),
    ("bce", "sigmoid"),
    ("mse", "softmax"),
    ("mse", "sigmoid"),
    ("mse", "identity"),
]
ACTIVATIONS = ["tanh", "relu", "sigmoid", "identity"]
LABELS = st.sampled_from(["pos", "neg", 0, 1])

# one bad value per setting: sizes 0, negative, huge, float, bool, None, text ...
BAD_SIZES = st.sampled_from(
    [0, -1, -(10**9), 513, 10**12, 3.0, 2.5, float("nan"), True, False, None, "3"]
)
BAD = {
    "hidden_size": BAD_SIZES,
    "embedding_size": BAD_SIZES,
    "output_size": BAD_SIZES,
    "level": st.text(max_size=4),
    "punctuation": st.sampled_from(["strip", "", None]),
    "encoding": st.sampled_from(["bag", "one-hot", None]),
    "task": st.sampled_from(["seq2seq", "", None]),
    "init": st.sampled_from(["he", None]),
    "seed": st.sampled_from([-1, 1.5, True, "7", None]),
    "sigma_max": st.sampled_from([0.0, -1.0, 1e308, float("nan"), float("inf")]),
    "classes": st.sampled_from([(), ("a",), ("a", "a")]),
    "label": st.one_of(
        st.none(),
        st.sampled_from(["other", -2, 7, 1.5, True, "", ()]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.lists(st.floats(-1e300, 1e300), max_size=3),
    ),
    "tags": st.lists(st.one_of(st.none(), LABELS), max_size=8).map(tuple),
    "params": st.dictionaries(
        st.sampled_from([*PARAM_NAMES, "E", "W"]),
        st.one_of(weights, st.lists(weights, max_size=3), st.just("x"), st.just([[1.0]])),
        max_size=7,
    ),
    "activation": st.sampled_from(["gelu", ""]),
    "pair": st.sampled_from([("ce", "identity"), ("bce", "softmax"), ("hinge", "softmax")]),
    "reduction": st.sampled_from(["max", ""]),
    "truncation": st.sampled_from([0, -1, 2.5, True, "2"]),
}


@st.composite
def valid_cases(draw):
    """(Spec fields, Config fields) with every setting valid; text and weights are anything."""
    task = draw(st.sampled_from(["next-token", "many-to-one", "many-to-many"]))
    encoding = draw(st.sampled_from(["onehot", "embedding", "numeric"]))
    text = draw(numeric_texts if encoding == "numeric" and draw(st.booleans()) else texts)
    fields = dict(
        text=text,
        task=task,
        encoding=encoding,
        level=draw(st.sampled_from(["word", "char"])),
        lowercase=draw(st.booleans()),
        punctuation=draw(st.sampled_from(["drop", "keep"])),
        use_unk=draw(st.booleans()),
        hidden_size=draw(st.integers(1, 6)),
        embedding_size=draw(st.integers(1, 6)),
        output_size=draw(st.one_of(st.none(), st.integers(1, 4))),
        classes=draw(st.sampled_from([("pos", "neg"), ("pos", "neg", "other")])),
        label=draw(LABELS),
        seed=draw(st.integers(0, 2**32)),
        init=draw(st.sampled_from(["xavier", "orthogonal", "small"])),
        sigma_max=draw(st.one_of(st.none(), magnitudes)),
    )
    if task == "many-to-many":  # usually one tag per token, sometimes a wrong count
        n = len(text.split()) if draw(st.booleans()) else draw(st.integers(0, 6))
        fields["tags"] = tuple(draw(st.one_of(st.none(), LABELS)) for _ in range(n))
    if draw(st.booleans()):
        fields["params"] = draw(explicit_params)
        if encoding == "embedding":  # E (V, D) too: a scalar fills it
            fields["params"]["E"] = draw(weights)
    loss, head = draw(st.sampled_from(PAIRS))
    config = dict(
        activation=draw(st.sampled_from(ACTIVATIONS)),
        head=head,
        loss=loss,
        reduction=draw(st.sampled_from(["sum", "mean"])),
        truncation=draw(st.one_of(st.none(), st.integers(1, 5))),
        clip_mode=draw(st.sampled_from(["off", "value", "norm"])),
        clip_threshold=draw(st.sampled_from([1.0, 1e-300, 1e300, 5.0])),
    )
    return fields, config


@st.composite
def one_bad_setting(draw):
    """A valid case with exactly one setting replaced by a bad value."""
    fields, config = draw(valid_cases())
    name = draw(st.sampled_from(sorted(BAD)))
    value = draw(BAD[name])
    if name == "pair":
        config["loss"], config["head"] = value
    elif name in config:
        config[name] = value
    else:
        fields[name] = value
    return fields, config


# --------------------------------------------------------------------------- checks


def _assert_clear_error(error: ValueError) -> None:
    assert isinstance(error, ValueError)
    assert str(error).strip(), "a ValueError must say what is wrong"


def _non_finite(tr: Trace) -> list[str]:
    """Arrays holding NaN or inf; ``Trace.problem`` promises None only when there are none."""
    arrays = {
        "zs": tr.zs,
        "hs": tr.hs,
        "logits": tr.logits,
        "ys": tr.ys,
        "step_losses": tr.step_losses,
        "dlogits": tr.dlogits,
        "dh": tr.dh,
        "dh_local": tr.dh_local,
        "dh_carried": tr.dh_carried,
        "dz": tr.dz,
        "fprime": tr.fprime,
        "loss": tr.loss,
    }
    arrays.update({f"grads[{k}]": g for k, g in tr.grads.items()})
    arrays.update({f"clipped_grads[{k}]": g for k, g in tr.clipped_grads.items()})
    return [name for name, a in arrays.items() if not np.isfinite(a).all()]


def _check_trace(tr: Trace) -> None:
    assert isinstance(tr, Trace)
    if tr.finite:
        assert tr.problem is None
        assert not _non_finite(tr), f"a trace marked finite holds NaN or inf: {_non_finite(tr)}"
    else:
        assert isinstance(tr.problem, str) and tr.problem.strip()
    # what the panels read next must not crash or warn either (kept cheap: small traces)
    if tr.length <= 300 and tr.params.hidden_size <= 64:
        assert tr.dh_norms.shape == (tr.length,)
        assert not np.isnan(tr.dh_norms).any() or not tr.finite
        assert not np.isnan(tr.jacobian_log10_norms).any()
        assert tr.loss_to_state.shape == (tr.length, tr.length)
        assert set(tr.grad_norms) == set(tr.grads)
        assert tr.condition["text"]


def _build_and_run(case) -> None:
    fields, config_fields = case
    try:
        spec = Spec(**fields, config=Config(**config_fields))
        built = build(spec)
        tr = run(built.params, built.sample, built.config)
    except ValueError as error:
        _assert_clear_error(error)
        return
    _check_trace(tr)


@SETTINGS
@given(valid_cases())
def test_any_text_and_weights_give_a_trace_or_a_clear_value_error(case):
    _build_and_run(case)


@SETTINGS
@given(one_bad_setting())
def test_a_bad_setting_gives_a_clear_value_error(case):
    _build_and_run(case)


@SETTINGS
@given(
    st.sampled_from(ACTIVATIONS),
    st.sampled_from(PAIRS),
    st.sampled_from(["off", "value", "norm"]),
    explicit_params,
    st.integers(1, 5),
    st.text(alphabet="ab c", min_size=2, max_size=40),
)
def test_extreme_weights_on_valid_networks(activation, pair, clip_mode, params, H, text):
    """Every valid network shape, with weights anywhere from 1e-300 to 1e300."""
    loss, head = pair
    config = Config(activation=activation, head=head, loss=loss, clip_mode=clip_mode)
    built = build(Spec(text=text, level="char", hidden_size=H, params=params, config=config))
    _check_trace(run(built.params, built.sample, built.config))


@SETTINGS
@given(st.one_of(st.text(max_size=200), numeric_texts))
@example(",")  # BUG (encoding.py): separators only -> IndexError, not a ValueError
@example(" ; , ;")
def test_parse_series_gives_finite_rows_or_a_clear_error(text):
    try:
        series = parse_series(text)
    except ValueError as error:
        _assert_clear_error(error)
        return
    assert series.ndim == 2 and series.shape[0] >= 1 and series.shape[1] >= 1
    assert series.dtype == np.float64 and np.isfinite(series).all()


@SETTINGS
@given(
    st.lists(st.lists(st.floats(-1e300, 1e300), min_size=2, max_size=2), min_size=2, max_size=30),
    st.sampled_from([",", " ", "\t", ", "]),
    st.sampled_from(["\n", ";", "\r\n"]),
)
def test_parse_series_reads_back_what_was_written(rows, sep, newline):
    text = newline.join(sep.join(repr(v) for v in row) for row in rows)
    np.testing.assert_array_equal(parse_series(text), np.array(rows))


# --------------------------------------------------------------------------- fuzzer finds

# The exact cases the generators above found, kept so each engine site is
# exercised on every run: explicit weights (scalars fill the matrix, W_hh = w I)
# and the engine line where a NumPy warning escaped or a NaN/inf hid.
ONES = dict(W_xh=1.0, W_hh=1.0, b_h=0.0, W_hy=1.0, b_y=0.0, h0=0.0)
IDENTITY_MSE = Config(activation="identity", head="identity", loss="mse")
RELU_BCE_NORM = Config(activation="relu", head="sigmoid", loss="bce", clip_mode="norm")
FOUND = {
    # forward.py: xs @ W_xh.T + b_h is computed outside np.errstate
    "forward-input-projection": dict(
        text="1e50\n0\n1", encoding="numeric", hidden_size=1, params={**ONES, "W_xh": 1e300}
    ),
    # bptt.py backward: dlogits @ W_hy is computed outside np.errstate
    "bptt-dh-local": dict(
        text="abab",
        level="char",
        hidden_size=2,
        params={**ONES, "W_hy": 1e300},
        config=IDENTITY_MSE,
    ),
    # clipping.py: norm clipping multiplies inf by tau / inf = 0
    "clip-norm-of-inf": dict(
        text="abab",
        level="char",
        hidden_size=2,
        params={**ONES, "W_hy": 1e300, "b_h": 1e300, "W_hh": 0.0},
        config=RELU_BCE_NORM,
    ),
    # trace.py dh_norms: np.linalg.norm squares entries of 1e200 (and grad_norms alike)
    "trace-dh-norms": dict(
        text="abab", level="char", hidden_size=2, params={**ONES, "W_hy": 1e200}
    ),
    # bptt.py per_loss_sweep (Trace.loss_to_state) runs outside np.errstate
    "loss-to-state": dict(
        text="ababab",
        level="char",
        hidden_size=2,
        params={**ONES, "W_hh": 1e200},
        config=Config(activation="identity", truncation=1),
    ),
    # trace.py finite: z_1 = W_hh h0 = inf saturates tanh, yet the trace says "finite"
    "finite-with-inf-z": dict(
        text="abab", level="char", hidden_size=2, params={**ONES, "W_hh": 1e300, "h0": 1e300}
    ),
    # trace.py finite: logits of 2e308 = inf, yet the trace says "finite"
    "finite-with-inf-logits": dict(
        text="abab",
        level="char",
        hidden_size=2,
        params={**ONES, "W_hy": 1e308, "b_y": 1e308},
        config=Config(head="sigmoid", loss="ce"),
    ),
    # losses.py step_losses: three finite step losses of 9e307 sum past float64
    "loss-sum": dict(
        text="a b c",
        task="many-to-many",
        classes=("pos", "neg"),
        tags=("neg", "neg", "neg"),
        hidden_size=1,
        params={"W_xh": 100.0, "W_hh": 0.0, "W_hy": [[9e307], [0.0]]},
    ),
}


@pytest.mark.parametrize("fields", list(FOUND.values()), ids=list(FOUND))
def test_cases_the_fuzzer_found(fields):
    fields = dict(fields)
    config = fields.pop("config", Config())
    built = build(Spec(**fields, config=config))
    _check_trace(run(built.params, built.sample, built.config))
