"""The "Show the math" text (Qt-free): the worked step shows the engine's numbers,
forward and backward (the backward shares sum over t to the engine's gradients).

Every number the learner reads must be the trace's (formatted), the partial
products W_hh·h_{t-1} and W_xh·x_t must add up (with b_h) to the engine's
z_t, and the notation switch must rename symbols without touching numbers.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pytest

from rnnviz import mathtext_backward, presets
from rnnviz.engine.spec import Spec
from rnnviz.engine.trace import Config
from rnnviz.mathtext import NOTATIONS, fmt, from_analysis, worked_step
from rnnviz.session import analyse

NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


@pytest.fixture(scope="module")
def ai_planet():
    return analyse(presets.get("ai-planet"))


@pytest.fixture(scope="module")
def hello():
    return analyse(presets.get("hello"))


@pytest.fixture(scope="module")
def big():
    """H = 16: too large for full matrices."""
    return analyse(Spec(text="the cat sat on the mat and the dog sat on the log", hidden_size=16))


def shown(text: str) -> str:
    """The worked step as displayed, without the full-precision appendix of the copy."""
    return text.split("Full precision (float64):")[0]


def block_lines(worked) -> list[str]:
    return [line for it in worked.items if it.kind == "block" for line in it.text().splitlines()]


# -- the AI Planet case from the issue --------------------------------------------------------
def test_ai_planet_t1_shows_the_tutorial_numbers_and_the_correct_output(ai_planet):
    text = shown(from_analysis(ai_planet, 0).text())
    for value in ("0.48", "0.76", "0.44624361", "0.64107696", "0.38", "0.56"):
        assert re.search(rf"(?<![\d.]){re.escape(value)}(?![\d])", text), value
    tr = ai_planet.trace
    assert [fmt(v) for v in tr.logits[0]] == ["0.58157181", "0.89903592"]
    for v in (*tr.logits[0], *tr.ys[0]):
        assert fmt(v) in text
    assert abs(tr.ys[0, 0] - 0.641429) < 1e-6 and abs(tr.ys[0, 1] - 0.71075134) < 1e-8
    # the tutorial's slip (it fed [0.206, 0.440] instead of h_1) must not appear
    assert "0.61614087" not in text and "0.66871967" not in text
    assert "0.48000000" not in text  # no trailing-zero noise


def test_ai_planet_t1_embedding_row_and_initial_state_are_named(ai_planet):
    text = from_analysis(ai_planet, 0).text()
    assert "x_1 = E[1], the embedding row of “AI” = [0.1, 0.2, 0.3]" in text
    assert "h_0 is the initial state, all zeros" in text
    assert "sigmoid" in text and "Timestep t = 1 of 9" in text


@pytest.mark.parametrize("name", ["ai-planet", "hello", "harry-potter", "ice-cream", "exploding"])
def test_displayed_partial_products_add_up_to_the_engines_pre_activation(name):
    analysis = analyse(presets.get(name))
    tr = analysis.trace
    for t in range(tr.length):
        w = from_analysis(analysis, t)
        g = w.terms
        np.testing.assert_allclose(
            g["rec"] + g["inp"] + tr.params.b_h, tr.zs[t], rtol=0, atol=1e-12
        )
        assert g["z"] is tr.zs[t] or np.array_equal(g["z"], tr.zs[t])  # shown z is the engine's
        assert np.array_equal(g["h"], tr.hs[t]) and np.array_equal(g["y"], tr.ys[t])
        np.testing.assert_allclose(g["pre_o"] + tr.params.b_y, tr.logits[t], rtol=0, atol=1e-12)


# -- hello: one-hot, full matrices, softmax + cross-entropy ------------------------------------
def test_hello_t2_z_and_h_match_the_trace_to_the_shown_digits(hello):
    tr = hello.trace
    w = from_analysis(hello, 1)
    assert w.full and w.full_output
    lines = block_lines(w)
    z_line = next(i for i, item in enumerate(w.items) if item.text().startswith("④"))
    z_block = w.items[z_line + 1].text()
    h_block = next(it for it in w.items[z_line + 2 :] if it.kind == "block").text()
    for u in range(3):
        for value, block in ((tr.zs[1, u], z_block), (tr.hs[1, u], h_block)):
            s = fmt(value)
            assert s in block
            digits = len(s.replace("-", "").replace(".", "").lstrip("0"))
            assert digits <= 8
            assert abs(float(s) - value) <= 0.5 * 10 ** (math.floor(math.log10(abs(value))) - 7)
    assert any("tanh" in line for line in lines)


def test_hello_one_hot_input_is_a_column_of_w_xh(hello):
    text = from_analysis(hello, 1).text()
    assert "x_2 is one-hot for “e” (id 1)" in text
    assert "column of W_xh for id 1" in text
    tr = hello.trace
    for v in tr.params.W_xh[:, 1]:
        assert fmt(v) in text


def test_hello_cross_entropy_and_total_use_the_engines_losses(hello):
    tr = hello.trace
    text = shown(from_analysis(hello, 1).text())
    k = int(np.argmax(tr.sample.targets[1]))  # "l"
    assert "−log(" + fmt(tr.ys[1, k]) + f") = {fmt(tr.step_losses[1])}" in text
    assert math.isclose(-math.log(tr.ys[1, k]), tr.step_losses[1], rel_tol=1e-12)
    total = " + ".join(fmt(v) for v in tr.step_losses) + f" = {fmt(tr.loss)}"
    assert total in text


def test_blocks_fit_the_requested_width(hello, ai_planet):
    for analysis in (hello, ai_planet):
        for t in range(analysis.length):
            for width in (52, 70):
                w = from_analysis(analysis, t, max_chars=width)
                assert max(len(line.rstrip()) for line in block_lines(w)) <= width


def test_a_narrow_width_falls_back_to_a_units_row(hello):
    assert not from_analysis(hello, 1, max_chars=25).full
    assert from_analysis(hello, 1, max_chars=80).full


# -- notation ---------------------------------------------------------------------------------
@pytest.mark.parametrize("t", [0, 8])
def test_notations_change_names_but_not_numbers(ai_planet, t):
    texts = {n: from_analysis(ai_planet, t, notation=n).text() for n in NOTATIONS}
    numbers = {n: NUMBER.findall(text) for n, text in texts.items()}
    assert numbers["xh"] == numbers["uvw"] == numbers["ax"]
    assert "W_hh" in texts["xh"] and "W_xh" in texts["xh"] and "W_hy" in texts["xh"]
    for other in ("uvw", "ax"):
        assert "W_hh" not in texts[other] and "W_xh" not in texts[other]
    assert "U · x_" in texts["uvw"] and "W · h_" in texts["uvw"] and "V · h_" in texts["uvw"]
    assert "W_aa · a^<" in texts["ax"] and "W_ax" in texts["ax"] and "W_ya" in texts["ax"]
    assert "b_a" in texts["ax"] and f"a^<{t + 1}> = tanh(" in texts["ax"]
    assert f"h_{t + 1}" not in texts["ax"] and f"h_{t + 1} = tanh(" in texts["xh"]


def test_html_uses_subscripts_and_full_precision_tooltips(ai_planet):
    w = from_analysis(ai_planet, 0)
    chips = []
    html = w.html(lambda v: (chips.append(v) or "#abcdef", "#000000"))
    assert "W<sub>hh</sub>" in html and "h<sub>1</sub>" in html and "<pre" in html
    assert 'title="0.4462436102487796"' in html
    assert "background-color:#abcdef" in html
    assert any(abs(v - ai_planet.trace.hs[0, 0]) < 1e-15 for v in chips)
    html_ax = from_analysis(ai_planet, 0, notation="ax").html()
    assert "a<sup>&lt;1&gt;</sup>" in html_ax and "W<sub>aa</sub>" in html_ax


def test_copied_text_carries_full_precision(ai_planet):
    text = from_analysis(ai_planet, 0).text()
    assert "z_1 = [0.48, 0.76]" in text
    h = [float(v) for v in ai_planet.trace.hs[0]]
    assert f"h_1 = [{h[0]!r}, {h[1]!r}]" in text and len(repr(h[0])) > 12
    assert "L_1 (not scored) = 0.0" in text


# -- large networks: one unit's row -----------------------------------------------------------
def test_large_h_shows_one_units_row_only(big):
    tr = big.trace
    w = from_analysis(big, 3)
    text = shown(w.text())
    assert not w.full and not w.full_output and w.unit == 0
    assert "⎡" not in text and "⎣" not in text  # no matrix printed
    assert "row 1 of W_hh · h_3 = Σ_j W_hh[1,j]·h_3[j]" in text
    assert "Showing unit 1 of 16" in text
    rec_line = next(line for line in text.splitlines() if line.startswith("= ") and "·" in line)
    assert rec_line.count("·") == 16  # every product W_hh[1,j]·h_3[j] written out
    assert rec_line.endswith(f"= {fmt(w.terms['rec'][0], 5)}")
    assert "z_4[1] = " in text and text.count(fmt(tr.zs[3, 0], 5)) >= 2
    assert f"= {fmt(tr.hs[3, 0], 5)}" in text


def test_selecting_another_unit_changes_the_row(big):
    tr = big.trace
    a = shown(from_analysis(big, 3, unit=0).text())
    b = shown(from_analysis(big, 3, unit=4).text())
    assert a != b
    assert "row 5 of W_hh" in b and "row 1 of W_hh" not in b
    assert f"h_4[5] = tanh({fmt(tr.zs[3, 4], 5)}) = {fmt(tr.hs[3, 4], 5)}" in b


def test_very_large_h_elides_the_middle_of_a_sum():
    analysis = analyse(Spec(text="a b c a b", hidden_size=64))
    text = shown(from_analysis(analysis, 1, unit=63).text())
    assert "(54 more terms)" in text and "row 64 of W_hh" in text


def test_embedding_row_mode_writes_the_input_sum():
    analysis = analyse(Spec(text="red green blue red", encoding="embedding", embedding_size=5,
                            hidden_size=8))  # fmt: skip
    tr = analysis.trace
    text = shown(from_analysis(analysis, 2, unit=2).text())
    assert "row 3 of W_xh · x_3" in text
    assert f"= {fmt(tr.params.W_xh[2] @ tr.xs[2], 5)}" in text


def test_many_outputs_list_the_largest_and_the_target(big):
    analysis = analyse(Spec(text=" ".join(f"w{i}" for i in range(20)), hidden_size=4))
    w = from_analysis(analysis, 0, max_chars=200)
    text = shown(w.text())
    assert w.full and not w.full_output  # 21 outputs: W_hy is too tall
    assert "(the 5 largest of 21 outputs); the target “w1” " in text
    assert "For output “w1” (the target)" in text


# -- the loss ---------------------------------------------------------------------------------
def test_unscored_steps_say_not_scored(ai_planet):
    for t in range(8):
        assert "not scored — only the last step (t = 9)" in from_analysis(ai_planet, t).text()
    assert "not scored" not in shown(from_analysis(ai_planet, 8).text())
    tagged = analyse(Spec(text="a b c", task="many-to-many", classes=("x", "y"),
                          tags=("x", None, "y"), hidden_size=2))  # fmt: skip
    assert "L_2: not scored — this step has no target" in from_analysis(tagged, 1).text()
    assert (
        "Total loss L = the sum of L_t over the 2 scored steps" in from_analysis(tagged, 1).text()
    )


def test_bce_is_written_with_the_target_first(ai_planet):
    tr = ai_planet.trace
    text = shown(from_analysis(ai_planet, 8).text())
    assert "L_9 = −Σ_k [ y_k·log ŷ_k + (1 − y_k)·log(1 − ŷ_k) ]" in text
    assert "with y = the target and ŷ = y_9, the prediction" in text
    assert "ŷ_k·log ŷ_k" not in text  # the Harry Potter tutorial's slip
    y0, y1 = fmt(tr.ys[8, 0]), fmt(tr.ys[8, 1])
    assert f"−[0·log({y0}) + (1 − 0)·log(1 − {y0})] −[1·log({y1}) + (1 − 1)·log(1 − {y1})]" in text
    assert text.count(f"= {fmt(tr.step_losses[8])}") >= 1
    assert f"L = L_9 = {fmt(tr.loss)}" in text


def test_squared_error_and_mean_reduction():
    spec = Spec(text="1, 2\n2, 3\n3, 5\n5, 8", encoding="numeric", hidden_size=3,
                config=Config(head="identity", loss="mse", reduction="mean"))  # fmt: skip
    analysis = analyse(spec)
    tr = analysis.trace
    text = shown(from_analysis(analysis, 1).text())
    assert "L_2 = Σ_k (ŷ_k − y_k)²" in text
    assert f"({fmt(tr.ys[1, 0])} − {fmt(tr.sample.targets[1, 0])})²" in text
    assert "the series values at this step" in text
    assert "(1/3)·(" in text and f"= {fmt(tr.loss)}" in text
    assert "identity head" in text


def test_no_scored_step_says_there_is_no_loss():
    analysis = analyse(Spec(text="a b c", task="many-to-one", classes=("x", "y"), hidden_size=2))
    assert "no step is scored" in from_analysis(analysis, 2).text()


# -- robustness -------------------------------------------------------------------------------
@pytest.mark.parametrize("H", [2, 8])
def test_an_overflowed_trace_is_reported_not_raised(H):
    spec = Spec(text=" ".join("abcdefghijklmn") * 2, hidden_size=H, seed=1, sigma_max=1e80,
                config=Config(activation="identity"))  # fmt: skip
    analysis = analyse(spec)
    assert not analysis.trace.finite
    for t in range(analysis.length):
        worked = from_analysis(analysis, t)
        worked.html(lambda v: ("#000000", "#ffffff"))
    text = worked.text()
    assert "not a finite number" in text and ("inf" in text or "nan" in text)


def test_bad_arguments_raise_clear_value_errors(ai_planet):
    tr = ai_planet.trace
    with pytest.raises(ValueError, match="outside 0..8"):
        worked_step(tr, 9)
    with pytest.raises(ValueError, match="outside"):
        worked_step(tr, -1)
    with pytest.raises(ValueError, match="no unit 3: the hidden layer has units 1..2"):
        worked_step(tr, 0, unit=2)
    with pytest.raises(ValueError, match="notation must be one of xh, uvw, ax"):
        worked_step(tr, 0, notation="abc")


def test_fmt_drops_trailing_zero_noise():
    assert fmt(0.1 * 0.5 + 0.2 * 0.6 + 0.3 * 0.7 + 0.1) == "0.48"
    assert fmt(math.tanh(0.48)) == "0.44624361"
    assert fmt(-0.0) == "0" and fmt(2.0) == "2"
    assert fmt(float("nan")) == "nan" and fmt(float("-inf")) == "-inf"
    assert fmt(0.123456789, 5) == "0.12346"


def test_mathtext_imports_without_qt():
    code = (
        "import sys, rnnviz.mathtext, rnnviz.mathtext_backward\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]\n"
        "assert not bad and 'rnnviz.ui' not in sys.modules, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the backward pass (issue 4) ----------------------------------------------------------------
PARAMS = ("W_xh", "W_hh", "W_hy", "b_h", "b_y")


def backward(analysis, t, **kw):
    return mathtext_backward.from_analysis(analysis, t, **kw)


@pytest.mark.parametrize("name", ["ai-planet", "hello", "harry-potter", "vanishing", "exploding"])
def test_backward_shows_the_engines_gradients(name):
    analysis = analyse(presets.get(name))
    tr = analysis.trace
    for t in (0, tr.length // 2, tr.length - 1):
        w = backward(analysis, t)
        assert w.phase == "backward" and w.digits in (5, 6)
        text, g = shown(w.text()), w.terms
        assert np.array_equal(g["dlogits"], tr.dlogits[t]) and np.array_equal(g["dh"], tr.dh[t])
        assert np.array_equal(g["dz"], tr.dz[t]) and np.array_equal(g["fprime"], tr.fprime[t])
        u = w.unit
        values = (tr.dh[t], tr.dz[t]) if w.full else (tr.dh[t, u : u + 1], tr.dz[t, u : u + 1])
        for v in np.concatenate(values):
            assert fmt(v, w.digits) in text, (t, v)
        if tr.sample.scored[t]:
            assert all(fmt(v, w.digits) in text for v in tr.dlogits[t][:12])
        else:
            assert f"L_{t + 1} is not scored, so ∂L/∂o_{t + 1} = 0" in text
        assert f"‖∂L/∂h_{t + 1}‖ = {fmt(tr.dh_norms[t], w.digits)}" in text
        # the displayed products are the engine's local and carried parts
        np.testing.assert_allclose(g["local_product"], tr.dh_local[t], rtol=0, atol=1e-12)
        if t < tr.length - 1:
            np.testing.assert_allclose(
                g["carried_product"], tr.dh_carried[t], rtol=1e-12, atol=1e-12
            )
        np.testing.assert_allclose(tr.dh_local[t] + tr.dh_carried[t], tr.dh[t], rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "spec",
    [
        presets.get("ai-planet"),
        presets.get("hello"),
        presets.get("ice-cream"),
        presets.get("hello").with_(config=Config(truncation=2)),
        Spec(
            text="1, 2\n2, 3\n3, 5\n5, 8",
            encoding="numeric",
            hidden_size=3,
            config=Config(head="identity", loss="mse", reduction="mean"),
        ),  # fmt: skip
    ],
    ids=["ai-planet", "hello", "ice-cream", "hello-tbptt2", "mse-mean"],
)
def test_the_shown_contributions_sum_to_the_engines_gradient(spec):
    analysis = analyse(spec)
    tr = analysis.trace
    shares = [backward(analysis, t).terms["contrib"] for t in range(tr.length)]
    for name in PARAMS:
        total = sum(s[name] for s in shares)
        np.testing.assert_allclose(total, tr.grads[name], rtol=0, atol=1e-12)
    w = backward(analysis, 0)
    text = shown(w.text())
    assert f"sum of these shares over t = 1..{tr.length}" in text
    assert f"‖∂L/∂W_hh‖ = {fmt(tr.grad_norms['W_hh'], w.digits)}" in text


def test_hello_backward_writes_the_outer_products_in_full(hello):
    tr = hello.trace
    w = backward(hello, 1)
    text = shown(w.text())
    assert w.full and w.full_output
    assert "① ∂L/∂o_2 — the error at the output (softmax with cross-entropy: y_2 − target)" in text
    assert "f′(z_2) = 1 − h_2² (tanh)" in text
    assert "∂L/∂W_xh += ∂L/∂z_2·x_2ᵀ: x is one-hot (id 1), so only that column changes" in text
    M = w.terms["contrib"]["W_hh"]
    np.testing.assert_array_equal(M, np.outer(tr.dz[1], tr.hs[0]))
    for v in M.ravel():
        assert fmt(v, 6) in text
    # the dlogits block: y_2 − target = engine's dL/do_2, row by row
    line = next(ln for ln in text.splitlines() if ln.rstrip().endswith(" l"))
    assert fmt(tr.dlogits[1, 2], 6) in line and "1" in line
    assert "it goes back to h_1 as W_hhᵀ·∂L/∂z_2, the carried part of ∂L/∂h_1" in text


def test_backward_for_a_large_network_writes_one_units_row(big):
    tr = big.trace
    a, b = shown(backward(big, 3, unit=0).text()), shown(backward(big, 3, unit=4).text())
    assert "Showing unit 1 of 16" in a and "⎡" not in a
    assert f"∂L/∂h_4[5] = {fmt(tr.dh_local[3, 4], 5)} + " in b
    assert f"∂L/∂z_4[5] = {fmt(tr.fprime[3, 4], 5)} · " in b and fmt(tr.dz[3, 4], 5) in b
    assert "row 5:" in b and "row 1:" in a


def test_truncation_is_explained_and_not_written_as_one_product():
    analysis = analyse(presets.get("hello").with_(config=Config(truncation=2)))
    tr = analysis.trace
    text = shown(backward(analysis, 0).text())
    assert "Truncated BPTT, k = 2" in text
    assert "with TBPTT(2) only the losses less than 2 steps later still reach here" in text
    for v in tr.dh_carried[0]:
        assert fmt(v, 6) in text


def test_mean_reduction_divides_the_output_error():
    spec = presets.get("exploding")  # mean over the scored steps, 8 hidden units
    analysis = analyse(spec.with_(hidden_size=3, params=None))
    tr = analysis.trace
    w = backward(analysis, 1, max_chars=80)
    n = int(tr.sample.scored.sum())
    assert f"(1/{n})·(" in w.text()
    np.testing.assert_allclose(
        (tr.ys[1] - tr.sample.targets[1]) / n, tr.dlogits[1], rtol=0, atol=1e-15
    )


@pytest.mark.parametrize("t", [0, 8])
def test_backward_notations_change_names_but_not_numbers(ai_planet, t):
    texts = {n: backward(ai_planet, t, notation=n).text() for n in NOTATIONS}
    numbers = {n: NUMBER.findall(text) for n, text in texts.items()}
    assert numbers["xh"] == numbers["uvw"] == numbers["ax"]
    assert "W_hhᵀ·∂L/∂z_" in texts["xh"] and "∂L/∂W_hy +=" in texts["xh"]
    assert "Wᵀ·∂L/∂z_" in texts["uvw"] and "∂L/∂V +=" in texts["uvw"] and "W_hh" not in texts["uvw"]
    assert (
        f"∂L/∂a^<{t + 1}>" in texts["ax"] and "W_aaᵀ" in texts["ax"] and "W_hh" not in texts["ax"]
    )
    html = backward(ai_planet, t, notation="ax").html()
    assert "∂L/∂a<sup>&lt;" in html and "W<sub>aa</sub>ᵀ" in html


def test_backward_bad_arguments_raise_clear_value_errors(ai_planet):
    with pytest.raises(ValueError, match="outside 0..8"):
        mathtext_backward.worked_backward(ai_planet.trace, 9)
    with pytest.raises(ValueError, match="no unit 3"):
        mathtext_backward.worked_backward(ai_planet.trace, 0, unit=2)


def test_an_overflowed_backward_pass_is_reported_not_raised():
    spec = Spec(text=" ".join("abcdefghijklmn") * 2, hidden_size=3, seed=1, sigma_max=1e80,
                config=Config(activation="identity"))  # fmt: skip
    analysis = analyse(spec)
    for t in range(analysis.length):
        w = backward(analysis, t)
        w.html(lambda v: ("#000000", "#ffffff"))
    assert "not a finite number" in w.text()


@pytest.mark.parametrize("name", ["hello", "ai-planet", "harry-potter", "exploding"])
def test_backward_blocks_fit_the_requested_width(name):
    analysis = analyse(presets.get(name))
    for t in range(0, analysis.length, 3):
        for width in (40, 52, 70):
            w = backward(analysis, t, max_chars=width)
            assert max((len(ln.rstrip()) for ln in block_lines(w)), default=0) <= width, (t, width)
