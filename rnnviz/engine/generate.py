"""One-to-many generation: the network writes, one token at a time.

The seed is first fed as usual (teacher forcing) to set up the state h. Then,
repeatedly, with o the latest logits:

    p    = softmax(o / tau)           tau = temperature: < 1 sharper, > 1 flatter
    id   ~ p  (or argmax o, greedy)    the next token
    x    = onehot(id) or E[id]         ... becomes the next input
    h    = f(W_hh h + W_xh x + b_h),  o = W_hy h + b_y

as in Karpathy's min-char-rnn ``sample``. A numeric next-token model (an
identity head predicting the next row of a series) feeds its output vector y
straight back as the next input instead.

The result holds a ``Sample`` of everything that was fed (seed, then every
generated token but the last, which nothing has read yet). Its targets are the
next tokens, so ``trace.run`` on it reproduces the hidden states shown here and
the diagram can follow the generation; ``outputs[k]`` and ``probabilities[k]``
belong to row ``seed_length - 1 + k`` of that trace.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .encoding import one_hot, parse_series
from .forward import forward
from .functions import activate, head
from .params import Params, frozen
from .spec import MAX_TOKENS, Built
from .tokenizer import Vocab, tokenize
from .trace import Config, Sample

_QUIET = {"over": "ignore", "invalid": "ignore", "under": "ignore", "divide": "ignore"}


@dataclass(frozen=True, eq=False)
class Generation:
    seed_tokens: tuple[str, ...]  # the prompt as the network saw it (<unk> included)
    tokens: tuple[str, ...]  # the generated tokens (numeric: formatted vectors)
    ids: np.ndarray | None  # (steps,) generated token ids; None for numeric
    probabilities: np.ndarray | None  # (steps, V) softmax(o / tau) each token came from
    outputs: np.ndarray  # (steps, O) y at each generating step
    hs: np.ndarray  # (T, H) hidden states along ``sample``
    sample: Sample  # the whole fed sequence, T = seed + steps - 1
    seed_length: int
    separator: str = " "  # "" for characters, " " for words

    @property
    def text(self) -> str:
        """The generated continuation as text."""
        return self.separator.join(self.tokens)

    @property
    def full_text(self) -> str:
        return self.separator.join(self.seed_tokens + self.tokens)


def _check(params, config, steps, temperature) -> None:
    if not isinstance(params, Params):
        raise ValueError(f"generation needs Params, not {type(params).__name__}")
    if not isinstance(config, Config):
        raise ValueError(f"generation needs a Config, not {type(config).__name__}")
    if not params.all_finite():
        raise ValueError("the weights contain numbers that are not finite; reset them first")
    if (
        isinstance(steps, bool)
        or not isinstance(steps, numbers.Integral)
        or not (1 <= steps <= MAX_TOKENS)
    ):
        raise ValueError(f"steps must be a whole number from 1 to {MAX_TOKENS}, not {steps!r}")
    t = temperature
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or not (np.isfinite(t) and t > 0):
        raise ValueError(f"the temperature must be a positive finite number, not {t!r}")


def _rng(rng, greedy: bool) -> np.random.Generator | None:
    """The sampler's generator (None when greedy); a whole number is taken as a seed."""
    if greedy:
        return None
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            "sampling needs a random generator: pass rng=np.random.default_rng(seed) "
            "or a whole-number seed, or use greedy=True"
        )
    return rng


def generate(
    params: Params,
    config: Config,
    source: Built | Vocab | None,
    seed,
    steps: int,
    temperature: float = 1.0,
    greedy: bool = False,
    rng: np.random.Generator | int | None = None,
) -> Generation:
    """Feed ``seed``, then generate ``steps`` more tokens (or vectors).

    ``source`` says how outputs become inputs: a ``Built`` next-token spec
    (its vocabulary, encoding and tokenizer), a bare ``Vocab`` (one-hot, or
    the embedding E when ``params`` has one), or None / a numeric spec's
    ``Built`` for a numeric series. ``seed`` is text (tokenized as the spec
    says), a list of tokens, or for numeric models an array (T0, D) or text.
    """
    _check(params, config, steps, temperature)
    if isinstance(source, Built) and source.spec.task != "next-token":
        raise ValueError(f"generation needs a next-token model; this one is {source.spec.task}")
    numeric = source is None or (isinstance(source, Built) and source.vocab is None)
    if numeric:
        return _numeric(params, config, seed, steps)
    vocab, separator, ids = _seed_ids(source, seed)
    if params.output_size != len(vocab):
        raise ValueError(
            f"the network has {params.output_size} outputs but the vocabulary has "
            f"{len(vocab)} tokens: generation needs a next-token model"
        )
    encode = _encoder(params, vocab)
    rng = _rng(rng, greedy)
    return _tokens(params, config, vocab, encode, ids, steps, float(temperature), rng, separator)


def _seed_ids(source, seed) -> tuple[Vocab, str, list[int]]:
    """The vocabulary, the token separator and the seed's ids (unknown -> <unk>)."""
    if isinstance(source, Built):
        vocab, spec = source.vocab, source.spec
        separator = "" if spec.level == "char" else " "
        if isinstance(seed, str):
            seed = tokenize(seed, spec.level, spec.lowercase, spec.punctuation)
    elif isinstance(source, Vocab):
        vocab = source
        single = all(len(t) == 1 for t in vocab.tokens if t != vocab.unk)
        separator = "" if single else " "
        if isinstance(seed, str):
            raise ValueError("with a bare vocabulary, give the seed as a list of tokens")
    else:
        raise ValueError(f"generation needs a Built spec or a Vocab, not {type(source).__name__}")
    if not isinstance(seed, Sequence) or not all(isinstance(t, str) for t in seed):
        raise ValueError(f"the seed must be text or a list of tokens, not {seed!r}")
    seed = list(seed)
    if not seed:
        raise ValueError("the seed is empty: give at least one token to start from")
    if len(seed) > MAX_TOKENS:
        raise ValueError(f"the seed has {len(seed)} tokens; at most {MAX_TOKENS} fit")
    for pos, tok in enumerate(seed, start=1):
        if tok not in vocab and vocab.unk is None:
            known = ", ".join(repr(t) for t in vocab.tokens[:12])
            raise ValueError(
                f"seed token {pos} ({tok!r}) is not in the vocabulary, which has "
                f"no <unk>; known tokens include {known}"
            )
    return vocab, separator, vocab.encode(seed)


def _encoder(params: Params, vocab: Vocab):
    """ids -> input rows: E[ids] with an embedding, else one-hot columns."""
    if params.E is not None:
        if params.E.shape[0] != len(vocab):
            raise ValueError(
                f"the embedding has {params.E.shape[0]} rows but the vocabulary "
                f"has {len(vocab)} tokens"
            )
        return lambda ids: params.E[np.asarray(ids, dtype=int)].copy()  # (n, D)
    if params.input_size != len(vocab):
        raise ValueError(
            f"the network takes {params.input_size} inputs but one-hot vectors "
            f"over this vocabulary have {len(vocab)}"
        )
    return lambda ids: one_hot(ids, len(vocab))  # (n, V)


def _ids(ids: list[int]) -> np.ndarray:
    out = np.array(ids, dtype=int)  # (steps,) read-only, like every array we hand out
    out.flags.writeable = False
    return out


def _cell(params: Params, x: np.ndarray, h: np.ndarray, activation: str):
    """One step, the same arithmetic as ``forward``: (h_t, o_t)."""
    z = x @ params.W_xh.T + params.b_h  # (H,)
    z += h @ params.W_hh.T
    h = activate(activation, z)  # (H,)
    return h, h @ params.W_hy.T + params.b_y  # (H,), (O,)


def _distribution(o: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(o / tau), shifted first so a tiny tau cannot overflow exp."""
    e = np.exp((o - o.max()) / temperature)  # (V,) largest entry is exp(0) = 1
    return e / e.sum()


def _tokens(params, config, vocab, encode, ids, steps, temperature, rng, separator):
    T0, act = len(ids), config.activation
    with np.errstate(**_QUIET):
        fwd = forward(params, encode(ids), act, config.head)  # teacher forcing
        hs, outs = list(fwd.hs), list(fwd.ys)
        h, o = fwd.hs[-1], fwd.logits[-1]
        new, probs = [], []
        for k in range(steps):
            if not np.isfinite(o).all():
                raise ValueError(
                    f"generation step {k + 1}: the outputs overflowed (they are "
                    "not finite numbers); the weights are too large"
                )
            p = _distribution(o, temperature)  # (V,)
            i = int(np.argmax(o)) if rng is None else int(rng.choice(len(p), p=p))
            new.append(i)
            probs.append(p)
            if k < steps - 1:  # the last token is generated but not fed back
                h, o = _cell(params, encode([i])[0], h, act)
                hs.append(h)
                outs.append(head(config.head, o))
    fed = ids + new[:-1]
    sample = Sample(
        encode(fed),
        one_hot(ids[1:] + new, len(vocab)),
        np.ones(len(fed), bool),
        tuple(vocab.decode(fed)),
        np.array(fed),
    )
    return Generation(
        tuple(vocab.decode(ids)),
        tuple(vocab.decode(new)),
        _ids(new),
        frozen(probs),
        frozen(outs[T0 - 1 :]),
        frozen(hs),
        sample,
        T0,
        separator,
    )


def _series(seed, D: int) -> np.ndarray:
    if isinstance(seed, str):
        return parse_series(seed)
    try:
        xs = np.array(seed, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"the seed must be numbers, not {seed!r}") from None
    if xs.ndim == 1:  # a column of a single feature, or one step of D features
        xs = xs[:, None] if D == 1 else xs[None, :]
    if xs.ndim != 2 or xs.size == 0 or not np.isfinite(xs).all():
        raise ValueError("the seed must be a non-empty table of finite numbers (T, D)")
    if len(xs) > MAX_TOKENS:
        raise ValueError(f"the seed has {len(xs)} steps; at most {MAX_TOKENS} fit")
    return xs


def _numeric(params: Params, config: Config, seed, steps: int) -> Generation:
    D = params.input_size
    if params.output_size != D:
        raise ValueError(
            f"the network has {D} inputs but {params.output_size} outputs: feeding "
            "outputs back needs a next-step model with as many of each"
        )
    xs = _series(seed, D)  # (T0, D)
    if xs.shape[1] != D:
        raise ValueError(f"the seed has {xs.shape[1]} numbers per step; the network takes {D}")
    with np.errstate(**_QUIET):  # a diverging series is shown, not raised
        fwd = forward(params, xs, config.activation, config.head)
        hs, ys, h = list(fwd.hs), list(fwd.ys), fwd.hs[-1]
        for _ in range(steps - 1):
            h, o = _cell(params, ys[-1], h, config.activation)
            hs.append(h)
            ys.append(head(config.head, o))
    T0 = len(xs)
    outputs = np.array(ys[T0 - 1 :])  # (steps, D) each generated vector
    fed = np.vstack([xs, outputs[:-1]])  # (T0 + steps - 1, D)
    targets = np.vstack([xs[1:], outputs])
    text = tuple(", ".join(f"{v:g}" for v in row) for row in outputs)
    sample = Sample(
        fed,
        targets,
        np.ones(len(fed), bool),
        tuple(", ".join(f"{v:g}" for v in row) for row in fed),
        None,
    )
    return Generation(
        tuple(sample.tokens[:T0]), text, None, None, frozen(outputs), frozen(hs), sample, T0, "; "
    )
