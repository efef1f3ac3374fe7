"""The "AI Planet" tutorial's network, written out here from the tutorial (not taken from
rnnviz.presets), for the panel tests that check its numbers."""

from __future__ import annotations

import numpy as np

from rnnviz.engine.spec import Spec
from rnnviz.engine.trace import Config


def ai_planet_spec() -> Spec:
    E = np.zeros((10, 3))
    E[1] = [0.1, 0.2, 0.3]
    for i in range(2, 10):  # any distinct rows: the tutorial gives only "AI"
        E[i] = [0.1 * ((3 * i) % 10), 0.1 * ((7 * i) % 10), 0.1 * ((9 * i) % 10)]
    vocab = ("<unk>", "AI", "Planet", "Bootcamps", "are", "free", "and", "available", "to", "all")
    params = dict(
        W_xh=[[0.5, 0.6, 0.7], [0.8, 0.9, 1.0]],
        W_hh=[[0.1, 0.2], [0.3, 0.4]],
        b_h=[0.1, 0.2],
        W_hy=[[0.2, 0.3], [0.4, 0.5]],
        b_y=[0.3, 0.4],
        E=E.tolist(),
    )
    return Spec(
        name="AI Planet",
        text="AI Planet Bootcamps are free and available to all",
        vocab=vocab,
        encoding="embedding",
        embedding_size=3,
        hidden_size=2,
        params=params,
        task="many-to-one",
        classes=("negative", "positive"),
        label="positive",
        config=Config(head="sigmoid", loss="bce"),
    )
