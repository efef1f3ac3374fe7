"""Widgets of the input panel: token chips, messages, vocabulary, targets, model settings.

The chips show how the text became tokens and ids (minGPT's
``encode_and_show_work`` in widget form). They are pooled: a text edit
relabels existing chips instead of creating new widgets, and a cursor move
restyles two chips, so both stay cheap at T = 100.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWidgetItem,
)

from ..engine.functions import ACTIVATIONS, HEADS
from ..engine.init import SCHEMES
from ..engine.losses import COMPATIBLE, LOSSES
from ..engine.spec import MAX_HIDDEN
from .timeline_panel import token_text

MAX_CHIPS = 300  # beyond this the chips say "+N more" (the slider still reaches every step)

CHIP_STYLE = """
QLabel[chip="true"] { border: 1px solid palette(mid); border-radius: 5px; padding: 2px 6px;
                      background: palette(base); }
QLabel[chip="true"][unk="true"] { border: 1px dashed palette(text); }
QLabel[chip="true"][current="true"] { border: 2px solid palette(highlight);
                                      background: palette(alternate-base); }
"""


class FlowLayout(QLayout):
    """Lays out items left to right, wrapping to new lines (the Qt flow layout example)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:  # noqa: N802 (Qt API)
        self._items.append(item)

    def addWidget(self, widget: QWidget) -> None:  # noqa: N802
        self.addChildWidget(widget)
        self.addItem(QWidgetItem(widget))

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, i: int):  # noqa: N802
        return self._items[i] if 0 <= i < len(self._items) else None

    def takeAt(self, i: int):  # noqa: N802
        return self._items.pop(i) if 0 <= i < len(self._items) else None

    def expandingDirections(self):  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, apply: bool) -> int:
        x, y, line_height = rect.x(), rect.y(), 0
        for item in self._items:
            if item.isEmpty():  # hidden pooled chips take no room
                continue
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and line_height > 0:
                x, y, line_height = rect.x(), y + line_height + self._spacing, 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line_height = max(line_height, hint.height())
        return y + line_height - rect.y()


class Chip(QLabel):
    sig_clicked = Signal(int)

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.setProperty("chip", True)
        self.setProperty("unk", False)
        self.setProperty("current", False)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.sig_clicked.emit(self.index)
        super().mousePressEvent(event)

    def set_flag(self, name: str, value: bool) -> None:
        if self.property(name) != value:
            self.setProperty(name, value)
            self.style().unpolish(self)
            self.style().polish(self)


class TokenChips(QWidget):
    """The input tokens as clickable chips with their ids; ``<unk>`` drawn dashed."""

    sig_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setStyleSheet(CHIP_STYLE)
        self._flow = FlowLayout(self)
        self._chips: list[Chip] = []
        self._more = QLabel()
        self._more.setStyleSheet("color: palette(placeholder-text); font-style: italic;")
        self._flow.addWidget(self._more)  # always the last item
        self._current = -1
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def chips(self) -> list[Chip]:
        """The chips on show, in timestep order."""
        return [c for c in self._chips if not c.isHidden()]

    def set_tokens(self, tokens, ids, unk_id) -> None:
        """tokens as typed, their ids (None for a series), and the id of <unk> (or None)."""
        n = min(len(tokens), MAX_CHIPS)
        if len(self._chips) < n:
            more = self._flow.takeAt(self._flow.count() - 1)  # keep "+N more" last
            while len(self._chips) < n:
                chip = Chip(len(self._chips), self)
                chip.sig_clicked.connect(self.sig_clicked)
                self._chips.append(chip)
                self._flow.addWidget(chip)
            self._flow.addItem(more)
        for t, chip in enumerate(self._chips):
            if t >= n:
                chip.hide()
                continue
            is_unk = ids is not None and unk_id is not None and int(ids[t]) == unk_id
            chip.setText(_chip_html(tokens[t], None if ids is None else int(ids[t]), is_unk))
            chip.setToolTip(_chip_tip(t, tokens[t], ids, is_unk))
            chip.set_flag("unk", is_unk)
            chip.show()
        extra = len(tokens) - n
        self._more.setText(f"+{extra} more (use the slider)")
        self._more.setVisible(extra > 0)
        self._current = -1
        self._flow.invalidate()

    def set_current(self, t: int) -> None:
        if 0 <= self._current < len(self._chips):
            self._chips[self._current].set_flag("current", False)
        self._current = t
        if 0 <= t < len(self._chips) and not self._chips[t].isHidden():
            self._chips[t].set_flag("current", True)


def _chip_html(token: str, token_id: int | None, is_unk: bool) -> str:
    id_part = "" if token_id is None else f"&nbsp;<span style='color:gray'>{token_id}</span>"
    if is_unk:
        return (
            f"<span style='color:gray'>{escape(token_text(token))}&nbsp;→</span>&nbsp;"
            f"<i>&lt;unk&gt;</i>{id_part}"
        )
    return f"<b>{escape(token_text(token))}</b>{id_part}"


def _chip_tip(t: int, token: str, ids, is_unk: bool) -> str:
    where = f"timestep {t + 1}"
    if ids is None:
        return f"{where}: x = [{token}] (click to move the cursor here)"
    if is_unk:
        return (
            f"{where}: {token!r} is not in the vocabulary, so the network reads <unk> "
            f"(id {int(ids[t])}). Click to move the cursor here."
        )
    return f"{where}: token {token!r} has id {int(ids[t])}. Click to move the cursor here."


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
