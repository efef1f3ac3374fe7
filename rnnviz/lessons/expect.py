"""Expectations on facts: does ``{"at_least": 50}`` hold for ``trained_steps``? (Qt-free)

An expectation is a literal (equality; numbers agree within a relative
tolerance of 1e-9) or an object with one operator:

    {"at_least": x}  value >= x          {"near": x, "tol": t}  |value - x| <= t
    {"at_most": x}   value <= x          {"one_of": [a, b]}     value equals one of them
    {"contains": s}  s is in the value (a substring of a string, an item of a list)

A fact that is None (not available) satisfies nothing. ``unmet`` turns the
expectations that fail into short reasons for the lesson panel, in the
learner's terms ("cursor is at t = 1, want t = 3").
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

OPERATORS = ("at_least", "at_most", "near", "one_of", "contains")
NEAR_TOL = 1e-6  # when "near" has no "tol"
REL_TOL = 1e-9  # equality of numbers

# facts with a friendlier name in the status line
LABELS = {
    "trained_steps": "training steps done",
    "lab_threshold": "the clipping lab threshold",
    "lab_steps_run": "clipping lab steps run",
    "lab_diverged": "diverged lab runs",
    "visible": "panels in front",
    "selected_unit": "selected unit",
    "total_loss": "total loss",
    "sigma_max": "σ_max(W_hh)",
    "unk_count": "<unk> tokens",
    "token_count": "tokens",
    "hidden_size": "hidden size",
}


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _equal(value, want) -> bool:
    if _is_number(value) and _is_number(want):
        return math.isclose(value, want, rel_tol=REL_TOL, abs_tol=1e-12)
    if isinstance(value, bool) or isinstance(want, bool):
        return value is want
    if isinstance(value, list | tuple) and isinstance(want, list | tuple):
        return len(value) == len(want) and all(map(_equal, value, want))
    return value == want


def holds(expect, value) -> bool:
    """True when ``value`` meets ``expect`` (a literal or a one-operator object)."""
    if value is None:
        return expect is None
    if not isinstance(expect, Mapping):
        return _equal(value, expect)
    (op, want), *_ = expect.items()
    if op == "one_of":
        return any(_equal(value, w) for w in want)
    if op == "contains":
        if isinstance(value, str):
            return isinstance(want, str) and want in value
        return isinstance(value, list | tuple) and any(_equal(v, want) for v in value)
    if not _is_number(value) or not math.isfinite(value):
        return False
    if op == "at_least":
        return value >= want
    if op == "at_most":
        return value <= want
    if op == "near":
        return abs(value - want) <= expect.get("tol", NEAR_TOL)
    raise ValueError(f"unknown expectation {op!r}")


# -- validation (used by the lesson loader) -----------------------------------------------------
def check_expect(expect, kind: str, domain: tuple | None = None) -> str | None:
    """What is wrong with ``expect`` for a fact of ``kind``, or None when it is fine."""
    if isinstance(expect, Mapping):
        ops = [k for k in expect if k != "tol"]
        if len(ops) != 1 or ops[0] not in OPERATORS:
            return (
                f"an expectation object has exactly one of {', '.join(OPERATORS)} "
                f"(found {', '.join(map(repr, expect)) or 'none'})"
            )
        op, want = ops[0], expect[ops[0]]
        if "tol" in expect and op != "near":
            return '"tol" goes only with "near"'
        if op in ("at_least", "at_most", "near"):
            if kind not in ("int", "number"):
                return f'"{op}" needs a numeric fact, and this one is text or a list'
            if not _is_number(want):
                return f'"{op}" needs a number, not {want!r}'
            tol = expect.get("tol", NEAR_TOL)
            if not _is_number(tol) or tol < 0:
                return f'"tol" must be a number >= 0, not {tol!r}'
            return None
        if op == "one_of":
            if not isinstance(want, list) or not want:
                return '"one_of" needs a non-empty list of values'
            return next((p for w in want if (p := _check_literal(w, kind, domain))), None)
        if kind == "list":  # contains
            return _check_literal(want, "str", domain)
        if kind != "str" or not isinstance(want, str):
            return '"contains" needs a text or list fact and a string'
        return None
    return _check_literal(expect, kind, domain)


def _check_literal(want, kind: str, domain: tuple | None) -> str | None:
    if want is None:
        return None  # "this fact is not available / not set" (e.g. truncation: null)
    if kind in ("int", "number"):
        return None if _is_number(want) else f"this fact is a number, not {want!r}"
    if kind == "list":
        if not isinstance(want, list):
            return 'this fact is a list: compare it with a list or {"contains": ...}'
        return next((p for w in want if (p := _check_literal(w, "str", domain))), None)
    if not isinstance(want, str):
        return f"this fact is text, not {want!r}"
    if domain is not None and want not in domain:
        from ._schema import did_you_mean

        return f'"{want}" is not a possible value (one of {", ".join(domain)})' + did_you_mean(
            want, domain
        )
    return None


# -- reasons for the status line -----------------------------------------------------------------
def _show(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(map(_show, v)) + "]" if v else "none"
    return "null" if v is None else str(v)


def describe_expect(expect, shift: int = 0) -> str:
    """'3', '≥ 50', '≈ 1 (± 0.1)', 'one of a, b', 'to contain math' (numbers + ``shift``)."""

    def n(x):
        return _show(x + shift if _is_number(x) else x)

    if not isinstance(expect, Mapping):
        return n(expect)
    (op, want), *_ = ((k, v) for k, v in expect.items() if k != "tol")
    if op == "at_least":
        return f"≥ {n(want)}"
    if op == "at_most":
        return f"≤ {n(want)}"
    if op == "near":
        return f"≈ {n(want)} (± {_show(expect.get('tol', NEAR_TOL))})"
    if op == "one_of":
        return "one of " + ", ".join(map(n, want))
    return f"to contain {want}"


def reason(name: str, expect, value) -> str:
    """One unmet expectation in words: 'cursor is at t = 1, want t = 3'."""
    if name in ("t", "cursor"):
        shift = 1 if name == "cursor" else 0
        now = "?" if value is None else _show(value + shift)
        want = describe_expect(expect, shift)
        sep = "" if isinstance(expect, Mapping) and "one_of" not in expect else "= "
        return f"cursor is at t = {now}, want t {sep}{want}"
    label = LABELS.get(name, name)
    if name == "selected_unit":  # every panel numbers the units from 1
        now = "none" if value is None else _show(value + 1)
        return f"{label} is {now}, want {describe_expect(expect, 1)}"
    if value is None:
        return f"{label} is not available yet"
    if isinstance(expect, Mapping) and "contains" in expect:
        return f"{label}: {_show(value)}; want {_show(expect['contains'])} among them"
    return f"{label} is {_show(value)}, want {describe_expect(expect)}"


def unmet(when: Mapping, facts: Mapping) -> list[str]:
    """Reasons for every expectation of ``when`` that ``facts`` (name -> value) do not meet."""
    return [reason(k, e, facts.get(k)) for k, e in when.items() if not holds(e, facts.get(k))]
