"""An experiment, fully described: the ``Spec`` a session file holds.

``build(spec)`` turns it into everything the engine needs: the vocabulary,
the sample for the sentence on screen, the training samples, the weights and
the ``Config``. It is the single place where text becomes numbers.

Tasks
* ``many-to-one``: only the last step is scored (sentiment); ``label`` is
  the target.
* ``many-to-many``: every step with a tag is scored (tagging); a tag of
  ``None`` leaves that step unscored.
* ``next-token``: the targets are the inputs shifted by one (language
  modelling): T + 1 tokens give T steps, as the "hello" tutorial feeds
  h, e, l, l to predict e, l, l, o. With a numeric series the next row is
  the target.

A label or tag is a class name (one-hot over ``classes``), a number, or a
list of numbers (the raw target vector).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .encoding import ENCODINGS, embed, one_hot, parse_series
from .init import SCHEMES, init_params
from .params import NAMES, Params, expand_scalar
from .tokenizer import LEVELS, PUNCTUATION_MODES, UNK, Vocab, tokenize
from .trace import Config, Sample

TASKS = ("many-to-one", "many-to-many", "next-token")
MAX_TOKENS = 2000  # longer inputs are refused with a message, not a frozen window
MAX_HIDDEN = 512
MAX_INPUT = 4096


@dataclass(frozen=True)
class Example:
    """One training sequence: its text and its label (many-to-one) or tags."""

    text: str
    label: object = None
    tags: tuple | None = None


@dataclass(frozen=True)
class Spec:
    name: str = "untitled"
    description: str = ""
    text: str = "hello"
    # how text becomes tokens and vectors
    level: str = "word"
    lowercase: bool = False
    punctuation: str = "drop"
    vocab: tuple[str, ...] | None = None  # explicit, index = id; else built from the data
    use_unk: bool = True
    encoding: str = "onehot"
    embedding_size: int = 8
    # the network
    hidden_size: int = 8
    output_size: int | None = None  # only for raw numeric targets without classes
    classes: tuple[str, ...] = ()
    task: str = "next-token"
    label: object = None
    tags: tuple | None = None
    config: Config = field(default_factory=Config)
    # weights: explicit arrays (scalars allowed for W_hh, b_h), or a seeded init
    params: dict | None = None
    seed: int = 0
    init: str = "xavier"
    sigma_max: float | None = None
    # training
    dataset: tuple[Example, ...] = ()
    training: dict = field(default_factory=dict)

    def with_(self, **changes) -> Spec:
        return replace(self, **changes)


@dataclass(frozen=True, eq=False)
class Built:
    """What ``build`` derives from a Spec; immutable."""

    spec: Spec
    vocab: Vocab | None
    tokens: tuple[str, ...]  # the displayed input tokens (T of them)
    target_tokens: tuple[str, ...]  # a readable target per step ('' when unscored)
    sample: Sample
    samples: tuple[Sample, ...]  # the training set (the displayed sample if none)
    params: Params
    config: Config
    output_names: tuple[str, ...]  # name of each output unit


def validate(spec: Spec) -> None:
    """Raise ValueError naming the first setting that cannot work."""
    checks = [
        (spec.level in LEVELS, f"level must be 'word' or 'char', not {spec.level!r}"),
        (spec.punctuation in PUNCTUATION_MODES, "punctuation must be 'drop' or 'keep'"),
        (spec.encoding in ENCODINGS, f"encoding must be one of {', '.join(ENCODINGS)}"),
        (spec.task in TASKS, f"task must be one of {', '.join(TASKS)}"),
        (spec.init in SCHEMES, f"init must be one of {', '.join(SCHEMES)}"),
        (
            _whole(spec.hidden_size, 1, MAX_HIDDEN),
            f"hidden size must be a whole number from 1 to {MAX_HIDDEN}, not {spec.hidden_size!r}",
        ),
        (
            _whole(spec.embedding_size, 1, MAX_INPUT),
            f"embedding size must be a whole number from 1 to {MAX_INPUT}, "
            f"not {spec.embedding_size!r}",
        ),
        (
            spec.output_size is None or _whole(spec.output_size, 1, MAX_INPUT),
            f"output size must be a whole number from 1 to {MAX_INPUT}",
        ),
        (
            isinstance(spec.seed, int) and not isinstance(spec.seed, bool) and spec.seed >= 0,
            f"seed must be a whole number >= 0, not {spec.seed!r}",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(message)


def _whole(v, lo: int, hi: int) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def build(spec: Spec) -> Built:
    validate(spec)
    if spec.encoding == "numeric":
        return _build_numeric(spec)
    texts = [spec.text] + [e.text for e in spec.dataset]
    token_lists = [tokenize(t, spec.level, spec.lowercase, spec.punctuation) for t in texts]
    vocab = _vocab(spec, token_lists)
    names, O = _outputs(spec, vocab)
    D = len(vocab) if spec.encoding == "onehot" else spec.embedding_size
    params = _params(spec, D, O, len(vocab) if spec.encoding == "embedding" else None)
    sample, target_tokens = _sample(
        spec, vocab, token_lists[0], spec.label, spec.tags, params, names, what="the text"
    )
    samples = tuple(
        _sample(spec, vocab, toks, ex.label, ex.tags, params, names, what=f"training example {i}")[
            0
        ]
        for i, (ex, toks) in enumerate(zip(spec.dataset, token_lists[1:], strict=True), start=1)
    )
    shown = tuple(token_lists[0][:-1] if spec.task == "next-token" else token_lists[0])
    return Built(
        spec, vocab, shown, target_tokens, sample, samples or (sample,), params, spec.config, names
    )


def _vocab(spec: Spec, token_lists: list[list[str]]) -> Vocab:
    if spec.vocab is not None:
        return Vocab(tuple(spec.vocab), UNK if UNK in spec.vocab else None)
    # with a dataset, the vocabulary is what the model was trained on; typed words may be <unk>
    source = token_lists[1:] if spec.dataset else token_lists[:1]
    vocab = Vocab.build([t for toks in source for t in toks], UNK if spec.use_unk else None)
    if len(vocab) > MAX_INPUT:
        raise ValueError(f"the vocabulary has {len(vocab)} entries; at most {MAX_INPUT} fit")
    return vocab


def _outputs(spec: Spec, vocab: Vocab | None) -> tuple[tuple[str, ...], int]:
    if spec.task == "next-token" and vocab is not None:
        return vocab.tokens, len(vocab)
    if spec.classes:
        return tuple(spec.classes), len(spec.classes)
    if spec.output_size is None:
        raise ValueError(f"the {spec.task} task needs class names or an output size")
    return tuple(f"y{j + 1}" for j in range(spec.output_size)), spec.output_size


def _params(spec: Spec, D: int, O: int, V: int | None) -> Params:
    H = spec.hidden_size
    if spec.params is None:
        return init_params(np.random.default_rng(spec.seed), D, H, O, V, spec.init, spec.sigma_max)
    shapes = {"W_xh": (H, D), "W_hh": (H, H), "b_h": (H,), "W_hy": (O, H), "b_y": (O,), "h0": (H,)}
    if V is not None:
        shapes["E"] = (V, D)
    unknown = set(spec.params) - set(NAMES)
    if unknown:
        raise ValueError(f"unknown parameter {sorted(unknown)[0]!r}; known: {', '.join(NAMES)}")
    given = {}
    for name, shape in shapes.items():
        if name in spec.params:
            given[name] = expand_scalar(spec.params[name], shape, name)
        elif name in ("b_h", "b_y", "h0"):
            given[name] = np.zeros(shape)
        else:
            raise ValueError(f"explicit parameters must include {name} {shape}")
    if "E" in spec.params and V is None:
        raise ValueError("E is given but the encoding is not 'embedding'")
    p = Params(**given)
    if not p.all_finite():
        bad = next(n for n, a in p.as_dict().items() if not np.isfinite(a).all())
        raise ValueError(f"{bad} contains a number that is not finite")
    return p


def _sample(spec, vocab, tokens, label, tags, params, names, what):
    if not tokens:
        raise ValueError(
            f"{what} is empty: type at least one word"
            if spec.level == "word"
            else f"{what} is empty: type at least one character"
        )
    if len(tokens) > MAX_TOKENS:
        raise ValueError(f"{what} has {len(tokens)} tokens; rnnviz shows at most {MAX_TOKENS}")
    ids = vocab.encode(tokens)
    O = len(names)
    if spec.task == "next-token":
        if len(ids) < 2:
            raise ValueError(f"{what} needs at least two tokens to predict the next one")
        inputs, targets = ids[:-1], one_hot(ids[1:], O)
        scored = np.ones(len(inputs), dtype=bool)
        target_tokens = tuple(vocab.tokens[i] for i in ids[1:])
    else:
        inputs = ids
        targets, scored, target_tokens = _targets(spec, len(ids), label, tags, names, what)
    xs = one_hot(inputs, len(vocab)) if spec.encoding == "onehot" else embed(inputs, params.E)
    return Sample(xs, targets, scored, tuple(vocab.decode(inputs)), np.array(inputs)), target_tokens


def _targets(spec, T, label, tags, names, what):
    O = len(names)
    targets = np.full((T, O), np.nan)
    scored = np.zeros(T, dtype=bool)
    readable = [""] * T
    if spec.task == "many-to-one":
        if label is not None:
            targets[-1], readable[-1] = _target_vector(label, names, f"{what}'s label")
            scored[-1] = True
    elif tags is not None:
        if len(tags) != T:
            raise ValueError(f"{what} has {T} tokens but {len(tags)} tags")
        for t, tag in enumerate(tags):
            if tag is not None:
                targets[t], readable[t] = _target_vector(tag, names, f"{what}'s tag {t + 1}")
                scored[t] = True
    return targets, scored, tuple(readable)


def _target_vector(value, names, where):
    """A class name, a number or a list of numbers -> (target (O,), readable text)."""
    O = len(names)
    if isinstance(value, str):
        if value not in names:
            raise ValueError(f"{where} {value!r} is not one of the classes {', '.join(names)}")
        return one_hot([names.index(value)], O)[0], value
    vec = np.atleast_1d(np.asarray(value, dtype=float))
    if vec.shape == (1,) and O > 1 and float(vec[0]).is_integer() and 0 <= vec[0] < O:
        return one_hot([int(vec[0])], O)[0], names[int(vec[0])]  # a class index
    if vec.shape != (O,) or not np.isfinite(vec).all():
        raise ValueError(f"{where} must be a class name or {O} finite numbers, not {value!r}")
    return vec, ", ".join(f"{v:g}" for v in vec)


def _build_numeric(spec: Spec) -> Built:
    series = parse_series(spec.text)  # (T+?, D)
    if len(series) > MAX_TOKENS:
        raise ValueError(f"the series has {len(series)} steps; rnnviz shows at most {MAX_TOKENS}")
    D = series.shape[1]
    if spec.task == "next-token":
        if len(series) < 2:
            raise ValueError("the series needs at least two steps to predict the next one")
        xs, targets = series[:-1], series[1:]
        names = tuple(f"x{j + 1}" for j in range(D))
        scored = np.ones(len(xs), dtype=bool)
        readable = tuple(", ".join(f"{v:g}" for v in row) for row in targets)
    else:
        names, _ = _outputs(spec, None)
        xs = series
        targets, scored, readable = _targets(
            spec, len(xs), spec.label, spec.tags, names, "the series"
        )
    params = _params(spec, D, len(names), None)
    tokens = tuple(", ".join(f"{v:g}" for v in row) for row in xs)
    sample = Sample(xs, targets, scored, tokens, None)
    return Built(spec, None, tokens, readable, sample, (sample,), params, spec.config, names)


def with_params(built: Built, params: Params) -> Built:
    """``built`` with other weights of the same shapes (e.g. after training).

    With an embedding the input vectors x_t = E[id_t] depend on the weights,
    so every sample's ``xs`` is recomputed from the new E.
    """
    old = built.params
    for name in old.names():
        a, b = getattr(old, name), getattr(params, name, None)
        if b is None or a.shape != b.shape:
            raise ValueError(f"the weights do not fit this network: {name} must be {a.shape}")

    def resample(sample: Sample) -> Sample:
        if params.E is None or sample.ids is None:
            return sample
        return Sample(
            embed(sample.ids, params.E), sample.targets, sample.scored, sample.tokens, sample.ids
        )

    return replace(
        built,
        params=params,
        sample=resample(built.sample),
        samples=tuple(resample(s) for s in built.samples),
    )
