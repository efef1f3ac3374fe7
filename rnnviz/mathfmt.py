"""Formatting for the "Show the math" texts: spans, aligned blocks, notation, the result.

Shared by the forward worked step (``rnnviz.mathtext``) and the backward one
(``rnnviz.mathtext_backward``). A ``Span`` is the smallest piece of text and
renders as plain text (the "Copy" button) or HTML (the Qt panel, with
subscripts, full-precision tool tips and colour chips). Matrices, vectors and
operators are laid out side by side as aligned monospaced rows with bracket
glyphs, wrapped before "=" or "+" when wider than the panel. ``Ctx`` collects
one step's items; ``Worked`` is the finished step.

Numbers use a fixed count of significant digits without trailing zeros (0.48,
not 0.48000000); the tool tips and the copied text carry full float64
precision (``repr``). Qt-free.
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


def sym(name: str) -> Span:
    """W_xh -> W<sub>xh</sub>; a plain name (U) stays as it is."""
    base, _, sub = name.partition("_")
    return Span(name, f"{_html.escape(base)}<sub>{_html.escape(sub)}</sub>" if sub else None)


def sub_html(text: str) -> str:
    """Σ_k y_k -> Σ<sub>k</sub> y<sub>k</sub> for one-letter indices."""
    return re.sub(r"_([a-z])\b", r"<sub>\1</sub>", _html.escape(text, quote=False))


def at(n: Notation, base: str, t, index: str = "") -> Span:
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


def num(x: float, digits: int, chip: bool = False, paren: bool = False) -> Span:
    s = fmt(x, digits)
    if paren and s.startswith("-"):
        s = f"({s})"
    return Span(s, tip=repr(float(x)), chip=float(x) if chip else None)


def vec(v, digits: int, chip: bool = False) -> list[Span]:
    """[a, b, c] inline."""
    out = [S("[")]
    for j, x in enumerate(v):
        out += [S(", ")] if j else []
        out.append(num(x, digits, chip))
    return out + [S("]")]


# -- aligned monospaced blocks: matrices, vectors and operators side by side ---
Row = list[Span]


def brackets(i: int, n: int) -> tuple[str, str]:
    if n == 1:
        return "[", "]"
    return ("⎡", "⎤") if i == 0 else ("⎣", "⎦") if i == n - 1 else ("⎢", "⎥")


def matrix(M, digits: int, chip: bool = False, labels=None) -> list[Row]:
    """Rows of a bracketed matrix (a 1-D array is a column), numbers right-aligned."""
    M = np.asarray(M, dtype=float)
    M = M[:, None] if M.ndim == 1 else M
    cells = [[fmt(v, digits) for v in row] for row in M]
    widths = [max(len(r[j]) for r in cells) for j in range(M.shape[1])]
    rows = []
    for i, row in enumerate(M):
        left, right = brackets(i, len(M))
        spans = [S(left)]
        for j, v in enumerate(row):
            spans.append(S(" " * (widths[j] - len(cells[i][j]) + (1 if j else 0))))
            spans.append(num(v, digits, chip))
        spans.append(S(right))
        if labels is not None:
            spans.append(S(f" {labels[i]}"))
        rows.append(spans)
    return rows


def row_width(row: Row) -> int:
    return sum(len(s.text) for s in row)


def op(text: str) -> list[Row]:
    return [[S(text)]]


def layout(pieces: list[list[Row]], max_chars: int) -> list[Row]:
    """Place pieces side by side, vertically centred; wrap before '=' or '+' when too wide."""
    groups: list[list[list[Row]]] = [[]]
    widths = [max(row_width(r) for r in p) for p in pieces]
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
            w = max(row_width(r) for r in p)
            top = (height - len(p)) // 2
            for k in range(height):
                r = p[k - top] if 0 <= k - top < len(p) else []
                rows[k] += r + [S(" " * (w - row_width(r)))]
        lines += rows
    return lines


def fits(M, digits: int, max_chars: int, times=None) -> bool:
    """M fits the width; with ``times`` (every vector it multiplies, any shape) so does
    the piece "M · v", which the layout cannot break (it wraps before = and + only)."""
    width = max(row_width(r) for r in matrix(M, digits))
    if times is not None:
        width += 3 + max(row_width(r) for r in matrix(np.ravel(times), digits))
    return width <= max_chars


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
    phase: str = "forward"  # which pass the step works out: "forward" | "backward"
    digits: int = 8  # significant digits of the shown numbers

    def text(self) -> str:
        """Plain text of the whole step, then the values at full precision."""
        parts = [it.text() for it in self.items]
        exact = [f"  {name} = {repr_list(v)}" for name, v in self.exact]
        return "\n".join(parts + ["", "Full precision (float64):"] + exact) + "\n"

    def html(self, chip_color: Callable[[float], tuple[str, str]] | None = None) -> str:
        return "".join(item_html(it, chip_color) for it in self.items)


def repr_list(v) -> str:
    v = np.atleast_1d(np.asarray(v, dtype=float))
    return repr(float(v[0])) if v.size == 1 else "[" + ", ".join(repr(float(x)) for x in v) + "]"


def item_html(it: Item, chip_color) -> str:
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


# -- one step's context and the pieces both passes use ---------------------------
ACT_NAMES = {"tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid", "identity": ""}
HEAD_NAMES = {"softmax": "softmax", "sigmoid": "sigmoid", "identity": ""}


@dataclass
class Ctx:
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
        self.add("block", *layout(list(pieces), self.max_chars))

    def num(self, x, chip: bool = False, paren: bool = False) -> Span:
        return num(x, self.digits, chip, paren)

    def mat(self, M, chip: bool = False, labels=None) -> list[Row]:
        return matrix(M, self.digits, chip, labels)

    def at(self, base: str, t, index: str = "") -> Span:
        return at(self.n, base, t, index)


def check_step(trace: Trace, t, unit, notation: str) -> int:
    """Validate a step request; returns the 0-based unit (default the first)."""
    T, H = trace.length, trace.params.hidden_size
    if isinstance(t, bool) or not isinstance(t, int | np.integer) or not 0 <= t < T:
        raise ValueError(f"timestep index {t!r} is outside 0..{T - 1} (t = 1..{T})")
    if notation not in NOTATIONS:
        raise ValueError(f"notation must be one of {', '.join(NOTATIONS)}, not {notation!r}")
    u = 0 if unit is None else int(unit)
    if not 0 <= u < H:
        raise ValueError(f"there is no unit {u + 1}: the hidden layer has units 1..{H}")
    return u


def encoding(trace) -> str:
    if trace.sample.ids is None:
        return "numeric"
    return "onehot" if trace.params.E is None else "embedding"


def token(c: Ctx) -> str:
    tokens = c.trace.sample.tokens
    return tokens[c.i] if c.i < len(tokens) else ""


def product(W: np.ndarray, v: np.ndarray) -> np.ndarray:
    """W v for display; an overflowed trace is reported in the text, not raised."""
    with np.errstate(all="ignore"):
        return W @ v


def heading(c: Ctx, k: int, *spans: Span) -> None:
    c.add("head", [S(f"{CIRCLED[k - 1]} ")] + list(spans))


def sum_terms(c: Ctx, W_row, v, chip: bool) -> list[Span]:
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


def output_labels(c: Ctx) -> list[str]:
    return [name if len(name) <= 12 else name[:11] + "…" for name in c.names]


def focus_output(c: Ctx) -> tuple[int, str]:
    """The output to write out: the target class if there is one, else the largest."""
    tr = c.trace
    target = tr.sample.targets[c.i]
    if tr.sample.scored[c.i] and np.count_nonzero(target) == 1 and target.max() == 1.0:
        return int(np.argmax(target)), "the target"
    return int(np.argmax(np.nan_to_num(tr.ys[c.i], nan=-np.inf))), "the largest output"
