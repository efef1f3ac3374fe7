"""Weights as a NumPy ``.npz`` archive with PyTorch's names (docs/pytorch.md).

rnnviz's network is one ``torch.nn.RNN`` layer followed by an ``nn.Linear``
output layer (plus an optional ``nn.Embedding``), so the parameters map
one to one onto the names ``state_dict()`` uses::

    weight_ih_l0     = W_xh  (H, D)    h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
    weight_hh_l0     = W_hh  (H, H)
    bias_ih_l0       = b_h   (H,)
    bias_hh_l0       = 0     (H,)      rnnviz has one hidden bias: b_h = b_ih + b_hh
    fc.weight        = W_hy  (O, H)    logits_t = W_hy h_t + b_y
    fc.bias          = b_y   (O,)
    embedding.weight = E     (V, D)    only with an embedding
    h0               = h0    (1, H)    (num_layers, H), as nn.RNN takes it unbatched

plus two text entries, ``nonlinearity`` (tanh/relu/sigmoid/identity) and
``head`` (softmax/sigmoid/identity), so a reader knows how to rebuild the
model. Writing goes through ``atomic_write_bytes``: an interrupted export
never leaves half a file. Reading never unpickles (``allow_pickle=False``)
and checks every entry before anything is used: known names, one layer,
shapes against the current network (named in H, D, O), real numbers of any
float or integer dtype (kept as float64), all finite. A problem is one
``WeightsFileError`` (a ValueError) saying what and where.
"""

from __future__ import annotations

import io
import os
import re
import zipfile

import numpy as np

from ..engine.params import Params
from .atomic import atomic_write_bytes

__all__ = [
    "MAX_NPZ_BYTES",
    "TORCH_NAMES",
    "WeightsFileError",
    "load_torch_npz",
    "params_from_arrays",
    "save_torch_npz",
    "torch_arrays",
]

MAX_NPZ_BYTES = 256 * 2**20  # far above any network rnnviz can show; refuses zip bombs early

# torch name -> (rnnviz name, dims in words); the bias_hh is folded into b_h
TORCH_NAMES = {
    "weight_ih_l0": ("W_xh", "H × D"),
    "weight_hh_l0": ("W_hh", "H × H"),
    "bias_ih_l0": ("b_h", "H"),
    "bias_hh_l0": ("b_h", "H"),
    "fc.weight": ("W_hy", "O × H"),
    "fc.bias": ("b_y", "O"),
    "embedding.weight": ("E", "V × D"),
    "h0": ("h0", "1 × H"),
}
TEXT_NAMES = ("nonlinearity", "head")  # descriptive; ignored when importing
_REQUIRED = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "fc.weight", "fc.bias")


class WeightsFileError(ValueError):
    """A weights file that cannot be used, with what is wrong and where."""


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def torch_arrays(params: Params, activation: str = "tanh", head: str = "softmax") -> dict:
    """The archive's entries (float64 arrays and two text entries) for ``params``."""
    H = params.hidden_size
    arrays = {
        "weight_ih_l0": params.W_xh,  # (H, D)
        "weight_hh_l0": params.W_hh,  # (H, H)
        "bias_ih_l0": params.b_h,  # (H,)
        "bias_hh_l0": np.zeros(H),  # (H,): the whole hidden bias lives in bias_ih
        "fc.weight": params.W_hy,  # (O, H)
        "fc.bias": params.b_y,  # (O,)
        "h0": params.h0.reshape(1, H),  # (1, H): nn.RNN's (num_layers, H)
    }
    if params.E is not None:
        arrays["embedding.weight"] = params.E  # (V, D)
    out = {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in arrays.items()}
    out["nonlinearity"] = np.array(str(activation))
    out["head"] = np.array(str(head))
    return out


def npz_bytes(arrays: dict) -> bytes:
    """The archive in memory, so the file itself can be written atomically."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def save_torch_npz(
    path: str | os.PathLike, params: Params, activation: str = "tanh", head: str = "softmax"
) -> None:
    """Write ``params`` with torch.nn.RNN's names; the old file survives any failure."""
    if not params.all_finite():
        raise WeightsFileError("the weights contain NaN or infinity, so they cannot be exported")
    atomic_write_bytes(path, npz_bytes(torch_arrays(params, activation, head)))


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def load_torch_npz(path: str | os.PathLike, reference: Params) -> Params:
    """Read an .npz written here or from a torch ``state_dict``; shapes must fit ``reference``."""
    name = os.path.basename(os.fspath(path))
    try:
        size = os.path.getsize(path)
    except OSError as e:
        raise WeightsFileError(f"{name}: cannot read the file ({e.strerror or e})") from None
    if size > MAX_NPZ_BYTES:
        raise WeightsFileError(f"{name}: {size / 2**20:.0f} MB is too large for a weights file")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise WeightsFileError(f"{name}: cannot read the file ({e.strerror or e})") from None
    return params_from_arrays(_read_archive(data, name), reference, name)


def _read_archive(data: bytes, where: str) -> dict:
    """Every entry of the archive as an array, without unpickling anything."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise WeightsFileError(f"{where}: not an .npz archive (a zip of .npy arrays)")
    out = {}
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            for info in npz.zip.infolist():
                if info.file_size > MAX_NPZ_BYTES:  # the header could claim anything
                    raise WeightsFileError(f"{where}: entry {info.filename!r} is too large")
            for key in npz.files:
                out[key] = npz[key]
    except WeightsFileError:
        raise
    except ValueError as e:  # pickled object arrays are refused by allow_pickle=False
        text = str(e)
        reason = "holds Python objects, which are never loaded" if "pickle" in text else text
        raise WeightsFileError(f"{where}: {reason}") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise WeightsFileError(f"{where}: damaged archive ({e})") from None
    if not out:
        raise WeightsFileError(f"{where}: the archive is empty")
    return out


def params_from_arrays(arrays: dict, reference: Params, where: str = "weights") -> Params:
    """torch-named arrays -> Params with the shapes of ``reference`` (the current network)."""
    arrays = {_strip_prefix(k): v for k, v in arrays.items()}
    for key in arrays:
        _check_name(key, where)
    need = list(_REQUIRED) + (["embedding.weight"] if reference.E is not None else [])
    for key in need:
        if key not in arrays:
            raise WeightsFileError(
                f"{where}: {key} ({TORCH_NAMES[key][1]}) is missing; needed: {', '.join(need)}"
            )
    if "embedding.weight" in arrays and reference.E is None:
        raise WeightsFileError(
            f"{where}: embedding.weight is given but this network has no embedding "
            "(input encoding is not 'embedding')"
        )
    got = {
        k: _numbers(arrays[k], f"{where}: {k}")
        for k in arrays
        if k not in TEXT_NAMES and k in TORCH_NAMES
    }
    want = _shapes(reference)
    for key, a in got.items():
        shape = want[key]
        if key == "h0" and a.shape == shape[1:]:
            a = got[key] = a.reshape(shape)  # a plain (H,) h0 is fine too
        if a.shape != shape:
            raise WeightsFileError(
                f"{where}: {key} is {_shape_text(a.shape)} but this network needs "
                f"{_shape_text(shape)} ({TORCH_NAMES[key][1]}); {_sizes(reference)}"
            )
    return Params(
        W_xh=got["weight_ih_l0"],
        W_hh=got["weight_hh_l0"],
        b_h=got["bias_ih_l0"] + got["bias_hh_l0"],  # the two biases act as one
        W_hy=got["fc.weight"],
        b_y=got["fc.bias"],
        h0=got["h0"][0] if "h0" in got else reference.h0,
        E=got.get("embedding.weight"),
    )


def _strip_prefix(key: str) -> str:
    # a full model's state_dict names the layer: "rnn.weight_ih_l0" -> "weight_ih_l0"
    if key.startswith("rnn.") and key[4:] in TORCH_NAMES:
        return key[4:]
    return key


def _check_name(key: str, where: str) -> None:
    if key in TORCH_NAMES or key in TEXT_NAMES:
        return
    if key.endswith("_reverse"):
        raise WeightsFileError(
            f"{where}: {key} belongs to a bidirectional RNN; rnnviz shows one direction"
        )
    layer = re.fullmatch(r"(?:weight|bias)_(?:ih|hh)_l(\d+)", key)
    if layer:
        raise WeightsFileError(
            f"{where}: {key} belongs to layer {int(layer[1]) + 1}; rnnviz shows one layer "
            "(num_layers=1)"
        )
    known = ", ".join([*TORCH_NAMES, *TEXT_NAMES])
    raise WeightsFileError(f"{where}: unknown entry {key!r}; known: {known}")


def _numbers(a: np.ndarray, where: str) -> np.ndarray:
    """Real numbers (any float or integer dtype) as float64, all finite."""
    if a.dtype.kind not in "fiu":
        raise WeightsFileError(f"{where}: expected numbers, found dtype {a.dtype}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        i = tuple(int(j) for j in np.argwhere(~np.isfinite(a))[0])
        raise WeightsFileError(f"{where}: entry {list(i)} is {a[i]}, not a finite number")
    return a


def _shapes(p: Params) -> dict:
    H = p.hidden_size
    out = {
        "weight_ih_l0": p.W_xh.shape,
        "weight_hh_l0": p.W_hh.shape,
        "bias_ih_l0": (H,),
        "bias_hh_l0": (H,),
        "fc.weight": p.W_hy.shape,
        "fc.bias": p.b_y.shape,
        "h0": (1, H),
    }
    if p.E is not None:
        out["embedding.weight"] = p.E.shape
    return out


def _shape_text(shape: tuple) -> str:
    if not shape:
        return "one number"
    return " × ".join(map(str, shape)) if len(shape) > 1 else f"{shape[0]} numbers"


def _sizes(p: Params) -> str:
    text = f"H = {p.hidden_size}, D = {p.input_size}, O = {p.output_size}"
    return text + (f", V = {p.E.shape[0]}" if p.E is not None else "")
