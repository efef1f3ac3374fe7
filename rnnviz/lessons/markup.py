"""The lessons' small text markup, checked and turned into safe rich text (Qt-free).

    A blank line starts a new paragraph; a single line break stays a line break.
    **bold** and `code`; everything else is shown as written, unicode maths
    included (h₁, W_hh·h₀, σ, ‖·‖).

There is no HTML: ``<`` and ``&`` are escaped, so ``<unk>`` reads as
written. A tag such as ``<b>`` is refused at load time with a pointer to
the markup, and so is an unclosed ``**`` or backtick, so a teacher sees
the mistake instead of a half-bold page.
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(
    r"</?(?:a|b|i|u|s|em|strong|br|p|div|span|img|code|pre|sub|sup|h[1-6]|ul|ol|li|table|tr"
    r"|td|font|script|style|html|body)\b[^>]*>",
    re.I,
)
_CODE = re.compile(r"`([^`\n]*)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)


def paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text.strip()) if p.strip()]


def check(text: str) -> str | None:
    """What is wrong with the markup of ``text`` (first problem), or None."""
    m = _TAG.search(text)
    if m:
        return f"HTML such as {m.group()!r} is not allowed: write **bold** or `code`"
    for i, par in enumerate(paragraphs(text), start=1):
        where = f"paragraph {i}"
        if par.count("`") % 2:
            return f"{where}: a `code` span is not closed (an odd number of backticks)"
        if _CODE.sub("", par).count("**") % 2:
            return f"{where}: a **bold** span is not closed (an odd number of **)"
    return None


def _inline(text: str, code_style: str) -> str:
    """One paragraph: escape, then `code` (verbatim) and **bold** in the rest."""
    parts = []
    for i, piece in enumerate(_CODE.split(text)):
        if i % 2:  # inside backticks: shown as written, no bold
            parts.append(f'<code style="{code_style}">{html.escape(piece)}</code>')
        else:
            escaped = html.escape(piece, quote=False)
            parts.append(_BOLD.sub(r"<b>\1</b>", escaped))
    return "".join(parts).replace("\n", "<br>")


def to_html(text: str, code_style: str = "font-family: monospace;") -> str:
    """Rich text for a QLabel / QTextBrowser; paragraphs get a little space between them."""
    return "".join(
        f'<p style="margin-top: 0; margin-bottom: 0.6em;">{_inline(p, code_style)}</p>'
        for p in paragraphs(text)
    )


def to_plain(text: str) -> str:
    """The text without markup (for tooltips, tests and the accessibility name)."""
    text = _CODE.sub(r"\1", text)
    return _BOLD.sub(r"\1", text)
