"""Element-wise activations for the cell (f) and the output head (g).

    h_t = f(z_t),  z_t = W_hh h_{t-1} + W_xh x_t + b_h
    y_t = g(o_t),  o_t = W_hy h_t + b_y

For the cell we also need f'(z) (the diagonal of dh_t/dz_t) and the bound
gamma = sup |f'|, which enters the vanishing-gradient condition of
Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent
neural networks": if sigma_max(W_hh) < 1/gamma the Jacobians dh_T/dh_t
shrink at least geometrically (vanishing is guaranteed); if it is larger,
exploding becomes possible (not certain).
"""

from __future__ import annotations

import numpy as np

ACTIVATIONS = ("tanh", "relu", "sigmoid", "identity")
HEADS = ("softmax", "sigmoid", "identity")

# sup over z of |f'(z)|: tanh'(0) = 1, sigmoid'(0) = 1/4, relu' and identity' <= 1.
GAMMA = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25, "identity": 1.0}


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, written so that neither branch overflows for |z| large."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def activate(name: str, z: np.ndarray) -> np.ndarray:
    """f(z) for the cell activation ``name``."""
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return sigmoid(z)
    if name == "identity":
        return np.array(z, dtype=float, copy=True)
    raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


def derivative(name: str, z: np.ndarray, h: np.ndarray) -> np.ndarray:
    """f'(z), using h = f(z) where that is cheaper and exact (tanh, sigmoid).

    ReLU's derivative at exactly 0 is taken as 0 (the PyTorch convention).
    """
    if name == "tanh":
        return 1.0 - h * h
    if name == "relu":
        return (z > 0).astype(float)
    if name == "sigmoid":
        return h * (1.0 - h)
    if name == "identity":
        return np.ones_like(z, dtype=float)
    raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


def head(name: str, o: np.ndarray) -> np.ndarray:
    """g(o) for every row of ``o`` (T, O): softmax is taken over the last axis."""
    if name == "softmax":
        e = np.exp(o - o.max(axis=-1, keepdims=True))  # shift: exp never overflows
        return e / e.sum(axis=-1, keepdims=True)
    if name == "sigmoid":
        return sigmoid(o)
    if name == "identity":
        return np.array(o, dtype=float, copy=True)
    raise ValueError(f"unknown output head {name!r}; choose one of {', '.join(HEADS)}")


def head_vjp(name: str, y: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Vector-Jacobian product through the head: given dL/dy (T, O), return dL/do.

    softmax: J = diag(y) - y y^T, so g J = y * (g - <g, y>).
    """
    if name == "softmax":
        return y * (g - np.sum(g * y, axis=-1, keepdims=True))
    if name == "sigmoid":
        return g * y * (1.0 - y)
    if name == "identity":
        return g
    raise ValueError(f"unknown output head {name!r}; choose one of {', '.join(HEADS)}")
