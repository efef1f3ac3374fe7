"""Self-check answers: is what the learner typed or chose right? (Qt-free)

A number answer that names a fact is compared with the engine's value *at
check time* (the app's own number, whatever the weights are now); a literal
number is compared as written. The learner may type 0.4462, 0,4462, −0.5
(a unicode minus) or .5; a tolerance says how close is close enough. Text
answers are compared without case and surrounding spaces; a choice is its
index.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .facts import fact
from .format import Answer

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class Verdict:
    correct: bool
    message: str  # what the panel says under the answer


def parse_number(text: str) -> float | None:
    """The number in ``text`` or None; allows a decimal comma and a unicode minus."""
    s = str(text).strip().replace("−", "-").replace("–", "-").replace(" ", "")
    if "," in s and "." not in s:
        s = s.replace(",", ".")
    if not _NUMBER.fullmatch(s):
        return None
    v = float(s)
    return v if math.isfinite(v) else None


def expected(answer: Answer, state, ui=None):
    """The right answer now: a number (from the engine or the file), a choice or a text."""
    if answer.kind == "number":
        return fact(state, answer.fact, ui) if answer.fact else answer.value
    if answer.kind == "choice":
        return answer.choices[answer.correct]
    return answer.texts[0]


def decimals(tol: float) -> int:
    """Digits after the point that make a tolerance visible: 5e-4 -> 4, 0.01 -> 2."""
    return min(max(math.ceil(-math.log10(tol)), 0), 10)


def expected_text(answer: Answer, state, ui=None) -> str:
    """The right answer as the 'Show answer' button shows it."""
    value = expected(answer, state, ui)
    if answer.kind != "number":
        return str(value)
    if value is None:
        return "not available in the current state"
    return f"{value:.{decimals(answer.tol)}f}"


def judge(answer: Answer, given, state, ui=None) -> Verdict:
    """``given``: the typed text (number, text) or the chosen index (choice; None = none)."""
    if answer.kind == "choice":
        if given is None:
            return Verdict(False, "Choose one of the answers first.")
        return Verdict(given == answer.correct, "")
    if answer.kind == "text":
        typed = str(given).strip().casefold()
        if not typed:
            return Verdict(False, "Type an answer first.")
        return Verdict(typed in {t.strip().casefold() for t in answer.texts}, "")
    value = parse_number(given)
    if value is None:
        return Verdict(False, f"“{str(given).strip()}” is not a number (e.g. 0.4462).")
    want = expected(answer, state, ui)
    if want is None:
        return Verdict(False, "The number asked for is not available in the current state.")
    return Verdict(abs(value - want) <= answer.tol, "")
