"""The backward worked step: one timestep of backpropagation through time, with numbers.

For timestep t the tutorials derive, from the output back to the weights,

    (1) dL/do_t = y_t − target                 (softmax + CE, sigmoid + BCE)
    (2) dL/dh_t = W_hyᵀ dL/do_t                (local: this step's output)
                + W_hhᵀ dL/dz_{t+1}            (carried back from step t + 1)
    (3) diag(f'(z_t)), e.g. 1 − h_t² for tanh
    (4) dL/dz_t = f'(z_t) ⊙ dL/dh_t
    (5) this step's share of the weight gradients:
        dL/dz_t x_tᵀ → dW_xh,  dL/dz_t h_{t−1}ᵀ → dW_hh,  dL/do_t h_tᵀ → dW_hy,
        dL/dz_t → db_h,  dL/do_t → db_y

and, because the weights are shared, each full gradient is the sum of (5)
over t. ``worked_backward`` writes these steps with the trace's arrays
substituted (``Worked``, the forward step's result type, so the panel, the
copy and the tests treat both passes alike). Results are the engine's:
dlogits, dh_local, dh_carried, dh, fprime, dz. The products W_hyᵀ·dL/do_t and
W_hhᵀ·dL/dz_{t+1} and the outer products of (5) are display arithmetic; the
tests check that they reproduce dh_local, dh_carried and, summed over t,
trace.grads to 1e-12. With truncated BPTT the carried part is not one
product any more (each loss stops after k steps), so only the engine's value
is shown, with a note saying why.

Numbers use 6 significant digits for small networks (gradients are long
decimals; 6 keep a 2×3 outer product readable) and 5 for larger ones, whose
steps write one hidden unit's row instead of full matrices.
"""

from __future__ import annotations

import numpy as np

from .engine.trace import Trace
from .mathfmt import (
    DEFAULT_MAX_CHARS,
    FULL_H,
    FULL_O,
    MAX_LISTED,
    NOTATIONS,
    Ctx,
    S,
    Span,
    Worked,
    check_step,
    encoding,
    fits,
    focus_output,
    heading,
    op,
    output_labels,
    product,
    row_width,
    sum_terms,
    sym,
    token,
    vec,
)
from .mathtext import LOSS_NAMES

UNIT_HINT = "Choose another unit to see its row."
CANONICAL = {("softmax", "ce"), ("sigmoid", "bce")}  # dL/do = y − target


# -- symbols ------------------------------------------------------------------
def _d(c: Ctx, base: str, t, index: str = "") -> Span:
    """∂L/∂h_t (or ∂L/∂a^<t>), optionally indexed."""
    s = c.at(base, t, index)
    return Span("∂L/∂" + s.text, "∂L/∂" + (s.html or s.text))


def _dw(name: str) -> Span:
    """∂L/∂W_hh with the subscript."""
    s = sym(name)
    return Span("∂L/∂" + s.text, "∂L/∂" + (s.html or s.text))


def _tr(name: str) -> Span:
    """W_hhᵀ."""
    s = sym(name)
    return Span(s.text + "ᵀ", (s.html or s.text) + "ᵀ")


# -- the step -------------------------------------------------------------------
def worked_backward(
    trace: Trace,
    t: int,
    unit: int | None = None,
    notation: str = "xh",
    *,
    output_names=None,
    target_tokens=None,
    task: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    unit_hint: str = UNIT_HINT,
) -> Worked:
    """The backward pass at timestep ``t`` (0-based, shown as t + 1) of ``trace``."""
    u = check_step(trace, t, unit, notation)
    p, T = trace.params, trace.length
    H, O = p.hidden_size, p.output_size
    max_chars = max(int(max_chars), 20)
    digits = 6 if H <= FULL_H else 5
    # "Wᵀ · v" cannot wrap: the matrices and every vector they meet must fit side by side
    full = H <= FULL_H and fits(p.W_hh.T, digits, max_chars, times=trace.dz)
    full_out = full and O <= FULL_O and fits(p.W_hy.T, digits, max_chars, times=trace.dlogits)
    c = Ctx(
        trace, int(t), NOTATIONS[notation], u, digits, max_chars,
        tuple(output_names or (f"y{k + 1}" for k in range(O))),
        tuple(target_tokens or ("",) * T), task, [], {"contrib": {}},
    )  # fmt: skip
    _title(c)
    if not full:
        c.add("note", [S(f"Showing unit {u + 1} of {H}: the matrices are too large to print "
                         f"here. {unit_hint}")])  # fmt: skip
    _output_error(c, full_out)
    _state_gradient(c, full, full_out)
    _slope(c, full)
    _pre_activation(c, full)
    _contributions(c, full, full_out)
    return Worked(c.t, notation, full, full_out, u, tuple(c.items), c.terms, _exact(c),
                  phase="backward", digits=digits)  # fmt: skip


def from_analysis(analysis, cursor: int, unit=None, notation="xh", **kw) -> Worked:
    """``worked_backward`` with the labels an ``Analysis`` (built + trace) knows."""
    built = analysis.built
    return worked_backward(
        analysis.trace, cursor, unit, notation, output_names=built.output_names,
        target_tokens=built.target_tokens, task=built.spec.task, **kw,
    )  # fmt: skip


def _truncated(trace: Trace) -> int | None:
    """k when truncation changes anything (k < T), else None (full BPTT)."""
    k = trace.config.truncation
    return k if k is not None and k < trace.length else None


def _title(c: Ctx) -> None:
    tr, n = c.trace, c.n
    c.add("title", [S(f"Backward pass, timestep t = {c.t} of {tr.length}: input “{token(c)}”")])
    c.add("text", [S(f"The gradient flows from t = {tr.length} back to t = 1; at each step:")])
    if tr.problem:
        c.add("note", [S(f"⚠ {tr.problem}")])
    c.add(
        "text",
        [_d(c, n.h, "t"), S(" = "), _tr(n.W_y), S("·"), _d(c, "o", "t"), S(" + "), _tr(n.W_h),
         S("·"), _d(c, "z", "t+1")],
        [_d(c, "z", "t"), S(" = f′("), c.at("z", "t"), S(") ⊙ "), _d(c, n.h, "t")],
    )  # fmt: skip
    k = _truncated(tr)
    if k is not None:
        note = (f"Truncated BPTT, k = {k}: each loss sends its gradient back at most {k} steps, "
                "so earlier steps get less than full BPTT.")  # fmt: skip
        c.add("note", [S(note)])


# -- (1) the error at the output --------------------------------------------------
def _output_error(c: Ctx, full_out: bool) -> None:
    tr, n, cfg = c.trace, c.n, c.trace.config
    g = tr.dlogits[c.i]  # (O,)
    c.terms["dlogits"] = g
    do = _d(c, "o", c.t)
    pair = (cfg.head, cfg.loss)
    rule = ([c.at(n.y, c.t), S(" − target")] if pair in CANONICAL
            else [S(f"through the {cfg.head} head's slope")])  # fmt: skip
    heading(c, 1, do, S(f" — the error at the output ({cfg.head} with {LOSS_NAMES[cfg.loss]}: "),
            *rule, S(")"))  # fmt: skip
    if not tr.sample.scored[c.i]:
        c.add("text", [c.at("L", c.t), S(" is not scored, so "), do,
                       S(" = 0: no gradient enters at this step's output.")])  # fmt: skip
        return
    scored = int(tr.sample.scored.sum())
    scale = 1.0 / scored if cfg.reduction == "mean" else 1.0
    y, tgt = tr.ys[c.i], tr.sample.targets[c.i]  # (O,), (O,)
    with np.errstate(all="ignore"):
        simple = pair in CANONICAL and np.allclose(scale * (y - tgt), g, rtol=0, atol=1e-12)
    if full_out and simple:
        mean = [op(f"(1/{scored})·(")] if scale != 1.0 else []
        close = op(") = ") if scale != 1.0 else op(" = ")
        c.block(*mean, c.mat(y), op(" − "), c.mat(tgt), close, c.mat(g, labels=output_labels(c)))
    elif full_out:
        c.block(op(f"{do.text} = "), c.mat(g, labels=output_labels(c)))
    else:  # every output when there are few, else the focus output and the largest
        k, why = focus_output(c)
        few = len(g) <= MAX_LISTED
        order = range(len(g)) if few else [int(j) for j in np.argsort(-np.abs(g))[:4] if j != k]
        listed = [] if few else [S(f"{why} “{c.names[k]}” "), c.num(g[k]), S(", ")]
        for m, j in enumerate(order):
            listed += ([S(", ")] if m else []) + [S(f"“{c.names[j]}” "), c.num(g[j])]
        more = [] if few else [S(f"  (the largest of {len(g)} outputs)")]
        c.add("text", [do, S(": ")] + listed + more)


# -- (2) what reaches h_t ------------------------------------------------------------
def _state_gradient(c: Ctx, full: bool, full_out: bool) -> None:
    tr, n, p, i = c.trace, c.n, c.trace.params, c.i
    dh = _d(c, n.h, c.t)
    local, carried, total = tr.dh_local[i], tr.dh_carried[i], tr.dh[i]  # (H,) each
    last = i == tr.length - 1
    nxt = None if last else tr.dz[i + 1]  # (H,) dL/dz_{t+1}
    c.terms.update(dh_local=local, dh_carried=carried, dh=total,
                   local_product=product(p.W_hy.T, tr.dlogits[i]),
                   carried_product=None if last else product(p.W_hh.T, nxt))  # fmt: skip
    heading(c, 2, dh, S(" — what reaches the hidden state: from its output and from the future"))
    intro = [S("from "), c.at(n.y, c.t), S(" (local): "), _tr(n.W_y), S("·"), _d(c, "o", c.t)]
    if full_out:
        c.add("text", intro)
        c.block(c.mat(p.W_hy.T), op(" · "), c.mat(tr.dlogits[i]), op(" = "), c.mat(local))
    else:
        each = S(f"; unit {c.u + 1}: Σ_k ", f"; unit {c.u + 1}: Σ<sub>k</sub> ")
        c.add("text", intro + [each, sym(n.W_y),
                               S(f"[k,{c.u + 1}]·"), _d(c, "o", c.t, "[k]")])  # fmt: skip
        c.add("sum", [S("= ")] + sum_terms(c, p.W_hy[:, c.u], tr.dlogits[i], False)
              + [S(" = "), c.num(local[c.u])])  # fmt: skip
    _carried(c, full, nxt)
    c.add("text", [S("their sum, "), dh, S(":")])
    if full:
        c.block(c.mat(local), op(" + "), c.mat(carried), op(" = "), c.mat(total))
    else:
        c.add("sum", [_d(c, n.h, c.t, f"[{c.u + 1}]"), S(" = "), c.num(local[c.u]), S(" + "),
                      c.num(carried[c.u], paren=True), S(" = "), c.num(total[c.u])])  # fmt: skip
    c.add("text", [S("‖"), dh, S("‖ = "), c.num(tr.dh_norms[i])])


def _carried(c: Ctx, full: bool, nxt) -> None:
    tr, n, p, i = c.trace, c.n, c.trace.params, c.i
    src = [S("from "), c.at(n.h, c.t + 1), S(" (carried back): "), _tr(n.W_h), S("·"),
           _d(c, "z", c.t + 1)]  # fmt: skip
    carried, k = tr.dh_carried[i], _truncated(tr)
    if nxt is None:
        c.add("text", [S("from the future: nothing, "), c.at(n.h, c.t),
                       S(" is the last state (the carried part is 0)")])  # fmt: skip
    elif k is not None:
        c.add("text", src[:3] + [S(f" — with TBPTT({k}) only the losses less than {k} steps "
                                   "later still reach here; the engine's value:")])  # fmt: skip
        if full:
            c.block(c.mat(carried))
        else:
            c.add("sum", [S("= "), c.num(carried[c.u])])
    elif full:
        c.add("text", src)
        c.block(c.mat(p.W_hh.T), op(" · "), c.mat(nxt), op(" = "), c.mat(carried))
    else:
        c.add("text", src)
        c.add("sum", [S("= ")] + sum_terms(c, p.W_hh[:, c.u], nxt, False)
              + [S(" = "), c.num(carried[c.u])])  # fmt: skip


# -- (3), (4) through the activation ---------------------------------------------------
def _slope(c: Ctx, full: bool) -> None:
    tr, n, i = c.trace, c.n, c.i
    act, fp, h = tr.config.activation, tr.fprime[i], tr.hs[i]  # (H,), (H,)
    c.terms["fprime"] = fp
    heading(c, 3, S("diag(f′("), c.at("z", c.t), S(")) — how much the activation lets through"))
    hs, zs = c.at(n.h, c.t), c.at("z", c.t)  # f'(z) written with h = f(z) and z
    rule = {
        "tanh": [S("1 − "), hs, S("² (tanh)")],
        "sigmoid": [hs, S("·(1 − "), hs, S(") (sigmoid)")],
        "relu": [S("1 where "), zs, S(" > 0, else 0 (ReLU)")],
        "identity": [S("1 everywhere (a linear cell)")],
    }[act]
    c.add("text", [S("f′("), zs, S(") = ")] + rule)
    if not full:  # one unit: a line of numbers
        u, U = c.u, f"[{c.u + 1}]"
        value = {
            "tanh": [S("1 − "), c.num(h[u], chip=True, paren=True), S("²")],
            "sigmoid": [c.num(h[u], chip=True), S("·(1 − "), c.num(h[u]), S(")")],
            "relu": [S("(z = "), c.num(tr.zs[i, u]), S(")")],
            "identity": [],
        }[act]
        eq = [S(" = ")] if value else []
        c.add("sum", [S("f′("), c.at("z", c.t, U), S(")"), *eq, *value, S(" = "), c.num(fp[u])])
    elif act == "tanh":
        c.block(op("1 − ("), c.mat(h, chip=True), op(")² = "), c.mat(fp))
    elif act == "sigmoid":
        c.block(c.mat(h, chip=True), op(" · (1 − "), c.mat(h), op(") = "), c.mat(fp))
    elif act == "relu":
        c.block(op("z = "), c.mat(tr.zs[i]), op(" → f′ = "), c.mat(fp))


def _pre_activation(c: Ctx, full: bool) -> None:
    tr, n, i = c.trace, c.n, c.i
    dz = tr.dz[i]  # (H,)
    c.terms["dz"] = dz
    heading(c, 4, _d(c, "z", c.t), S(" = f′("), c.at("z", c.t), S(") ⊙ "), _d(c, n.h, c.t),
            S(" — the gradient at the pre-activation"))  # fmt: skip
    if full:
        c.block(c.mat(tr.fprime[i]), op(" ⊙ "), c.mat(tr.dh[i]), op(" = "), c.mat(dz))
    else:
        c.add("sum", [_d(c, "z", c.t, f"[{c.u + 1}]"), S(" = "), c.num(tr.fprime[i, c.u]),
                      S(" · "), c.num(tr.dh[i, c.u], paren=True), S(" = "),
                      c.num(dz[c.u])])  # fmt: skip
    back = [S("it goes back to "), c.at(n.h, c.t - 1), S(" as "), _tr(n.W_h), S("·"),
            _d(c, "z", c.t)]  # fmt: skip
    if c.i == 0:
        g = tr.grads["h0"]
        index = "" if full else f"[{c.u + 1}]"
        c.add("text", back + [S(" = "), _d(c, n.h, 0, index), S(", the initial state's gradient: ")]
              + (vec(g, c.digits) if full else [c.num(g[c.u])]))  # fmt: skip
    elif _truncated(tr) is None:
        g = tr.dh_carried[i - 1]
        index = "" if full else f"[{c.u + 1}]"
        c.add("text", back + [S(", the carried part of "), _d(c, n.h, c.t - 1, index), S(": ")]
              + (vec(g, c.digits) if full else [c.num(g[c.u])]))  # fmt: skip


# -- (5) this step's share of the weight gradients --------------------------------------
def _contributions(c: Ctx, full: bool, full_out: bool) -> None:
    tr, n, p, i = c.trace, c.n, c.trace.params, c.i
    dz, g = tr.dz[i], tr.dlogits[i]  # (H,), (O,)
    x, h = tr.xs[i], tr.hs[i]  # (D,), (H,)
    h_prev = p.h0 if i == 0 else tr.hs[i - 1]  # (H,)
    with np.errstate(all="ignore"):
        share = {"W_xh": np.outer(dz, x), "W_hh": np.outer(dz, h_prev),
                 "W_hy": np.outer(g, h), "b_h": dz, "b_y": g}  # fmt: skip
    c.terms["contrib"] = share
    heading(c, 5, S(f"This step's share of the weight gradients (t = {c.t})"))
    enc = encoding(tr)
    if enc == "onehot":
        c.add("text", [_dw(n.W_x), S(" += "), _d(c, "z", c.t), S("·"), c.at("x", c.t),
                       S(f"ᵀ: x is one-hot (id {int(tr.sample.ids[i])}), so only that column "
                         "changes, by "), _d(c, "z", c.t)])  # fmt: skip
    else:
        _outer(c, n.W_x, _d(c, "z", c.t), c.at("x", c.t), dz, x, share["W_xh"], full)
    _outer(c, n.W_h, _d(c, "z", c.t), c.at(n.h, c.t - 1), dz, h_prev, share["W_hh"], full)
    if tr.sample.scored[i]:
        _outer(c, n.W_y, _d(c, "o", c.t), c.at(n.h, c.t), g, h, share["W_hy"], full_out, True)
    else:
        c.add("text", [_dw(n.W_y), S(" += 0 and "), _dw(n.b_y), S(" += 0 (not scored)")])
    c.add("text", [_dw(n.b_h), S(" += "), _d(c, "z", c.t), S(" = ")] + _vector(c, dz, full))
    if tr.sample.scored[i]:
        c.add("text", [_dw(n.b_y), S(" += "), _d(c, "o", c.t), S(" = ")] + _vector(c, g, full_out))
    norms = tr.grad_norms
    c.add("note", [S(f"The weights are shared, so each full gradient is the sum of these shares "
                     f"over t = 1..{tr.length}: ‖"), _dw(n.W_x), S("‖ = "), c.num(norms["W_xh"]),
                   S(", ‖"), _dw(n.W_h), S("‖ = "), c.num(norms["W_hh"]), S(", ‖"), _dw(n.W_y),
                   S("‖ = "), c.num(norms["W_hy"]), S(".")])  # fmt: skip
    if p.E is not None:
        c.add("note", [S(f"With an embedding, row {int(tr.sample.ids[i])} of ∂L/∂E also gets "),
                       _tr(n.W_x), S("·"), _d(c, "z", c.t), S(".")])  # fmt: skip


def _vector(c: Ctx, v, full: bool) -> list[Span]:
    """[a, b, ...]: all of v when full or short, else its first 8 values."""
    if full or len(v) <= 8:
        return vec(v, c.digits)
    return vec(v[:8], c.digits)[:-1] + [S(f", … ({len(v)} values)]")]


def _outer(c: Ctx, W: str, left: Span, right: Span, a, b, M, full: bool, out=False) -> None:
    """dW += a·bᵀ: the whole outer product when it fits, else one row of it."""
    c.add("text", [_dw(W), S(" += "), left, S("·"), right, S("ᵀ")])
    piece = row_width(c.mat(a)[0]) + 3 + row_width(c.mat(b[None, :])[0])  # "a · bᵀ" as one
    # the result may wrap onto its own line, after a 2-space indent and " = "
    if full and piece <= c.max_chars and fits(M, c.digits, c.max_chars - 5):
        c.block(c.mat(a), op(" · "), c.mat(b[None, :]), op(" = "), c.mat(M))
        return
    k = focus_output(c)[0] if out else c.u
    name = f"“{c.names[k]}”" if out else str(k + 1)
    row = [S(f"row {name}: "), c.num(a[k]), S(" · ")] + _vector(c, b, False)
    c.add("sum", row + [S(" = ")] + _vector(c, M[k], False))


def _exact(c: Ctx) -> tuple[tuple[str, np.ndarray], ...]:
    n, t, g = c.n, c.t, c.terms
    d = lambda base, tt: _d(c, base, tt).text  # noqa: E731
    return (
        (d("o", t), g["dlogits"]),
        (d(n.h, t) + " (local)", g["dh_local"]),
        (d(n.h, t) + " (carried)", g["dh_carried"]),
        (d(n.h, t), g["dh"]),
        (f"f′({c.at('z', t).text})", g["fprime"]),
        (d("z", t), g["dz"]),
    )
