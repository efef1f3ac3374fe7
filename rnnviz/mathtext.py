"""The "Show the math" text: one timestep's forward equations with the real numbers.

CNN Explainer's idea for RNNs. For timestep t the tutorials write out, by hand,

    (1) W_hh h_{t-1}           (2) W_xh x_t           (3) + b_h
    (4) z_t = (1) + (2) + (3)  (5) h_t = f(z_t)
    (6) o_t = W_hy h_t + b_y   (7) y_t = g(o_t)       (8) the loss L_t, and L

``worked_step`` returns the same steps as structured text (``Worked``) that
renders to plain text (the "Copy" button, the CLI) or to HTML (the Qt panel),
so the logic is testable without Qt (spans, blocks and notations live in
``rnnviz.mathfmt``, shared with the backward step in ``mathtext_backward``).
The two partial products of (1) and (2) are display arithmetic (the engine
only stores their sum); every result the text shows, z_t, h_t, o_t, y_t, L_t
and L, is the trace's own value, so the worked step cannot drift from the
engine. The panel asserts nothing; the tests check that (1) + (2) + (3)
reproduces ``trace.zs[t]`` to 1e-12.

Small networks (H <= 4, D <= 6, O <= 6 and the matrices fit the width) get
full matrices, printed as aligned monospaced blocks with bracket glyphs;
larger ones get one hidden unit's row written out as a sum of products.
Numbers use 8 significant digits for small networks (as the tutorials print
them) and 5 otherwise, without trailing zeros (0.48, not 0.48000000); tool
tips and the copied text carry full float64 precision.

The names follow one of three notations learners meet: W_xh/W_hh/W_hy
("hello", "AI Planet"), U/W/V (Madhu, "Week 4"), W_ax/W_aa/W_ya with a^<t>
(Andrew Ng's course, the "Harry Potter" tutorial). Numbers never change.
"""

from __future__ import annotations

import numpy as np

from .engine.trace import Trace

# Formatting lives in ``mathfmt``; the old names stay importable from here.
from .mathfmt import (  # noqa: F401 (re-exported)
    ACT_NAMES,
    CIRCLED,
    DEFAULT_MAX_CHARS,
    FULL_D,
    FULL_H,
    FULL_O,
    HEAD_NAMES,
    MAX_LISTED,
    MAX_TERMS,
    MONO,
    NOTATIONS,
    SUM_J,
    Item,
    Notation,
    S,
    Span,
    Worked,
    check_step,
    fmt,
)
from .mathfmt import Ctx as _Ctx
from .mathfmt import at as _at
from .mathfmt import encoding as _encoding
from .mathfmt import fits as _fits
from .mathfmt import focus_output as _focus_output
from .mathfmt import heading as _head
from .mathfmt import op as _op
from .mathfmt import output_labels as _labels
from .mathfmt import product as _product
from .mathfmt import sub_html as _sub_html
from .mathfmt import sum_terms as _sum_terms
from .mathfmt import sym as _name
from .mathfmt import token as _token
from .mathfmt import vec as _vec

UNIT_HINT = "Choose another unit to see its row."


# -- building the steps ----------------------------------------------------------


def worked_step(
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
    """Work out timestep ``t`` (0-based, shown as t + 1) of ``trace``.

    ``unit`` (0-based, default the first) is the hidden unit whose row is
    written out when the matrices are too large to print in full.
    """
    T, p = trace.length, trace.params
    H, D, O = p.hidden_size, p.input_size, p.output_size
    u = check_step(trace, t, unit, notation)
    max_chars = max(int(max_chars), 20)
    digits = 8 if H <= FULL_H else 5  # the tutorials' 8 digits; fewer when rows get long
    enc = _encoding(trace)
    fits = lambda M, v: _fits(M, digits, max_chars, times=v)  # noqa: E731
    states = np.concatenate([p.h0, trace.hs.ravel()])  # every h that meets a matrix
    full = (H <= FULL_H and fits(p.W_hh, states)
            and (enc == "onehot" or (D <= FULL_D and fits(p.W_xh, trace.xs))))  # fmt: skip
    full_out = H <= FULL_H and O <= FULL_O and fits(p.W_hy, trace.hs)
    c = _Ctx(
        trace, int(t), NOTATIONS[notation], u, digits, max_chars,
        tuple(output_names or (f"y{k + 1}" for k in range(O))),
        tuple(target_tokens or ("",) * T), task, [], {},
    )  # fmt: skip
    _title(c)
    (_hidden_full if full else _hidden_row)(c, enc)
    if not full:
        c.add("note", [S(f"Showing unit {u + 1} of {H}: the matrices are too large to print here. "
                         f"{unit_hint}")])  # fmt: skip
    (_output_full if full_out else _output_row)(c)
    _loss(c)
    return Worked(
        c.t, notation, full, full_out, u, tuple(c.items), c.terms, _exact(c), digits=digits
    )


def from_analysis(analysis, cursor: int, unit=None, notation="xh", **kw) -> Worked:
    """``worked_step`` with the labels an ``Analysis`` (built + trace) knows."""
    built = analysis.built
    return worked_step(
        analysis.trace, cursor, unit, notation, output_names=built.output_names,
        target_tokens=built.target_tokens, task=built.spec.task, **kw,
    )  # fmt: skip


def _title(c: _Ctx) -> None:
    tr, n = c.trace, c.n
    line = [S(f"Timestep t = {c.t} of {tr.length}: input “{_token(c)}”")]
    if tr.sample.scored[c.i] and c.target_tokens[c.i]:
        line.append(S(f" → target “{c.target_tokens[c.i]}”"))
    c.add("title", line)
    if tr.problem:
        c.add("note", [S(f"⚠ {tr.problem}")])
    act, head = ACT_NAMES[tr.config.activation], HEAD_NAMES[tr.config.head]
    inner = [_name(n.W_h), S("·"), c.at(n.h, "t−1"), S(" + "), _name(n.W_x), S("·"),
             c.at("x", "t"), S(" + "), _name(n.b_h)]  # fmt: skip
    outer = [_name(n.W_y), S("·"), c.at(n.h, "t"), S(" + "), _name(n.b_y)]
    c.add(
        "text",
        [c.at(n.h, "t"), S(f" = {act}(" if act else " = ")] + inner + [S(")" if act else "")],
        [c.at(n.y, "t"), S(f" = {head}(" if head else " = ")] + outer + [S(")" if head else "")],
    )


def _previous(c: _Ctx) -> np.ndarray:
    p = c.trace.params
    return p.h0 if c.i == 0 else c.trace.hs[c.i - 1]  # (H,)


def _display_terms(c: _Ctx) -> None:
    """The two partial products (display arithmetic) next to the engine's values."""
    tr, p = c.trace, c.trace.params
    h_prev, x = _previous(c), tr.xs[c.i]
    rec, inp = _product(p.W_hh, h_prev), _product(p.W_xh, x)  # (H,), (H,)
    c.terms.update(
        h_prev=h_prev, x=x, rec=rec, inp=inp, b_h=p.b_h, z=tr.zs[c.i], h=tr.hs[c.i],
    )  # fmt: skip


def _input_text(c: _Ctx, enc: str) -> list[Span]:
    """One sentence saying what x_t is."""
    tr, n, x = c.trace, c.n, c.terms["x"]
    xt = c.at("x", c.t)
    if enc == "onehot":
        i = int(tr.sample.ids[c.i])
        return [xt, S(f" is one-hot for “{_token(c)}” (id {i}), so "), _name(n.W_x), S("·"), xt,
                S(" is the column of "), _name(n.W_x), S(f" for id {i}.")]  # fmt: skip
    where = (
        [S(" = E["), S(str(int(tr.sample.ids[c.i]))), S(f"], the embedding row of “{_token(c)}”")]
        if enc == "embedding"
        else [S(", the series values at this step")]
    )
    listed = _vec(x, c.digits) if x.size <= MAX_LISTED else [S(f"({x.size} values)")]
    return [xt] + where + [S(" = ")] + listed


def _hidden_full(c: _Ctx, enc: str) -> None:
    _display_terms(c)
    tr, n, p, g = c.trace, c.n, c.trace.params, c.terms
    hp = c.at(n.h, c.t - 1)
    zeros = ", all zeros)" if not p.h0.any() else ")"
    initial = [S(" ("), hp, S(f" is the initial state{zeros}")] if c.i == 0 else []
    _head(c, 1, _name(n.W_h), S(" · "), hp,
          S(" — the previous state through the recurrent weights"), *initial)  # fmt: skip
    c.block(c.mat(p.W_hh), _op(" · "), c.mat(g["h_prev"], chip=True), _op(" = "), c.mat(g["rec"]))
    _head(c, 2, _name(n.W_x), S(" · "), c.at("x", c.t), S(" — the input through the input weights"))
    c.add("text", _input_text(c, enc))
    if enc != "onehot" or (
        p.input_size <= FULL_D and _fits(p.W_xh, c.digits, c.max_chars, times=tr.xs)
    ):
        c.block(c.mat(p.W_xh), _op(" · "), c.mat(g["x"]), _op(" = "), c.mat(g["inp"]))
    else:
        c.block(_op(f"{n.W_x}[:, id {int(tr.sample.ids[c.i])}] = "), c.mat(g["inp"]))
    _head(c, 3, S("+ "), _name(n.b_h), S(" — the hidden bias"))
    c.add("text", [_name(n.b_h), S(" = ")] + _vec(p.b_h, c.digits))
    z = c.at("z", c.t)
    _head(c, 4, z, S(" = "), _name(n.W_h), S("·"), hp, S(" + "), _name(n.W_x), S("·"),
          c.at("x", c.t), S(" + "), _name(n.b_h), S(" — the pre-activation"))  # fmt: skip
    c.block(c.mat(g["rec"]), _op(" + "), c.mat(g["inp"]), _op(" + "), c.mat(p.b_h), _op(" = "),
            c.mat(g["z"]))  # fmt: skip
    act = ACT_NAMES[tr.config.activation]
    _head(c, 5, c.at(n.h, c.t), S(f" = {act}(" if act else " = "), z, S(")" if act else ""),
          S(" — the new hidden state"))  # fmt: skip
    c.block(_op(f"{act} " if act else ""), c.mat(g["z"]), _op(" = "), c.mat(g["h"], chip=True))


def _hidden_row(c: _Ctx, enc: str) -> None:
    _display_terms(c)
    tr, n, p, g, u = c.trace, c.n, c.trace.params, c.terms, c.u
    U = f"[{u + 1}]"
    hp = c.at(n.h, c.t - 1)
    _head(c, 1, S(f"row {u + 1} of "), _name(n.W_h), S(" · "), hp, SUM_J, _name(n.W_h),
          S(f"[{u + 1},j]·"), c.at(n.h, c.t - 1, "[j]"))  # fmt: skip
    c.add("sum", [S("= ")] + _sum_terms(c, p.W_hh[u], g["h_prev"], True) +
          [S(" = "), c.num(g["rec"][u])])  # fmt: skip
    _head(c, 2, S(f"row {u + 1} of "), _name(n.W_x), S(" · "), c.at("x", c.t))
    c.add("text", _input_text(c, enc))
    if enc == "onehot":
        i = int(tr.sample.ids[c.i])
        c.add("sum", [S("= "), _name(n.W_x), S(f"[{u + 1}, id {i}] = "), c.num(g["inp"][u])])
    else:
        c.add("sum", [S("= ")] + _sum_terms(c, p.W_xh[u], g["x"], False) +
              [S(" = "), c.num(g["inp"][u])])  # fmt: skip
    _head(c, 3, S("+ "), _name(n.b_h), S(f"{U} — the hidden bias of unit {u + 1}"))
    c.add("text", [_name(n.b_h), S(f"{U} = "), c.num(p.b_h[u])])
    z = c.at("z", c.t, U)
    _head(c, 4, z, S(" — the pre-activation of unit " + str(u + 1)))
    c.add("sum", [z, S(" = "), c.num(g["rec"][u]), S(" + "), c.num(g["inp"][u], paren=True),
                  S(" + "), c.num(p.b_h[u], paren=True), S(" = "), c.num(g["z"][u])])  # fmt: skip
    act = ACT_NAMES[tr.config.activation]
    _head(c, 5, c.at(n.h, c.t, U), S(f" = {act}(" if act else " = "), z, S(")" if act else ""))
    c.add("sum", [c.at(n.h, c.t, U), S(f" = {act}(" if act else " = "), c.num(g["z"][u]),
                  S(")" if act else ""), S(" = "), c.num(g["h"][u], chip=True)])  # fmt: skip


def _head_formula(c: _Ctx) -> list[Span]:
    """How the output head turns o_t into y_t, in one line."""
    n, head = c.n, c.trace.config.head
    yk, ok = c.at(n.y, c.t, "[k]"), c.at("o", c.t, "[k]")
    if head == "softmax":
        return [yk, S(" = e^"), ok, S(" / Σ_j e^", " / Σ<sub>j</sub> e^"), c.at("o", c.t, "[j]"),
                S("  (positive, summing to 1)")]  # fmt: skip
    if head == "sigmoid":
        return [yk, S(" = 1 / (1 + e^−"), ok, S(")  (each output squashed into 0..1)")]
    return [c.at(n.y, c.t), S(" = "), c.at("o", c.t), S("  (identity head: the scores themselves)")]


def _output_heads(c: _Ctx) -> str:
    """Step 6's heading; returns the head's name for step 7 ('' for identity)."""
    n, head = c.n, HEAD_NAMES[c.trace.config.head]
    _head(c, 6, c.at("o", c.t), S(" = "), _name(n.W_y), S(" · "), c.at(n.h, c.t), S(" + "),
          _name(n.b_y), S(" — the output scores (logits)"))  # fmt: skip
    return head


def _output_full(c: _Ctx) -> None:
    tr, n, p = c.trace, c.n, c.trace.params
    h, o, y = tr.hs[c.i], tr.logits[c.i], tr.ys[c.i]
    c.terms.update(pre_o=_product(p.W_hy, h), o=o, y=y)
    head = _output_heads(c)
    c.block(c.mat(p.W_hy), _op(" · "), c.mat(h, chip=True), _op(" = "), c.mat(c.terms["pre_o"]),
            _op(" + "), c.mat(p.b_y), _op(" = "), c.mat(o, labels=_labels(c)))  # fmt: skip
    _head(c, 7, c.at(n.y, c.t), S(f" = {head}(" if head else " = "), c.at("o", c.t),
          S(")" if head else ""), S(" — the output"))  # fmt: skip
    c.add("text", _head_formula(c))
    c.block(_op(f"{head} " if head else ""), c.mat(o), _op(" = "), c.mat(y, labels=_labels(c)))


def _listing(c: _Ctx, v, what: str) -> list[Span]:
    """name value, name value ... (the 5 largest, then the focus output, when there are many)."""
    if len(v) <= MAX_LISTED:
        order = list(range(len(v)))
    else:
        order = [int(k) for k in np.argsort(-np.nan_to_num(v, nan=-np.inf))[:5]]
    out: list[Span] = []
    for m, k in enumerate(order):
        out += [S(", ")] if m else []
        out += [S(f"“{c.names[k]}” "), c.num(v[k])]
    if len(v) > MAX_LISTED:
        out.append(S(f"  (the 5 largest of {len(v)} {what})"))
        k, why = _focus_output(c)
        if k not in order:
            out += [S(f"; {why} “{c.names[k]}” "), c.num(v[k])]
    return out


def _output_row(c: _Ctx) -> None:
    tr, n, p = c.trace, c.n, c.trace.params
    h, o, y = tr.hs[c.i], tr.logits[c.i], tr.ys[c.i]
    k, why = _focus_output(c)
    c.terms.update(pre_o=_product(p.W_hy, h), o=o, y=y)
    head = _output_heads(c)
    name = f"[“{c.names[k]}”]"
    c.add("text", [S(f"For output “{c.names[k]}” ({why}): "), c.at("o", c.t, name), SUM_J,
                   _name(n.W_y), S(f"[“{c.names[k]}”,j]·"), c.at(n.h, c.t, "[j]"), S(" + "),
                   _name(n.b_y), S(name)])  # fmt: skip
    c.add("sum", [S("= ")] + _sum_terms(c, p.W_hy[k], h, True) +
          [S(" + "), c.num(p.b_y[k], paren=True), S(" = "), c.num(o[k])])  # fmt: skip
    c.add("text", [c.at("o", c.t), S(": ")] + _listing(c, o, "scores"))
    _head(c, 7, c.at(n.y, c.t), S(f" = {head}(" if head else " = "), c.at("o", c.t),
          S(")" if head else ""), S(" — the output"))  # fmt: skip
    c.add("text", _head_formula(c))
    c.add("text", [c.at(n.y, c.t), S(": ")] + _listing(c, y, "outputs"))


# -- the loss -------------------------------------------------------------------
LOSS_NAMES = {"ce": "cross-entropy", "bce": "binary cross-entropy", "mse": "squared error"}


def _legend(c: _Ctx) -> list[Span]:
    return [S("with y = the target and ŷ = "), c.at(c.n.y, c.t), S(", the prediction")]


def _loss(c: _Ctx) -> None:
    tr = c.trace
    Lt = c.at("L", c.t)
    _head(c, 8, Lt, S(f" — the loss at this step ({LOSS_NAMES[tr.config.loss]})"))
    if not tr.sample.scored[c.i]:
        why = (
            f"only the last step (t = {tr.length}) has a target in a many-to-one task"
            if c.task == "many-to-one"
            else "this step has no target"
        )
        c.add("text", [Lt, S(f": not scored — {why}, so it adds nothing to the total.")])
    else:
        _loss_terms(c, Lt)
    _total(c)


def _loss_terms(c: _Ctx, Lt: Span) -> None:
    tr, cfg = c.trace, c.trace.config
    y, tgt, value = tr.ys[c.i], tr.sample.targets[c.i], tr.step_losses[c.i]
    many = len(y) > FULL_O
    end = [S(" = "), c.num(value)]
    if cfg.loss == "ce" and cfg.head == "softmax" and _focus_output(c)[1] == "the target":
        k = _focus_output(c)[0]
        yk = c.at(c.n.y, c.t, f"[“{c.names[k]}”]")
        c.add("text", [Lt, S(" = −log "), yk, S(f", minus the log of the probability given to "
                                                  f"the target “{c.names[k]}”")])  # fmt: skip
        c.add("sum", [Lt, S(" = −log("), c.num(y[k]), S(")")] + end)
        return
    if cfg.loss == "bce":
        formula = "−Σ_k [ y_k·log ŷ_k + (1 − y_k)·log(1 − ŷ_k) ]"
        terms = [[S("−["), c.num(tgt[k]), S("·log("), c.num(y[k]), S(") + (1 − "), c.num(tgt[k]),
                  S(")·log(1 − "), c.num(y[k]), S(")]")] for k in range(len(y))]  # fmt: skip
    elif cfg.loss == "ce":
        formula = "−Σ_k y_k·log ŷ_k"
        terms = [[S("−"), c.num(tgt[k]), S("·log("), c.num(y[k]), S(")")]
                 for k in np.flatnonzero(tgt)]  # fmt: skip
    else:
        formula = "Σ_k (ŷ_k − y_k)²"
        terms = [[S("("), c.num(y[k]), S(" − "), c.num(tgt[k], paren=True), S(")²")]
                 for k in range(len(y))]  # fmt: skip
    c.add("text", [Lt, S(f" = {formula}", " = " + _sub_html(formula))], _legend(c))
    joined: list[Span] = [Lt, S(" = ")]
    if many:
        joined.append(S(f"(a sum over {len(y)} outputs)"))
    for m, term in enumerate([] if many else terms):
        joined += ([S(" + ")] if m and term[0].text != "−[" else [S(" ")] if m else []) + term
    c.add("sum", joined + end)


def _total(c: _Ctx) -> None:
    tr = c.trace
    idx = np.flatnonzero(tr.sample.scored)
    if len(idx) == 0:
        c.add("text", [S("Total: no step is scored, so there is no loss yet "
                         "(give a label or tags).")])  # fmt: skip
        return
    mean = tr.config.reduction == "mean"
    what = "the mean" if mean else "the sum"
    if len(idx) == 1:
        intro = [S(f"Total loss L: t = {idx[0] + 1} is the only scored step")]
    else:
        intro = [S(f"Total loss L = {what} of "), c.at("L", "t"),
                 S(f" over the {len(idx)} scored steps:")]  # fmt: skip
    c.add("text", intro)
    line: list[Span] = [S("L = ")]
    if len(idx) == 1 and not mean:
        line.append(c.at("L", int(idx[0]) + 1))
    elif len(idx) <= 8:
        line += [S(f"(1/{len(idx)})·(")] if mean else []
        for m, s in enumerate(idx):
            line += ([S(" + ")] if m else []) + [c.num(tr.step_losses[s])]
        line += [S(")")] if mean else []
    else:
        line.append(S(f"({what} of {len(idx)} step losses)"))
    c.add("sum", line + [S(" = "), c.num(tr.loss)])


def _exact(c: _Ctx) -> tuple[tuple[str, np.ndarray], ...]:
    n, t, g, tr = c.n, c.t, c.terms, c.trace
    txt = lambda base, tt: _at(n, base, tt).text  # noqa: E731
    return (
        (f"{n.W_h}·{txt(n.h, t - 1)}", g["rec"]),
        (f"{n.W_x}·{txt('x', t)}", g["inp"]),
        (txt("z", t), g["z"]),
        (txt(n.h, t), g["h"]),
        (txt("o", t), g["o"]),
        (txt(n.y, t), g["y"]),
        (txt("L", t) + ("" if tr.sample.scored[c.i] else " (not scored)"), tr.step_losses[c.i]),
        ("L", np.array(tr.loss)),
    )
