"""The "Show the math" text: one timestep's forward equations with the real numbers.

CNN Explainer's idea for RNNs. For timestep t the tutorials write out, by hand,

    (1) W_hh h_{t-1}           (2) W_xh x_t           (3) + b_h
    (4) z_t = (1) + (2) + (3)  (5) h_t = f(z_t)
    (6) o_t = W_hy h_t + b_y   (7) y_t = g(o_t)       (8) the loss L_t, and L

``worked_step`` returns the same steps as structured text (``Worked``) that
renders to plain text (the "Copy" button, the CLI) or to HTML (the Qt panel),
so the logic is testable without Qt. The two partial products of (1) and (2)
are display arithmetic (the engine only stores their sum); every result the
text shows, z_t, h_t, o_t, y_t, L_t and L, is the trace's own value, so the
worked step cannot drift from the engine. The panel asserts nothing; the
tests check that (1) + (2) + (3) reproduces ``trace.zs[t]`` to 1e-12.

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

import html as _html
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .engine.trace import Trace

FULL_H, FULL_D, FULL_O = 4, 6, 6  # largest sizes written as full matrices
MAX_TERMS = 16  # a written-out sum longer than this is elided on screen (not in the copy)
MAX_LISTED = 12  # output vectors longer than this list their top entries only
DEFAULT_MAX_CHARS = 52  # monospaced characters per line (about 500 px at 11 pt)
CIRCLED = "①②③④⑤⑥⑦⑧"
MONO = "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace"
UNIT_HINT = "Choose another unit to see its row."


# -- notation ------------------------------------------------------------------
@dataclass(frozen=True)
class Notation:
    key: str
    label: str  # for a chooser
    W_x: str
    W_h: str
    W_y: str
    b_h: str
    b_y: str
    h: str  # hidden state symbol
    y: str  # prediction symbol
    angle: bool  # a^<t> instead of h_t


NOTATIONS = {
    "xh": Notation("xh", "W_xh, W_hh, W_hy", "W_xh", "W_hh", "W_hy", "b_h", "b_y", "h", "y", False),
    "uvw": Notation("uvw", "U, W, V", "U", "W", "V", "b_h", "b_y", "h", "y", False),
    "ax": Notation("ax", "W_ax, W_aa, W_ya", "W_ax", "W_aa", "W_ya", "b_a", "b_y", "a", "ŷ", True),
}


# -- spans: the smallest piece of text, rendered as plain text or HTML ---------
@dataclass(frozen=True)
class Span:
    text: str
    html: str | None = None  # markup (subscripts); escaped text when None
    tip: str | None = None  # full-precision value shown on hover
    chip: float | None = None  # signed value whose colour backs this number
    strong: bool = False

    def to_html(self, chip_color: Callable[[float], tuple[str, str]] | None) -> str:
        body = self.html if self.html is not None else _html.escape(self.text, quote=False)
        if self.strong:
            body = f"<b>{body}</b>"
        attrs = f' title="{_html.escape(self.tip)}"' if self.tip else ""
        if self.chip is not None and chip_color is not None and math.isfinite(self.chip):
            bg, fg = chip_color(self.chip)
            attrs += f' style="background-color:{bg}; color:{fg}"'
        return f"<span{attrs}>{body}</span>" if attrs else body


def S(text: str, html: str | None = None) -> Span:
    return Span(text, html)


SUM_J = S(" = Σ_j ", " = Σ<sub>j</sub> ")


def _name(name: str) -> Span:
    """W_xh -> W<sub>xh</sub>; a plain name (U) stays as it is."""
    base, _, sub = name.partition("_")
    return Span(name, f"{_html.escape(base)}<sub>{_html.escape(sub)}</sub>" if sub else None)


def _sub_html(text: str) -> str:
    """Σ_k y_k -> Σ<sub>k</sub> y<sub>k</sub> for one-letter indices."""
    return re.sub(r"_([a-z])\b", r"<sub>\1</sub>", _html.escape(text, quote=False))


def _at(n: Notation, base: str, t, index: str = "") -> Span:
    """A symbol at time t: h_2 (or a^<2>), optionally indexed: h_2[1]."""
    if n.angle:
        return Span(f"{base}^<{t}>{index}", f"{base}<sup>&lt;{t}&gt;</sup>{index}")
    sub = f"{{{t}}}" if len(str(t)) > 1 and not str(t).isdigit() else str(t)  # h_{t−1}
    return Span(f"{base}_{sub}{index}", f"{base}<sub>{t}</sub>{index}")


def fmt(x: float, digits: int = 8) -> str:
    """Significant digits without trailing-zero noise: 0.48, 0.44624361, -1.5e-05."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return "0" if x == 0 else f"{x:.{digits}g}"


def _num(x: float, digits: int, chip: bool = False, paren: bool = False) -> Span:
    s = fmt(x, digits)
    if paren and s.startswith("-"):
        s = f"({s})"
    return Span(s, tip=repr(float(x)), chip=float(x) if chip else None)


def _vec(v, digits: int, chip: bool = False) -> list[Span]:
    """[a, b, c] inline."""
    out = [S("[")]
    for j, x in enumerate(v):
        out += [S(", ")] if j else []
        out.append(_num(x, digits, chip))
    return out + [S("]")]


# -- aligned monospaced blocks: matrices, vectors and operators side by side ---
Row = list[Span]


def _brackets(i: int, n: int) -> tuple[str, str]:
    if n == 1:
        return "[", "]"
    return ("⎡", "⎤") if i == 0 else ("⎣", "⎦") if i == n - 1 else ("⎢", "⎥")


def _matrix(M, digits: int, chip: bool = False, labels=None) -> list[Row]:
    """Rows of a bracketed matrix (a 1-D array is a column), numbers right-aligned."""
    M = np.asarray(M, dtype=float)
    M = M[:, None] if M.ndim == 1 else M
    cells = [[fmt(v, digits) for v in row] for row in M]
    widths = [max(len(r[j]) for r in cells) for j in range(M.shape[1])]
    rows = []
    for i, row in enumerate(M):
        left, right = _brackets(i, len(M))
        spans = [S(left)]
        for j, v in enumerate(row):
            spans.append(S(" " * (widths[j] - len(cells[i][j]) + (1 if j else 0))))
            spans.append(_num(v, digits, chip))
        spans.append(S(right))
        if labels is not None:
            spans.append(S(f" {labels[i]}"))
        rows.append(spans)
    return rows


def _width(row: Row) -> int:
    return sum(len(s.text) for s in row)


def _op(text: str) -> list[Row]:
    return [[S(text)]]


def _layout(pieces: list[list[Row]], max_chars: int) -> list[Row]:
    """Place pieces side by side, vertically centred; wrap before '=' or '+' when too wide."""
    groups: list[list[list[Row]]] = [[]]
    widths = [max(_width(r) for r in p) for p in pieces]
    used = 0
    for k, (p, w) in enumerate(zip(pieces, widths, strict=True)):
        breakable = len(p) == 1 and p[0][0].text.strip() in ("=", "+")
        ahead = w + (widths[k + 1] if k + 1 < len(pieces) else 0)  # the operator and its operand
        if groups[-1] and breakable and used + ahead > max_chars:
            groups.append([])
            used = 2  # continuation lines are indented
        groups[-1].append(p)
        used += w
    lines: list[Row] = []
    for g, group in enumerate(groups):
        if g:
            lines.append([])  # a blank line keeps stacked brackets apart
        height = max(len(p) for p in group)
        rows: list[Row] = [[S("  ")] if g else [] for _ in range(height)]
        for p in group:
            w = max(_width(r) for r in p)
            top = (height - len(p)) // 2
            for k in range(height):
                r = p[k - top] if 0 <= k - top < len(p) else []
                rows[k] += r + [S(" " * (w - _width(r)))]
        lines += rows
    return lines


def _fits(M, digits: int, max_chars: int) -> bool:
    return max(_width(r) for r in _matrix(M, digits)) <= max_chars


# -- the result -----------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    kind: str  # title | text | head | block | sum | note
    lines: tuple[tuple[Span, ...], ...]

    def text(self) -> str:
        return "\n".join("".join(s.text for s in line).rstrip() for line in self.lines)


@dataclass(frozen=True, eq=False)
class Worked:
    """One timestep worked out: items to render, and the numbers behind them."""

    t: int  # 1-based timestep
    notation: str
    full: bool  # hidden layer written with full matrices
    full_output: bool  # output layer written with full matrices
    unit: int  # 0-based hidden unit whose row is written when not ``full``
    items: tuple[Item, ...]
    terms: dict  # display arithmetic and engine values: rec, inp, b_h, z, h, pre_o, o, y
    exact: tuple[tuple[str, np.ndarray], ...]  # full-precision values for the copy

    def text(self) -> str:
        """Plain text of the whole step, then the values at full precision."""
        parts = [it.text() for it in self.items]
        exact = [f"  {name} = {_repr_list(v)}" for name, v in self.exact]
        return "\n".join(parts + ["", "Full precision (float64):"] + exact) + "\n"

    def html(self, chip_color: Callable[[float], tuple[str, str]] | None = None) -> str:
        return "".join(_item_html(it, chip_color) for it in self.items)


def _repr_list(v) -> str:
    v = np.atleast_1d(np.asarray(v, dtype=float))
    return repr(float(v[0])) if v.size == 1 else "[" + ", ".join(repr(float(x)) for x in v) + "]"


def _item_html(it: Item, chip_color) -> str:
    line_html = ["".join(s.to_html(chip_color) for s in line) for line in it.lines]
    if it.kind == "block":
        body = "\n".join(line_html)
        return f'<pre style="font-family:{MONO}; margin:2px 0 6px 12px">{body}</pre>'
    if it.kind == "sum":
        return f'<p style="font-family:{MONO}; margin:2px 0 6px 12px">{"<br>".join(line_html)}</p>'
    style = {
        "title": "font-size:13pt; font-weight:600; margin:2px 0 4px 0",
        "head": "font-weight:600; margin:10px 0 2px 0",
        "note": "font-style:italic; margin:4px 0 4px 12px",
        "text": "margin:2px 0 4px 12px",
    }[it.kind]
    return f'<p style="{style}">{"<br>".join(line_html)}</p>'


# -- building the steps ----------------------------------------------------------
ACT_NAMES = {"tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid", "identity": ""}
HEAD_NAMES = {"softmax": "softmax", "sigmoid": "sigmoid", "identity": ""}


@dataclass
class _Ctx:
    """What every step needs; ``items`` and ``terms`` fill up as the steps run."""

    trace: Trace
    i: int  # 0-based timestep
    n: Notation
    u: int  # 0-based unit
    digits: int
    max_chars: int
    names: tuple
    target_tokens: tuple
    task: str | None
    items: list
    terms: dict

    @property
    def t(self) -> int:
        return self.i + 1

    def add(self, kind: str, *lines) -> None:
        self.items.append(Item(kind, tuple(tuple(line) for line in lines)))

    def block(self, *pieces) -> None:
        self.add("block", *_layout(list(pieces), self.max_chars))

    def num(self, x, chip: bool = False, paren: bool = False) -> Span:
        return _num(x, self.digits, chip, paren)

    def mat(self, M, chip: bool = False, labels=None) -> list[Row]:
        return _matrix(M, self.digits, chip, labels)

    def at(self, base: str, t, index: str = "") -> Span:
        return _at(self.n, base, t, index)


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
    if isinstance(t, bool) or not isinstance(t, int | np.integer) or not 0 <= t < T:
        raise ValueError(f"timestep index {t!r} is outside 0..{T - 1} (t = 1..{T})")
    if notation not in NOTATIONS:
        raise ValueError(f"notation must be one of {', '.join(NOTATIONS)}, not {notation!r}")
    u = 0 if unit is None else int(unit)
    if not 0 <= u < H:
        raise ValueError(f"there is no unit {u + 1}: the hidden layer has units 1..{H}")
    max_chars = max(int(max_chars), 20)
    digits = 8 if H <= FULL_H else 5  # the tutorials' 8 digits; fewer when rows get long
    enc = _encoding(trace)
    fits = lambda M: _fits(M, digits, max_chars)  # noqa: E731
    full = H <= FULL_H and fits(p.W_hh) and (enc == "onehot" or (D <= FULL_D and fits(p.W_xh)))
    full_out = H <= FULL_H and O <= FULL_O and fits(p.W_hy)
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
    return Worked(c.t, notation, full, full_out, u, tuple(c.items), c.terms, _exact(c))


def from_analysis(analysis, cursor: int, unit=None, notation="xh", **kw) -> Worked:
    """``worked_step`` with the labels an ``Analysis`` (built + trace) knows."""
    built = analysis.built
    return worked_step(
        analysis.trace, cursor, unit, notation, output_names=built.output_names,
        target_tokens=built.target_tokens, task=built.spec.task, **kw,
    )  # fmt: skip


def _encoding(trace) -> str:
    if trace.sample.ids is None:
        return "numeric"
    return "onehot" if trace.params.E is None else "embedding"


def _token(c: _Ctx) -> str:
    tokens = c.trace.sample.tokens
    return tokens[c.i] if c.i < len(tokens) else ""


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


def _product(W: np.ndarray, v: np.ndarray) -> np.ndarray:
    """W v for display; an overflowed trace is reported in the text, not raised."""
    with np.errstate(all="ignore"):
        return W @ v


def _display_terms(c: _Ctx) -> None:
    """The two partial products (display arithmetic) next to the engine's values."""
    tr, p = c.trace, c.trace.params
    h_prev, x = _previous(c), tr.xs[c.i]
    rec, inp = _product(p.W_hh, h_prev), _product(p.W_xh, x)  # (H,), (H,)
    c.terms.update(
        h_prev=h_prev, x=x, rec=rec, inp=inp, b_h=p.b_h, z=tr.zs[c.i], h=tr.hs[c.i],
    )  # fmt: skip


def _head(c: _Ctx, k: int, *spans: Span) -> None:
    c.add("head", [S(f"{CIRCLED[k - 1]} ")] + list(spans))


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
    if enc != "onehot" or (p.input_size <= FULL_D and _fits(p.W_xh, c.digits, c.max_chars)):
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


def _sum_terms(c: _Ctx, W_row, v, chip: bool) -> list[Span]:
    """w1·v1 + w2·v2 + ... (elided in the middle beyond MAX_TERMS)."""
    idx = list(range(len(v)))
    if len(idx) > MAX_TERMS:
        idx = idx[:8] + [-1] + idx[-2:]
    out: list[Span] = []
    for k, j in enumerate(idx):
        out += [S(" + ")] if k else []
        if j < 0:
            out.append(S(f"… ({len(v) - 10} more terms)"))
        else:
            out += [c.num(W_row[j], paren=True), S("·"), c.num(v[j], chip=chip, paren=True)]
    return out


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


def _labels(c: _Ctx) -> list[str]:
    return [name if len(name) <= 12 else name[:11] + "…" for name in c.names]


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


def _focus_output(c: _Ctx) -> tuple[int, str]:
    """The output to write out: the target class if there is one, else the largest."""
    tr = c.trace
    target = tr.sample.targets[c.i]
    if tr.sample.scored[c.i] and np.count_nonzero(target) == 1 and target.max() == 1.0:
        return int(np.argmax(target)), "the target"
    return int(np.argmax(np.nan_to_num(tr.ys[c.i], nan=-np.inf))), "the largest output"


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
