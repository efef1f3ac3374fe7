"""The forward pass of a vanilla RNN over one sequence.

    z_t = W_hh h_{t-1} + W_xh x_t + b_h      pre-activation
    h_t = f(z_t)                            hidden state
    o_t = W_hy h_t + b_y                    logits
    y_t = g(o_t)                            output

Arrays are time-major and batchless: row i is timestep i + 1. The input
projection ``xs @ W_xh.T + b_h`` does not depend on h, so it is one matmul
for all T steps before the loop; the loop then does one (H,)x(H,H) product,
one add and one activation per step, writing into preallocated buffers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .functions import activate, head
from .params import Params, frozen, sealed


@dataclass(frozen=True, eq=False)
class ForwardPass:
    xs: np.ndarray  # (T, D) inputs
    zs: np.ndarray  # (T, H) pre-activations
    hs: np.ndarray  # (T, H) hidden states h_1..h_T
    logits: np.ndarray  # (T, O) o_t
    ys: np.ndarray  # (T, O) outputs y_t = g(o_t)


def forward(
    params: Params, xs: np.ndarray, activation: str = "tanh", head_name: str = "softmax"
) -> ForwardPass:
    xs = np.asarray(xs, dtype=float)
    H = params.hidden_size
    hs = np.empty((xs.shape[0], H))  # (T, H)
    W_hh_T = params.W_hh.T  # h @ W_hh.T == W_hh h
    h = params.h0
    tanh = activation == "tanh"  # the common case, without a dispatch per step
    with np.errstate(over="ignore", invalid="ignore"):  # non-finite is reported, not raised
        zs = xs @ params.W_xh.T + params.b_h  # (T, H) input part of every z_t, one matmul
        # iterating row views is cheaper than indexing zs[t], hs[t] three times a step
        for z, h_out in zip(zs, hs, strict=True):
            z += h @ W_hh_T
            if tanh:
                np.tanh(z, out=h_out)
            else:
                h_out[:] = activate(activation, z)
            h = h_out
        logits = hs @ params.W_hy.T + params.b_y  # (T, O)
        ys = head(head_name, logits)  # (T, O)
    return ForwardPass(frozen(xs), sealed(zs), sealed(hs), sealed(logits), sealed(ys))


def previous_states(params: Params, hs: np.ndarray) -> np.ndarray:
    """(T, H): the h_{t-1} each step starts from, h_0 first."""
    return np.vstack([params.h0[None, :], hs[:-1]])
