"""Words for the unrolled network diagram: hover texts, column texts, backward captions.

Hover texts carry exact values (``repr``, never rounded); labels in the
scene use 4 significant digits (``fmt``). Kept apart from the scene items so
the wording can change without touching the drawing code.
"""

from __future__ import annotations

import math

import numpy as np

from .diagram_items import NOTATION_LABELS, fmt, metrics, sub, token_text, vector_text

# -- words for the hover texts (exact values: repr, never rounded) ----------------
ROLES = {
    "W_xh": "input → hidden",
    "W_hh": "hidden → hidden, the recurrence",
    "W_hy": "hidden → output",
}


def output_lines(built, trace, t: int) -> tuple[str, str]:
    """The y_t box: predicted class/token and its probability (values for identity)."""
    ys, names = trace.ys[t], built.output_names  # (O,)
    if trace.config.head == "identity":
        return f"ŷ{sub(t + 1)}", vector_text(ys)
    k = 0 if len(ys) == 1 else int(np.argmax(ys))
    return token_text(names[k]), f"p = {fmt(ys[k])}"


def column_texts(built, trace, t: int, width: float) -> dict[str, str]:
    """What step t's column says: token, input vector, prediction, target and loss."""
    onehot, D = built.spec.encoding == "onehot", trace.xs.shape[1]
    # x_t small under its token: the vector if it fits (else elided; hover has all)
    small = vector_text(trace.xs[t, :8]) if D <= 8 else "[" + fmt(trace.xs[t, 0]) + ", …]"
    if onehot and (D > 8 or metrics(12).horizontalAdvance(small) > width):
        small = f"one-hot, id {trace.sample.ids[t]}"
    pred, prob = output_lines(built, trace, t)
    scored = bool(trace.sample.scored[t])
    return {
        "token": token_text(built.tokens[t]),
        "vector": small,
        "pred": pred,
        "prob": prob,
        "target": f"target: {token_text(built.target_tokens[t])}" if scored else "",
        "loss": f"loss {fmt(trace.step_losses[t])}" if scored else "",
    }


def matrix_summary(state, m: str) -> str:
    """One line for the panel's info bar: which matrix, its role, shared by all steps."""
    label, W = NOTATION_LABELS[state.notation][m], getattr(state.analysis.trace.params, m)
    text = (
        f"{label} ({W.shape[0]}×{W.shape[1]}, {ROLES[m]}) is shared by all "
        f"{state.analysis.length} steps"
    )
    if W.size <= 16:
        text += ": [" + ", ".join(vector_text(row) for row in W) + "]"
    return text


def matrix_tip(state, m: str) -> str:
    """Rich text: the matrix is one and the same at every step, and its values."""
    label, W = NOTATION_LABELS[state.notation][m], getattr(state.analysis.trace.params, m)
    rows, cols = W.shape
    text = (
        f"<b>the same {label} ({rows}×{cols}) is used at every step</b><br>"
        f"{ROLES[m]}: all {state.analysis.length} arrows labelled {label} are this one "
        "matrix (shared weights)."
    )
    if W.size > 144:
        return text + f"<br>({W.size} values: too many to list here)"
    # exact values while they fit a tooltip, 4 significant digits up to 12 x 12
    cell = (lambda v: f"{float(v)!r:>22}") if W.size <= 36 else (lambda v: f"{float(v):>10.4g}")
    return text + "<pre>" + "\n".join("".join(cell(v) for v in row) for row in W) + "</pre>"


def hit_tip(state, hit: tuple[str, int, int]) -> str:
    kind, t, u = hit
    trace, built = state.analysis.trace, state.analysis.built
    backward = state.phase == "backward"
    if kind == "unit" and t < 0:
        text = f"h₀, unit {u + 1}\nh₀[{u + 1}] = {float(trace.params.h0[u])!r}  (initial state)"
        return text + (f"\n∂L/∂h₀[{u + 1}] = {float(trace.grads['h0'][u])!r}" if backward else "")
    where = f"step t = {t + 1}, input “{token_text(built.tokens[t])}”"
    if kind == "unit":
        n = sub(t + 1)
        return (
            f"{where}, unit {u + 1}\n"
            f"h{n}[{u + 1}] = {float(trace.hs[t, u])!r}  = {trace.config.activation}(z)\n"
            f"z{n}[{u + 1}] = {float(trace.zs[t, u])!r}  (pre-activation)\n"
            + (_unit_gradient(trace, t, u) if backward else "")
            + "click to select this unit in every panel"
        )
    if kind == "x":
        return _input_tip(built, trace, t)
    if kind == "y":
        return _output_tip(built, trace, t)
    norm = f"‖∂L/∂h{sub(t + 1)}‖ = {float(trace.dh_norms[t])!r}\n" if backward else ""
    return f"{where}\n{norm}click to move the cursor here"


def _unit_gradient(trace, t: int, u: int) -> str:
    """The backward numbers of one unit: its dL/dh in two parts, f'(z) and dL/dz."""
    n, U = sub(t + 1), f"[{u + 1}]"
    carried = (
        " + 0 (the last step: nothing to carry back)"
        if t == trace.length - 1
        else f" + {float(trace.dh_carried[t, u])!r} (carried from h{sub(t + 2)})"
    )
    return (
        f"∂L/∂h{n}{U} = {float(trace.dh[t, u])!r}\n"
        f"   = {float(trace.dh_local[t, u])!r} (from y{n}){carried}\n"
        f"f′(z{n}{U}) = {float(trace.fprime[t, u])!r}\n"
        f"∂L/∂z{n}{U} = f′ · ∂L/∂h = {float(trace.dz[t, u])!r}\n"
    )


# -- the backward pass -------------------------------------------------------------
def short(v: float) -> str:
    """3 significant digits with a compact exponent, for the narrow ||dL/dh|| labels:
    0.0322, 3.22e-4, 1.5e12."""
    v = float(v)
    if not math.isfinite(v) or v == 0.0:
        return "0" if v == 0.0 else repr(v)
    if 1e-3 <= abs(v) < 1e4:
        return f"{v:.3g}"
    mantissa, exponent = f"{v:.2e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def grad_label(value: float) -> str:
    """What an h box says in the backward phase."""
    return f"‖∂L/∂h‖ = {short(value)}"


def gradient_vector(trace, kind: str, t: int) -> np.ndarray:
    """The vector an arrow of the backward pass carries into h_t (t = -1: h_0).

    local: W_hy^T dL/do_t; carried: the part of dL/dh_t that came back from
    h_{t+1} (for h_0 that is all of dL/dh_0). Every one is the trace's array.
    """
    if kind == "local":
        return trace.dh_local[t]  # (H,)
    return trace.grads["h0"] if t < 0 else trace.dh_carried[t]  # (H,)


def arrow_tip(state, kind: str, t: int) -> str:
    """Hover text of a backward arrow: what it carries, its norm and its values (exact)."""
    trace, names = state.analysis.trace, NOTATION_LABELS[state.notation]
    v = gradient_vector(trace, kind, t)
    n, nxt = sub(t + 1), sub(t + 2)
    norm = float(np.linalg.norm(v))
    if kind == "local":
        lines = [
            f"from y{n} back to h{n}: the local part of ∂L/∂h{n}",
            f"= {names['W_hy']}ᵀ·∂L/∂o{n}",
        ]
        if not trace.sample.scored[t]:
            lines.append(f"L{n} is not scored, so nothing arrives from y{n}")
    else:
        lines = [
            f"from h{nxt} back to h{n}: the part of ∂L/∂h{n} carried through time",
            f"= {names['W_hh']}ᵀ·∂L/∂z{nxt} = {names['W_hh']}ᵀ·(f′(z{nxt}) ⊙ ∂L/∂h{nxt})",
        ]
        k = trace.config.truncation
        if k is not None and k < trace.length:
            lines.append(f"TBPTT({k}): only the losses less than {k} steps later reach back")
    lines.append(f"‖·‖ = {norm!r}")
    lines += [f"  [{j + 1}] = {float(x)!r}" for j, x in enumerate(v[:12])]
    return "\n".join(lines + (["  …"] if len(v) > 12 else []))


def truncation_caption(k: int, cursor: int, discarded: np.ndarray) -> tuple[str, str]:
    """(caption, tooltip) for the truncation band; ``discarded`` is (T,)
    ||dL/dh_t with full BPTT − dL/dh_t with TBPTT(k)||, from two engine runs."""
    edge, total = cursor - k, float(np.linalg.norm(discarded))
    lead = f"TBPTT({k}) discards the gradient from earlier steps: ‖discarded‖ = "
    if edge >= 0:
        d = float(discarded[edge])
        text = (
            f"{lead}{fmt(d)} at h{sub(edge + 1)}, just before the band "
            f"(‖∂L/∂h{sub(edge + 1)} full − truncated‖; {fmt(total)} over all steps)"
        )
        tip = f"at h{sub(edge + 1)}: {d!r}\nover all steps: {total!r}"
    else:
        text = (
            f"TBPTT({k}): the loss at t = {cursor + 1} reaches back to t = 1, so nothing is cut "
            f"at the cursor; ‖discarded‖ = {fmt(total)} over all steps"
        )
        tip = f"over all steps: {total!r}"
    why = (
        "\nThe band marks the steps a loss at the cursor can reach. Full BPTT would carry its "
        "gradient further back; truncation drops that part to save memory and time."
    )
    return text, tip + why


def _input_tip(built, trace, t: int) -> str:
    x, ids, enc = trace.xs[t], trace.sample.ids, built.spec.encoding  # (D,)
    head = f"x{sub(t + 1)}: input “{token_text(built.tokens[t])}”"
    if ids is not None:
        head += f" (id {ids[t]})" + (f" = row {ids[t]} of E" if enc == "embedding" else "")
    if enc == "onehot" and len(x) > 16:
        return head + f"\none-hot vector of length {len(x)}: all 0 but a 1 for id {ids[t]}"
    lines = [f"  x[{j + 1}] = {float(v)!r}" for j, v in enumerate(x[:32])]
    return "\n".join([head, *lines] + (["  …"] if len(x) > 32 else []))


def _output_tip(built, trace, t: int) -> str:
    ys, names = trace.ys[t], built.output_names  # (O,)
    order = np.argsort(-ys, kind="stable")[:12] if len(ys) > 12 else range(len(ys))
    lines = [f"ŷ{sub(t + 1)} ({trace.config.head} head)"]
    lines += [f"  {token_text(names[k])}: {float(ys[k])!r}" for k in order]
    if len(ys) > 12:
        lines.append(f"  … ({len(ys) - 12} more)")
    if trace.sample.scored[t]:
        lines.append(f"target: {token_text(built.target_tokens[t])}")
        lines.append(f"loss L{sub(t + 1)} = {float(trace.step_losses[t])!r}")
    else:
        lines.append("this step is not scored (no target)")
    return "\n".join(lines)
