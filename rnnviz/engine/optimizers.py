"""Optimizers: how a gradient g becomes a change of the weights theta.

With learning rate eta, for every trainable array (element-wise operations):

* ``sgd``      theta <- theta - eta g
* ``adagrad``  G <- G + g^2;  theta <- theta - eta g / sqrt(G + eps)
  (Duchi et al. 2011, written exactly as Karpathy's min-char-rnn does it,
  with eps = 1e-8 inside the square root; G starts at 0)
* ``rmsprop``  S <- rho S + (1 - rho) g^2;  theta <- theta - eta g / (sqrt(S) + eps)
  (Hinton's lecture 6e; rho = 0.9, eps = 1e-8; S starts at 0)
* ``adam``     m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
  m_hat = m / (1 - b1^t);  v_hat = v / (1 - b2^t);
  theta <- theta - eta m_hat / (sqrt(v_hat) + eps)
  (Kingma & Ba 2015; b1 = 0.9, b2 = 0.999, eps = 1e-8; t counts steps from 1)

``Params`` are immutable, so ``step`` returns a new ``Params``; the optimizer
keeps its own running state (G, S, m, v and t) between calls. Arrays that are
not trainable are carried over untouched (bit-identical).
"""

from __future__ import annotations

import numbers

import numpy as np

from .params import Params

OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adam")


def check_learning_rate(value) -> float:
    """The learning rate as a float, or a ValueError saying what is wrong."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"the learning rate must be a number, not {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"the learning rate must be a positive finite number, not {value!r}")
    return float(value)


def _unit_interval(value, what: str) -> float:
    """A decay rate in [0, 1): 1 would never forget, more would diverge."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{what} must be a number from 0 up to (not including) 1, not {value!r}")
    return float(value)


def _positive(value, what: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not (np.isfinite(value) and value > 0)
    ):
        raise ValueError(f"{what} must be a small positive number, not {value!r}")
    return float(value)


class Optimizer:
    """Plain gradient descent; subclasses override ``_delta`` and ``DEFAULTS``."""

    name = "sgd"
    DEFAULTS: dict[str, float] = {}
    # how each hyperparameter is checked: eps > 0, decays in [0, 1)
    CHECKS = {
        "eps": _positive,
        "decay": _unit_interval,
        "beta1": _unit_interval,
        "beta2": _unit_interval,
    }

    def __init__(self, learning_rate: float = 0.1, **hyper) -> None:
        self.learning_rate = check_learning_rate(learning_rate)
        unknown = sorted(set(hyper) - set(self.DEFAULTS))
        if unknown:
            known = ", ".join(self.DEFAULTS) or "none besides the learning rate"
            raise ValueError(
                f"the {self.name} optimizer has no setting {unknown[0]!r}; "
                f"its settings are: {known}"
            )
        merged = {**self.DEFAULTS, **hyper}
        self.hyper = {k: self.CHECKS[k](v, f"{self.name} {k}") for k, v in merged.items()}
        self.reset()

    def reset(self) -> None:
        """Forget the running state, as if no step had been taken."""
        self.t = 0  # steps taken so far
        self.state: dict[str, dict[str, np.ndarray]] = {}  # per parameter name

    def step(
        self, params: Params, grads: dict[str, np.ndarray], trainable: tuple[str, ...]
    ) -> Params:
        """Return new ``Params`` with every array named in ``trainable`` updated."""
        present = params.names()
        for name in trainable:
            if name not in present:
                raise ValueError(
                    f"cannot train {name!r}: the network has no such parameter "
                    f"(it has {', '.join(present)})"
                )
            if name not in grads:
                raise ValueError(f"no gradient was given for the trainable parameter {name!r}")
            if np.shape(grads[name]) != getattr(params, name).shape:
                raise ValueError(
                    f"the gradient of {name} has shape {np.shape(grads[name])} "
                    f"but {name} has shape {getattr(params, name).shape}"
                )
        self.t += 1
        new = {}
        # overflow is the trainer's to report (it checks finiteness), not numpy's to warn about
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for name in trainable:
                g = np.asarray(grads[name], dtype=float)
                new[name] = getattr(params, name) - self._delta(name, g)
        return params.replace(**new)

    def _slot(self, name: str, key: str, like: np.ndarray) -> np.ndarray:
        """A running-state array, created as zeros on first use."""
        slots = self.state.setdefault(name, {})
        if key not in slots or slots[key].shape != like.shape:
            slots[key] = np.zeros_like(like)
        return slots[key]

    def _delta(self, name: str, g: np.ndarray) -> np.ndarray:
        return self.learning_rate * g

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v:g}" for k, v in self.hyper.items())
        return f"{type(self).__name__}(learning_rate={self.learning_rate:g}{extra})"


class SGD(Optimizer):
    """theta <- theta - eta g."""


class Adagrad(Optimizer):
    """G <- G + g^2;  theta <- theta - eta g / sqrt(G + eps)   (min-char-rnn)."""

    name = "adagrad"
    DEFAULTS = {"eps": 1e-8}

    def _delta(self, name: str, g: np.ndarray) -> np.ndarray:
        G = self._slot(name, "G", g)
        G += g * g  # the sum of squares only grows: steps shrink over time
        return self.learning_rate * g / np.sqrt(G + self.hyper["eps"])


class RMSProp(Optimizer):
    """S <- rho S + (1 - rho) g^2;  theta <- theta - eta g / (sqrt(S) + eps)."""

    name = "rmsprop"
    DEFAULTS = {"decay": 0.9, "eps": 1e-8}

    def _delta(self, name: str, g: np.ndarray) -> np.ndarray:
        rho = self.hyper["decay"]
        S = self._slot(name, "S", g)
        S *= rho  # a leaky average instead of Adagrad's ever-growing sum
        S += (1.0 - rho) * g * g
        return self.learning_rate * g / (np.sqrt(S) + self.hyper["eps"])


class Adam(Optimizer):
    """Momentum m and RMS v, both bias-corrected; see the module docstring."""

    name = "adam"
    DEFAULTS = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}

    def _delta(self, name: str, g: np.ndarray) -> np.ndarray:
        b1, b2 = self.hyper["beta1"], self.hyper["beta2"]
        m, v = self._slot(name, "m", g), self._slot(name, "v", g)
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * g * g
        # m and v start at 0, so early averages are too small by (1 - beta^t)
        m_hat = m / (1.0 - b1**self.t)
        v_hat = v / (1.0 - b2**self.t)
        return self.learning_rate * m_hat / (np.sqrt(v_hat) + self.hyper["eps"])


_CLASSES = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSProp, "adam": Adam}


def make_optimizer(name: str, learning_rate: float = 0.1, **hyper) -> Optimizer:
    """A fresh optimizer by name, e.g. ``make_optimizer("adam", 0.01, beta1=0.8)``."""
    if name not in _CLASSES:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return _CLASSES[name](learning_rate, **hyper)
