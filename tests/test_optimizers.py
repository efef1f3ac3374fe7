"""Optimizers: first steps by hand, frozen arrays untouched, clear errors."""

import math

import numpy as np
import pytest

from rnnviz.engine.init import init_params
from rnnviz.engine.optimizers import OPTIMIZERS, make_optimizer
from rnnviz.engine.params import Params

EPS = 1e-8


def scalar_params(w: float = 0.5) -> Params:
    """A 1-unit network whose every array is a single number (easy to follow by hand)."""
    one = [[w]]
    return Params(W_xh=one, W_hh=one, b_h=[w], W_hy=one, b_y=[w], h0=[w])


def grads_of(value: float) -> dict:
    return {n: np.full_like(a, value) for n, a in scalar_params().as_dict().items()}


def two_steps(name: str, g1: float, g2: float, lr: float = 0.1, **hyper) -> tuple[float, float]:
    """W_hh after one and after two steps, starting from 0.5."""
    opt = make_optimizer(name, lr, **hyper)
    p1 = opt.step(scalar_params(), grads_of(g1), ("W_hh",))
    p2 = opt.step(p1, grads_of(g2), ("W_hh",))
    return float(p1.W_hh[0, 0]), float(p2.W_hh[0, 0])


def test_sgd_by_hand():
    w1, w2 = two_steps("sgd", 0.2, -0.4)
    assert w1 == pytest.approx(0.5 - 0.1 * 0.2, abs=1e-15)  # 0.48
    assert w2 == pytest.approx(0.48 + 0.1 * 0.4, abs=1e-15)  # 0.52


def test_adagrad_by_hand_like_min_char_rnn():
    w1, w2 = two_steps("adagrad", 0.2, -0.4)
    # mem = 0.04, step = 0.1 * 0.2 / sqrt(0.04 + 1e-8): almost exactly 0.1
    assert w1 == pytest.approx(0.5 - 0.02 / math.sqrt(0.04 + EPS), abs=1e-15)
    assert w1 == pytest.approx(0.4, abs=1e-7)
    # mem = 0.04 + 0.16 = 0.2: the sum keeps growing
    assert w2 == pytest.approx(w1 + 0.04 / math.sqrt(0.2 + EPS), abs=1e-15)


def test_rmsprop_by_hand():
    w1, w2 = two_steps("rmsprop", 0.2, -0.4)
    s1 = 0.1 * 0.04  # (1 - 0.9) g^2, S started at 0
    assert w1 == pytest.approx(0.5 - 0.1 * 0.2 / (math.sqrt(s1) + EPS), abs=1e-14)
    s2 = 0.9 * s1 + 0.1 * 0.16
    assert w2 == pytest.approx(w1 + 0.1 * 0.4 / (math.sqrt(s2) + EPS), abs=1e-14)


def test_adam_by_hand_first_step_is_lr_times_sign():
    w1, w2 = two_steps("adam", 0.2, -0.4)
    # bias correction makes m_hat = g and v_hat = g^2 on step 1: a step of lr * sign(g)
    assert w1 == pytest.approx(0.5 - 0.1 * 0.2 / (0.2 + EPS), abs=1e-15)
    assert w1 == pytest.approx(0.4, abs=1e-7)
    m = 0.9 * (0.1 * 0.2) + 0.1 * -0.4
    v = 0.999 * (0.001 * 0.04) + 0.001 * 0.16
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    assert w2 == pytest.approx(w1 - 0.1 * m_hat / (math.sqrt(v_hat) + EPS), abs=1e-14)


def test_hyperparameters_change_the_step():
    default = two_steps("rmsprop", 0.2, 0.2)[0]
    slow = two_steps("rmsprop", 0.2, 0.2, decay=0.99)[0]
    # with decay 0.99, S = 0.01 g^2 so the first step is sqrt(10) times bigger
    assert (0.5 - slow) / (0.5 - default) == pytest.approx(math.sqrt(10), rel=1e-6)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_untrained_arrays_stay_bit_identical(name):
    rng = np.random.default_rng(3)
    p0 = init_params(rng, 4, 5, 3, vocab_size=6)
    p0 = p0.replace(h0=rng.standard_normal(5), b_y=rng.standard_normal(3))
    opt = make_optimizer(name, 0.05)
    trainable = ("W_xh", "W_hh", "b_h", "E")
    p = p0
    for _ in range(3):
        grads = {n: rng.standard_normal(a.shape) for n, a in p.as_dict().items()}
        p = opt.step(p, grads, trainable)
    for n in ("W_hy", "b_y", "h0"):
        assert np.array_equal(getattr(p, n), getattr(p0, n))
    for n in trainable:
        assert not np.array_equal(getattr(p, n), getattr(p0, n))


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_step_returns_new_params_and_mutates_nothing(name):
    p0 = scalar_params()
    grads = grads_of(0.3)
    opt = make_optimizer(name, 0.1)
    p1 = opt.step(p0, grads, ("W_hh", "b_h"))
    assert p1 is not p0
    assert p0.equals(scalar_params())  # the input Params are untouched
    assert all(np.array_equal(g, grads_of(0.3)[n]) for n, g in grads.items())
    assert not p1.W_hh.flags.writeable  # the result is immutable too


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_minimises_a_bowl(name):
    # L = sum w^2, gradient 2w: every rule should walk towards 0
    p = scalar_params(2.0)
    opt = make_optimizer(name, 0.2)
    start = float(np.abs(p.W_hh).sum())
    for _ in range(200):
        p = opt.step(p, {"W_hh": 2 * p.W_hh}, ("W_hh",))
    assert abs(float(p.W_hh[0, 0])) < 0.1 * start


def test_state_is_kept_per_optimizer_and_reset_forgets_it():
    opt = make_optimizer("adam", 0.1)
    p = opt.step(scalar_params(), grads_of(0.2), ("W_hh",))
    assert opt.t == 1 and set(opt.state["W_hh"]) == {"m", "v"}
    opt.reset()
    assert opt.t == 0 and opt.state == {}
    again = opt.step(scalar_params(), grads_of(0.2), ("W_hh",))
    assert again.equals(p)  # after reset, the very same first step


@pytest.mark.parametrize("name", ["adamw", "", "SGD", None])
def test_unknown_optimizer_names_the_choices(name):
    with pytest.raises(ValueError, match="unknown optimizer") as err:
        make_optimizer(name, 0.1)
    assert "adagrad" in str(err.value) and "rmsprop" in str(err.value)


@pytest.mark.parametrize("rate", [0, -0.1, float("nan"), float("inf"), "0.1", True, None])
def test_bad_learning_rates_are_refused(rate):
    with pytest.raises(ValueError, match="learning rate"):
        make_optimizer("sgd", rate)


@pytest.mark.parametrize(
    ("name", "hyper", "message"),
    [
        ("sgd", {"momentum": 0.9}, "has no setting 'momentum'"),
        ("adam", {"beta1": 1.0}, "adam beta1 must be a number from 0"),
        ("rmsprop", {"decay": -0.1}, "rmsprop decay"),
        ("adagrad", {"eps": 0}, "adagrad eps must be a small positive number"),
    ],
)
def test_bad_hyperparameters_are_refused(name, hyper, message):
    with pytest.raises(ValueError, match=message):
        make_optimizer(name, 0.1, **hyper)


def test_step_errors_name_the_parameter():
    opt = make_optimizer("sgd", 0.1)
    p = scalar_params()
    with pytest.raises(ValueError, match="cannot train 'E'"):
        opt.step(p, grads_of(0.1), ("E",))
    with pytest.raises(ValueError, match="no gradient was given for .*'b_h'"):
        opt.step(p, {"W_hh": np.ones((1, 1))}, ("W_hh", "b_h"))
    with pytest.raises(ValueError, match="gradient of W_hh has shape"):
        opt.step(p, {"W_hh": np.ones(3)}, ("W_hh",))


def test_overflow_gives_inf_weights_without_a_warning():
    # the trainer reports blow-ups; the optimizer itself must stay quiet
    opt = make_optimizer("sgd", 1e308)
    p = opt.step(scalar_params(), grads_of(10.0), ("W_hh",))
    assert np.isinf(p.W_hh).all()
