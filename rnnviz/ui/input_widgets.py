"""Widgets of the input panel: messages, vocabulary, targets, model settings.

The token chips have their own module, ``token_chips``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..engine.functions import ACTIVATIONS, HEADS
from ..engine.init import SCHEMES
from ..engine.losses import COMPATIBLE, LOSSES
from ..engine.spec import MAX_HIDDEN
from .timeline_panel import token_text


class MessageArea(QWidget):
    """The inline message: an error (red-ish box) and a notice (neutral box)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.error_label = self._box("background:#fde2e1; color:#6b0d0d; border:1px solid #d9534f;")
        self.notice_label = self._box(
            "background:palette(alternate-base); color:palette(text); "
            "border:1px solid palette(mid);"
        )
        layout.addWidget(self.error_label)
        layout.addWidget(self.notice_label)
        self.set_messages(None, None)

    def _box(self, style: str) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setFrameShape(QFrame.Shape.NoFrame)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setStyleSheet(f"QLabel {{ {style} border-radius:4px; padding:6px; }}")
        return label

    def set_messages(self, error: str | None, notice: str | None, fallback: str = "") -> None:
        self.error_label.setVisible(error is not None)
        self.notice_label.setVisible(notice is not None)
        if error is not None:
            self.error_label.setText(f"⚠ {error}" + (f"\n{fallback}" if fallback else ""))
        if notice is not None:
            self.notice_label.setText(f"ℹ {notice}")


class VocabTable(QWidget):
    """The vocabulary (id, token) in a fixed-height scrolling table."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["id", "token"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setFixedHeight(150)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        self._tokens: tuple | None = None

    def set_vocab(self, vocab, encoding: str, D: int) -> None:
        if vocab is None:
            self.title.setText(f"<b>Numeric series</b>: x_t holds {D} number(s), no vocabulary")
            self.table.hide()
            self._tokens = None
            return
        V = len(vocab)
        how = (
            f"x_t is a one-hot vector of length {V}"
            if encoding == "onehot"
            else f"x_t is row id of the embedding E ({V}×{D})"
        )
        self.title.setText(f"<b>Vocabulary</b> ({V} tokens): {how}")
        self.table.show()
        if vocab.tokens == self._tokens:
            return
        self._tokens = vocab.tokens
        self.table.setRowCount(V)
        for i, token in enumerate(vocab.tokens):
            self.table.setItem(i, 0, QTableWidgetItem(str(i)))
            self.table.setItem(i, 1, QTableWidgetItem(token_text(token)))


def format_target(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return " ".join(f"{float(v):g}" for v in value)
    return f"{float(value):g}"


def parse_target(text: str, classes: tuple):
    """'-' or '' -> None; a class name; 'x' -> float; 'x y z' -> [floats]; else the text."""
    text = text.strip()
    if text in ("", "-"):
        return None
    if text in classes:
        return text
    try:
        numbers = [float(v) for v in text.split()]
    except ValueError:
        return text  # the engine names the bad tag in its message
    if len(numbers) > 1:
        return numbers
    return int(numbers[0]) if numbers[0].is_integer() else numbers[0]  # "1" stays 1, as typed


TASK_HINTS = {
    "many-to-one": "Many-to-one: only the last step is scored, against this label.",
    "many-to-many": "Many-to-many: each step with a tag is scored. Tags, comma-separated "
    "(‘-’ = no tag):",
    "next-token": "Next token: each step is scored against the token that follows it.",
}


class TargetsEditor(QGroupBox):
    """The task's targets: a label, per-token tags, or the next tokens (read-only)."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__("Targets", parent)
        self.session = session
        layout = QVBoxLayout(self)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.label_combo = QComboBox()
        self.label_combo.activated.connect(
            lambda i: self.session.set_input(label=self.label_combo.itemData(i))
        )
        self.label_edit = QLineEdit()
        self.label_edit.setPlaceholderText("a number, or numbers separated by spaces")
        self.label_edit.editingFinished.connect(self._apply_label)
        self.tags_edit = QLineEdit()
        self.tags_edit.editingFinished.connect(self._apply_tags)
        self.next_tokens = QLabel()
        self.next_tokens.setWordWrap(True)
        self.next_tokens.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for w in (self.hint, self.label_combo, self.label_edit, self.tags_edit, self.next_tokens):
            layout.addWidget(w)
        self._classes: tuple = ()

    def update_from(self, built) -> None:
        spec = built.spec
        self._classes = tuple(spec.classes)
        self.hint.setText(TASK_HINTS.get(spec.task, spec.task))
        many_to_one, tagging = spec.task == "many-to-one", spec.task == "many-to-many"
        self.label_combo.setVisible(many_to_one and bool(self._classes))
        self.label_edit.setVisible(many_to_one and not self._classes)
        self.tags_edit.setVisible(tagging)
        self.next_tokens.setVisible(spec.task == "next-token")
        if many_to_one:
            self._update_label(spec)
        elif tagging:
            if not self.tags_edit.hasFocus():
                self.tags_edit.setText(", ".join(format_target(t) for t in spec.tags or ()))
            self.tags_edit.setPlaceholderText(
                f"{len(built.tokens)} tags, e.g. " + ", ".join(self._classes[:3] or ("1", "0", "-"))
            )
        else:
            pairs = [
                f"{token_text(a)}→{token_text(b)}"
                for a, b in zip(built.tokens, built.target_tokens, strict=False)
            ]
            self.next_tokens.setText("  ".join(pairs[:200]) + (" …" if len(pairs) > 200 else ""))

    def _update_label(self, spec) -> None:
        self.label_combo.blockSignals(True)
        self.label_combo.clear()
        self.label_combo.addItem("(no label: no loss)", None)
        for c in self._classes:
            self.label_combo.addItem(c, c)
        index = self.label_combo.findData(spec.label) if spec.label is not None else 0
        self.label_combo.setCurrentIndex(max(index, 0))
        self.label_combo.blockSignals(False)
        if not self.label_edit.hasFocus():
            self.label_edit.setText("" if spec.label is None else format_target(spec.label))

    def _apply_label(self) -> None:
        self.session.set_input(label=parse_target(self.label_edit.text(), self._classes))

    def _apply_tags(self) -> None:
        text = self.tags_edit.text()
        tags = (
            None
            if not text.strip()
            else tuple(parse_target(p, self._classes) for p in text.split(","))
        )
        if tags != self.session.state.spec.tags:
            self.session.set_input(tags=tags)


LOSS_NAMES = {"ce": "cross-entropy", "bce": "binary cross-entropy", "mse": "squared error"}


class ModelSettings(QGroupBox):
    """Sizes, activation, head, loss, initialisation and seed, applied at once."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__("Model", parent)
        self.session = session
        form = QFormLayout(self)
        self.hidden = self._spin(1, MAX_HIDDEN, "hidden_size", self.session.set_model)
        self.embedding = self._spin(1, 512, "embedding_size", self.session.set_input)
        self.activation = self._combo(ACTIVATIONS, ACTIVATIONS, "activation")
        self.head = self._combo(HEADS, HEADS, "head")
        self.loss = self._combo(LOSSES, [f"{x} ({LOSS_NAMES[x]})" for x in LOSSES], "loss")
        self.init = self._combo(SCHEMES, SCHEMES, "init")
        self.seed = self._spin(0, 2**31 - 1, "seed", self.session.set_model)
        self.weights_note = QLabel()
        self.weights_note.setWordWrap(True)
        self.random_button = QPushButton("Use random weights")
        self.random_button.setToolTip("Replace the tutorial's weights by a seeded initialisation")
        self.random_button.clicked.connect(lambda: self._apply(self.session.set_input, params=None))
        rows = (
            ("Hidden size H", self.hidden),
            ("Embedding size", self.embedding),
            ("Activation f", self.activation),
            ("Output head g", self.head),
            ("Loss", self.loss),
            ("Initialisation", self.init),
            ("Seed", self.seed),
        )
        for label, widget in rows:
            form.addRow(label, widget)
        form.addRow(self.weights_note)
        form.addRow(self.random_button)

    def _spin(self, lo: int, hi: int, key: str, intent) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(lo, hi)
        spin.setKeyboardTracking(False)  # apply on Enter / arrows, not every digit
        spin.valueChanged.connect(lambda v: self._apply(intent, **{key: v}))
        return spin

    def _combo(self, keys, labels, key: str) -> QComboBox:
        combo = QComboBox()
        # narrow docks: the combo may shrink below its longest item (the popup shows all)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(8)
        for k, label in zip(keys, labels, strict=True):
            combo.addItem(label, k)
        combo.activated.connect(lambda i: self._choose(key, combo.itemData(i)))
        return combo

    def _choose(self, key: str, value: str) -> None:
        config = self.session.state.spec.config
        change = {key: value}
        if key == "head" and value not in COMPATIBLE[config.loss]:
            change["loss"] = next(x for x in LOSSES if value in COMPATIBLE[x])
        if key == "loss" and config.head not in COMPATIBLE[value]:
            change["head"] = COMPATIBLE[value][0]
        self._apply(self.session.set_model, **change)

    def _apply(self, intent, **change) -> None:
        if not intent(**change):  # refused: show the settings still in use
            self.update_from(self.session.state.spec)

    def update_from(self, spec) -> None:
        widgets = (
            self.hidden,
            self.embedding,
            self.activation,
            self.head,
            self.loss,
            self.init,
            self.seed,
        )
        for w in widgets:
            w.blockSignals(True)
        self.hidden.setValue(spec.hidden_size)
        self.embedding.setValue(min(spec.embedding_size, self.embedding.maximum()))
        self.embedding.setEnabled(spec.encoding == "embedding")
        for combo, value in (
            (self.activation, spec.config.activation),
            (self.head, spec.config.head),
            (self.loss, spec.config.loss),
            (self.init, spec.init),
        ):
            combo.setCurrentIndex(combo.findData(value))
        self.seed.setValue(spec.seed)
        for w in widgets:
            w.blockSignals(False)
        explicit = spec.params is not None
        self.init.setEnabled(not explicit)
        self.seed.setEnabled(not explicit)
        self.weights_note.setText(
            "Weights: written out by the tutorial (changing a size switches to random weights)."
            if explicit
            else f"Weights: random, {spec.init} initialisation, seed {spec.seed}."
        )
        self.random_button.setVisible(explicit)
