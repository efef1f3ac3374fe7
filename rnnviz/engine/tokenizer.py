"""Tokenization and vocabularies.

Word level (the "AI Planet" tutorial): words are runs of letters, digits,
apostrophes and hyphens. Punctuation is either dropped (default; the
tutorial's token list for "... available to all." ends in 'all') or kept as
one token per mark (``punctuation="keep"``). Case is kept unless
``lowercase=True`` ("AI" and "ai" are then the same word).

Character level (the "hello" tutorial): every character is a token,
whitespace included, so "hi there" has 8 tokens.

A vocabulary numbers tokens in order of first appearance. With an unknown
token (``<unk>``) it takes id 0, so real words are numbered from 1 exactly as
the "AI Planet" tutorial does; the "hello" tutorial's vocabulary {h, e, l, o}
has no ``<unk>`` and numbers from 0, matching its one-hot columns.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

UNK = "<unk>"
LEVELS = ("word", "char")
PUNCTUATION_MODES = ("drop", "keep")

# Python's \w does not match combining marks (Unicode category M: Devanagari
# vowel signs, a decomposed accent, the emoji variation selector U+FE0F), so
# they are listed explicitly and stick to the character before them.
# Every category-M code point lies in U+0300..U+1FFFF or the variation
# selectors supplement U+E0100..U+E01EF; scanning only those keeps import at
# ~8 ms instead of ~70 ms (tests check nothing outside is missed).
MARK_RANGES = (range(0x300, 0x20000), range(0xE0100, 0xE01F0))
_MARKS = "".join(
    re.escape(chr(c)) for r in MARK_RANGES for c in r if unicodedata.category(chr(c))[0] == "M"
)
_EXTEND = rf"[{_MARKS}\u200d\U0001F3FB-\U0001F3FF]*"  # + zero-width joiner, skin tones
_LETTER = rf"[^\W_]{_EXTEND}"
_WORD_RE = rf"(?:{_LETTER})+(?:['’\-](?:{_LETTER})+)*"
_SYMBOL = rf"[^\w\s]{_EXTEND}(?:(?<=\u200d)[^\w\s]{_EXTEND})*"  # 👨‍👩‍👧 is one token
_WORD = re.compile(_WORD_RE)  # letters/digits with their marks, inner ' and -
_WORD_OR_MARK = re.compile(rf"{_WORD_RE}|{_SYMBOL}|_")


def tokenize(
    text: str, level: str = "word", lowercase: bool = False, punctuation: str = "drop"
) -> list[str]:
    """Split ``text`` into tokens; see the module docstring for the rules."""
    if level not in LEVELS:
        raise ValueError(f"unknown tokenizer level {level!r}; choose 'word' or 'char'")
    if punctuation not in PUNCTUATION_MODES:
        raise ValueError(f"unknown punctuation mode {punctuation!r}; choose 'drop' or 'keep'")
    if lowercase:
        text = text.lower()
    if level == "char":
        return list(text)
    pattern = _WORD if punctuation == "drop" else _WORD_OR_MARK
    return pattern.findall(text)


@dataclass(frozen=True)
class Vocab:
    """An ordered vocabulary: ``tokens[i]`` has id ``i``."""

    tokens: tuple[str, ...]
    unk: str | None = UNK

    def __post_init__(self) -> None:
        if len(set(self.tokens)) != len(self.tokens):
            dup = sorted({t for t in self.tokens if self.tokens.count(t) > 1})
            raise ValueError(f"vocabulary lists {dup[0]!r} more than once")
        if self.unk is not None and self.unk not in self.tokens:
            raise ValueError(f"vocabulary has no {self.unk!r} entry")
        object.__setattr__(self, "_index", {t: i for i, t in enumerate(self.tokens)})

    @classmethod
    def build(cls, tokens: list[str], unk: str | None = UNK) -> Vocab:
        """Number tokens in order of first appearance (``<unk>`` first, id 0)."""
        ordered = dict.fromkeys(([unk] if unk is not None else []) + list(tokens))
        return cls(tuple(ordered), unk)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self._index

    def id_of(self, token: str) -> int:
        return self._index[token]

    def encode(self, tokens: list[str]) -> list[int]:
        """Token ids; unknown tokens map to ``<unk>`` or raise a clear error."""
        ids = []
        for pos, tok in enumerate(tokens):
            i = self._index.get(tok)
            if i is None:
                if self.unk is None:
                    raise ValueError(
                        f"token {pos + 1} ({tok!r}) is not in the vocabulary, "
                        "and this vocabulary has no <unk>"
                    )
                i = self._index[self.unk]
            ids.append(i)
        return ids

    def decode(self, ids) -> list[str]:
        return [self.tokens[int(i)] for i in ids]
