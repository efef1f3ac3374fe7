"""The rnnviz engine: a vanilla RNN in pure NumPy, with every intermediate kept.

    >>> from rnnviz.engine import Spec, build, run
    >>> built = build(Spec(text="hello", level="char", hidden_size=3))
    >>> trace = run(built.params, built.sample, built.config)
    >>> trace.hs.shape            # hidden states h_1..h_T, one row per timestep
    (4, 3)

No Qt anywhere under this package: it works in a notebook or a script.
"""

from . import gradcheck  # the module: gradcheck.check(params, sample, config)
from .clipping import ClipRecord, clip, global_norm
from .forward import ForwardPass, forward
from .generate import Generation, generate
from .init import init_params
from .jacobian import condition, jacobian_norms, sigma_max
from .optimizers import make_optimizer
from .params import Params
from .spec import Built, Example, Spec, build
from .tokenizer import UNK, Vocab, tokenize
from .trace import Config, Sample, Trace, run
from .train import Snapshot, TrainSettings, evaluate, lockstep, train

__all__ = [
    "Built",
    "ClipRecord",
    "Config",
    "Example",
    "ForwardPass",
    "Params",
    "Sample",
    "Spec",
    "Trace",
    "UNK",
    "Vocab",
    "build",
    "clip",
    "condition",
    "forward",
    "global_norm",
    "Generation",
    "Snapshot",
    "TrainSettings",
    "evaluate",
    "generate",
    "lockstep",
    "make_optimizer",
    "train",
    "gradcheck",
    "init_params",
    "jacobian_norms",
    "run",
    "sigma_max",
    "tokenize",
]
