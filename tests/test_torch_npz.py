"""Weights exported with torch.nn.RNN's names and read back (no PyTorch needed)."""

import io
import os
import re
import zipfile

import numpy as np
import pytest

from rnnviz.engine.forward import forward
from rnnviz.engine.spec import Spec, build
from rnnviz.engine.trace import Config
from rnnviz.io.torch_npz import (
    WeightsFileError,
    load_torch_npz,
    npz_bytes,
    params_from_arrays,
    save_torch_npz,
    torch_arrays,
)


def _params(**spec):
    return build(Spec(text="hello world", level="char", hidden_size=3, seed=4, **spec)).params


@pytest.fixture
def params():
    return _params()


@pytest.fixture
def embedded():
    return _params(encoding="embedding", embedding_size=2)


def _write(path, arrays):
    with open(path, "wb") as f:
        f.write(npz_bytes(arrays))
    return path


def test_names_and_values_follow_torch(tmp_path, params):
    path = tmp_path / "w.npz"
    save_torch_npz(path, params, "relu", "softmax")
    with np.load(path, allow_pickle=False) as npz:
        assert set(npz.files) == {
            "weight_ih_l0",
            "weight_hh_l0",
            "bias_ih_l0",
            "bias_hh_l0",
            "fc.weight",
            "fc.bias",
            "h0",
            "nonlinearity",
            "head",
        }
        assert np.array_equal(npz["weight_ih_l0"], params.W_xh)
        assert np.array_equal(npz["weight_hh_l0"], params.W_hh)
        assert np.array_equal(npz["bias_ih_l0"], params.b_h)
        assert not npz["bias_hh_l0"].any()
        assert np.array_equal(npz["fc.weight"], params.W_hy)
        assert np.array_equal(npz["fc.bias"], params.b_y)
        assert npz["h0"].shape == (1, 3)
        assert str(npz["nonlinearity"]) == "relu"
        assert npz["weight_ih_l0"].dtype == np.float64


def test_round_trip_is_bit_exact_with_embedding(tmp_path, embedded):
    path = tmp_path / "w.npz"
    save_torch_npz(path, embedded)
    back = load_torch_npz(path, embedded)
    assert back.equals(embedded)
    assert back.E is not None


def test_torch_style_forward_equals_engine(params):
    """The documented torch recurrence, written in NumPy, gives the engine's hidden states."""
    a = torch_arrays(params)
    xs = np.eye(params.input_size)[[1, 3, 2, 0]]
    h = a["h0"][0]
    hs = []
    for x in xs:
        h = np.tanh(
            a["weight_ih_l0"] @ x + a["bias_ih_l0"] + a["weight_hh_l0"] @ h + a["bias_hh_l0"]
        )
        hs.append(h)
    fwd = forward(params, xs, "tanh", "softmax")
    np.testing.assert_allclose(np.array(hs), fwd.hs, rtol=0, atol=1e-15)
    np.testing.assert_allclose(
        np.array(hs) @ a["fc.weight"].T + a["fc.bias"], fwd.logits, rtol=0, atol=1e-15
    )


def test_two_biases_are_summed_and_float32_and_prefix_accepted(params):
    a = torch_arrays(params)
    arrays = {f"rnn.{k}" if "_l0" in k else k: v for k, v in a.items()}
    arrays["bias_hh_l0"] = np.full(3, 0.25, dtype=np.float32)
    arrays["rnn.weight_hh_l0"] = a["weight_hh_l0"].astype(np.float32)
    del arrays["h0"]  # optional: the current h0 is kept
    back = params_from_arrays(arrays, params)
    np.testing.assert_array_equal(back.b_h, params.b_h + 0.25)
    assert back.W_hh.dtype == np.float64
    np.testing.assert_array_equal(back.W_hh, params.W_hh.astype(np.float32).astype(np.float64))
    np.testing.assert_array_equal(back.h0, params.h0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("weight_hh_l0"), "weight_hh_l0 (H × H) is missing"),
        (lambda a: a.update(weight_hh_l0=np.zeros((3, 2))), "weight_hh_l0 is 3 × 2 but this"),
        (lambda a: a.update({"fc.bias": np.zeros(7)}), "fc.bias is 7 numbers"),
        (lambda a: a.update(weight_ih_l1=np.zeros((3, 3))), "belongs to layer 2"),
        (lambda a: a.update(weight_ih_l0_reverse=np.zeros(1)), "bidirectional"),
        (lambda a: a.update(surprise=np.zeros(1)), "unknown entry 'surprise'"),
        (lambda a: a["weight_ih_l0"].__setitem__((1, 2), np.nan), "entry [1, 2] is nan"),
        (lambda a: a.update(bias_ih_l0=np.array(["a", "b", "c"])), "expected numbers"),
        (lambda a: a.update(bias_ih_l0=np.ones(3, complex)), "expected numbers"),
        (lambda a: a.update({"embedding.weight": np.zeros((4, 3))}), "has no embedding"),
    ],
)
def test_bad_archives_are_refused_with_a_clear_message(tmp_path, params, change, message):
    arrays = {k: np.array(v) for k, v in torch_arrays(params).items()}
    change(arrays)
    path = _write(tmp_path / "bad.npz", arrays)
    with pytest.raises(WeightsFileError, match=re.escape(message)):
        load_torch_npz(path, params)


def test_shape_message_names_the_sizes(tmp_path, params):
    arrays = torch_arrays(params)
    big = torch_arrays(build(Spec(text="hello world", level="char", hidden_size=5)).params)
    path = _write(tmp_path / "w.npz", big)
    with pytest.raises(WeightsFileError) as e:
        load_torch_npz(path, params)
    assert "H = 3" in str(e.value) and "weight_ih_l0" in str(e.value)
    assert arrays  # the right file still loads
    assert load_torch_npz(_write(tmp_path / "ok.npz", arrays), params).equals(params)


def test_missing_embedding_for_an_embedding_network(tmp_path, embedded):
    arrays = torch_arrays(embedded)
    del arrays["embedding.weight"]
    with pytest.raises(WeightsFileError, match="embedding.weight"):
        load_torch_npz(_write(tmp_path / "w.npz", arrays), embedded)


def test_pickles_are_never_loaded(tmp_path, params):
    buffer = io.BytesIO()
    np.savez(buffer, weight_ih_l0=np.array([{"evil": 1}], dtype=object))
    path = tmp_path / "evil.npz"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(WeightsFileError, match="Python objects"):
        load_torch_npz(path, params)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not an .npz archive"),
        (b"this is text, not weights", "not an .npz archive"),
        (None, "the archive is empty"),
        ("truncated", "not an .npz archive|damaged"),
    ],
)
def test_not_an_archive(tmp_path, params, content, message):
    path = tmp_path / "w.npz"
    if content is None:
        with zipfile.ZipFile(path, "w"):
            pass
    elif content == "truncated":
        good = npz_bytes(torch_arrays(params))
        path.write_bytes(good[: len(good) // 2])
    else:
        path.write_bytes(content)
    with pytest.raises(WeightsFileError, match=message):
        load_torch_npz(path, params)


def test_missing_file(tmp_path, params):
    with pytest.raises(WeightsFileError, match="cannot read"):
        load_torch_npz(tmp_path / "nope.npz", params)


def test_export_is_atomic_and_refuses_non_finite(tmp_path, params):
    path = tmp_path / "w.npz"
    save_torch_npz(path, params)
    before = path.read_bytes()
    bad = params.replace(W_hh=np.full((3, 3), np.inf))
    with pytest.raises(WeightsFileError, match="NaN or infinity"):
        save_torch_npz(path, bad)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.npz"]  # no temporary file left behind


def test_no_torch_import_anywhere():
    import rnnviz.io.torch_npz as mod

    with open(mod.__file__, encoding="utf-8") as f:
        source = f.read()
    assert "import torch" not in source
    assert Config().activation == "tanh"
