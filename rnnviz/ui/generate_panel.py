"""Generation (one-to-many): the network writes, one token at a time.

The seed text is fed as usual; then each output distribution
p = softmax(o_t / tau) picks the next token (sampled, or the most likely one
when greedy) and that token becomes the next input (Karpathy's min-char-rnn
``sample``). The engine's ``generate`` does all of it; this panel only asks
for it with the weights on screen (trained ones if any) and hands the result
to ``session.show_generation``, so the diagram, the hidden state and every
other panel follow the generated sequence. "Back to my text" returns to the
typed input with the same weights.

Sampling is reproducible: the random generator is
``np.random.default_rng(seed)`` with the seed shown, so the same seed,
temperature and weights always write the same text.
"""

from __future__ import annotations

from html import escape

import numpy as np
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ..engine.generate import generate
from ..engine.spec import MAX_TOKENS
from ..session import Session
from .input_widgets import MessageArea

SEED_GREY = "#808080"  # reads on the light and the dark theme
EXPLAIN = (
    "Generation needs a <b>next-token</b> model: one that predicts the next token after every "
    "step, so that each prediction can be fed back in as the next input. This network is "
    "<b>{task}</b>. Load “hello”, “ice-cream” or “exploding” to watch a network write."
)


class GeneratePanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = session.state
        self._seed_for: str | None = None  # the experiment whose default seed is shown
        self._build_layout()
        self.state.events.spec.connect(self._on_spec_changed)
        self.state.events.generation.connect(self._on_generation_changed)
        self.state.events.current_params.connect(self._on_current_params_changed)
        self._on_spec_changed(self.state.spec)
        self._on_current_params_changed(self.state.current_params)
        self._on_generation_changed(self.state.generation)

    # -- building -------------------------------------------------------------
    def _build_layout(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()  # a short dock scrolls instead of clipping the text
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 6, 8, 6)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        layout.addWidget(self.explanation)
        self.weights_note = QLabel()
        self.weights_note.setWordWrap(True)
        layout.addWidget(self.weights_note)
        self.form = QWidget()
        form = QFormLayout(self.form)
        form.setContentsMargins(0, 0, 0, 0)
        self.seed_edit = QLineEdit()
        self.seed_edit.setToolTip("Fed first, as usual; the network continues from there")
        self.seed_edit.returnPressed.connect(self._on_generate)
        form.addRow("Seed text", self.seed_edit)
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, MAX_TOKENS)
        self.steps_spin.setToolTip("How many tokens to generate after the seed")
        form.addRow("Tokens", self.steps_spin)
        self.temperature_spin = QDoubleSpinBox()
        self.temperature_spin.setRange(0.05, 5.0)
        self.temperature_spin.setSingleStep(0.05)
        self.temperature_spin.setValue(1.0)
        self.temperature_spin.setToolTip(
            "p = softmax(o / τ): below 1 sharper (safer), above 1 flatter (more surprising)"
        )
        self.greedy_check = QCheckBox("greedy: always the most likely token")
        self.greedy_check.toggled.connect(self._update_enabled)
        form.addRow("Temperature τ", self.temperature_spin)
        form.addRow("", self.greedy_check)
        self.rng_spin = QSpinBox()
        self.rng_spin.setRange(0, 2**31 - 1)
        self.rng_spin.setToolTip("The random generator's seed: the same seed writes the same text")
        form.addRow("Random seed", self.rng_spin)
        layout.addWidget(self.form)
        row = QHBoxLayout()
        self.generate_button = QPushButton("Generate")
        self.generate_button.clicked.connect(self._on_generate)
        self.back_button = QPushButton("Back to my text")
        self.back_button.clicked.connect(self.session.clear_generation)
        row.addWidget(self.generate_button)
        row.addWidget(self.back_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.output = QTextBrowser()
        self.output.setPlaceholderText(
            "Press Generate: the seed appears in grey, the text it writes in bold."
        )
        self.output.setMinimumHeight(self.fontMetrics().lineSpacing() * 4 + 16)
        # it takes the room that is left; its large default size hint would push the
        # words above it out of a short dock
        self.output.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.messages = MessageArea()
        layout.addWidget(self.messages)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        layout.addWidget(self.output, 1)  # last: a short dock trims the text box, not the words

    # -- widgets -> session ---------------------------------------------------
    def _on_generate(self) -> None:
        if not self.generate_button.isEnabled():
            return
        state = self.state
        built = state.analysis.built
        params = built.params if state.current_params is None else state.current_params
        greedy = self.greedy_check.isChecked()
        try:
            gen = generate(
                params,
                built.config,
                built,
                self.seed_edit.text(),
                self.steps_spin.value(),
                temperature=self.temperature_spin.value(),
                greedy=greedy,
                rng=np.random.default_rng(self.rng_spin.value()),
            )
        except ValueError as e:
            self.messages.set_messages(str(e), None)
            return
        self.messages.set_messages(None, None)
        self._show(gen, greedy)
        if not self.session.show_generation(gen):
            self.messages.set_messages(state.error, None)

    # -- state -> widgets -----------------------------------------------------
    def _on_spec_changed(self, spec) -> None:
        if spec.name != self._seed_for:  # a new experiment: a seed from its own text
            self._seed_for = spec.name
            self.seed_edit.setText(_default_seed(spec))
            self.steps_spin.setValue(30 if spec.level == "char" else 10)
            self.output.clear()
        can = spec.task == "next-token"
        self.explanation.setText(EXPLAIN.format(task=spec.task))
        self.explanation.setVisible(not can)
        self.weights_note.setVisible(can)
        self._update_enabled()

    def _on_current_params_changed(self, params) -> None:
        self.weights_note.setText(
            "Writing with the <b>untrained</b> weights: expect nonsense. Train the network "
            "first and generate again."
            if params is None
            else "Writing with the <b>trained</b> weights on screen."
        )

    def _on_generation_changed(self, generation) -> None:
        self.back_button.setEnabled(generation is not None)
        if generation is None:
            self.caption.setText("The panels show your text." if self.output.toPlainText() else "")
            return
        n, seed = len(generation.tokens), generation.seed_length
        self.caption.setText(
            "All panels now follow this sequence: the seed, then each token fed back."
        )
        reads = "step 1 reads the seed" if seed == 1 else f"steps 1–{seed} read the seed"
        self.caption.setToolTip(
            f"In the diagram, {reads}; each later step reads the token generated before it "
            f"({n} generated, the last one not fed back yet)."
        )

    def _update_enabled(self) -> None:
        can = self.state.spec.task == "next-token"
        self.form.setEnabled(can)
        self.generate_button.setEnabled(can)
        numeric = self.state.spec.encoding == "numeric"
        sampling = can and not numeric and not self.greedy_check.isChecked()
        self.temperature_spin.setEnabled(sampling)
        self.rng_spin.setEnabled(sampling)
        self.greedy_check.setEnabled(can and not numeric)

    def _show(self, gen, greedy: bool) -> None:
        sep = gen.separator
        seed = escape(sep.join(gen.seed_tokens))
        new = escape(sep.join(gen.tokens))
        joint = escape(sep) if gen.seed_tokens and gen.tokens else ""
        self.output.setHtml(
            f"<p style='white-space:pre-wrap; font-size:13pt'>"
            f"<span style='color:{SEED_GREY}'>{seed}</span>{joint}<b>{new}</b></p>"
        )
        how = (
            "greedy"
            if greedy
            else f"τ = {self.temperature_spin.value():g}, seed {self.rng_spin.value()}"
        )
        self.output.setToolTip(f"grey: the seed you gave · bold: generated ({how})")


def _default_seed(spec) -> str:
    """The first token of the experiment's own text (a numeric series: its first row)."""
    if spec.encoding == "numeric":
        return spec.text.strip().splitlines()[0] if spec.text.strip() else ""
    words = spec.text.split()
    if spec.level == "char":
        return spec.text[:1]
    return words[0] if words else ""
