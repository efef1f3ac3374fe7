"""The input panel: the text, how it becomes tokens and vectors, targets and model settings.

Typing re-runs the whole network live, debounced by ~150 ms so a burst of
keys costs one analysis. A refused change (empty text, too many tokens,
non-numbers in a series) leaves the text box as the user typed it while the
rest of the app keeps the last valid state; the inline message says so.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QScrollArea,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..session import Session
from .input_widgets import MessageArea, ModelSettings, TargetsEditor, VocabTable
from .token_chips import TokenChips

DEBOUNCE_MS = 150
ENCODINGS = (("onehot", "one-hot"), ("embedding", "embedding"), ("numeric", "numeric series"))
SAMPLE_SERIES = "0.5, 1.0, 0.25, -0.5, 0.75, 1.5"
PLACEHOLDER = {
    False: "Type a sentence…",
    True: "Numbers: one timestep per line (values separated by commas), or one line 1, 2, 3",
}


def short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


class InputPanel(QWidget):
    sig_show_notes = Signal()  # the user asked for the example's full notes (a window's dock)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = session.state
        self._word_text = None  # the last text typed for tokens, restored after numeric
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._apply_text)
        self._build_layout()
        for field in ("spec", "analysis", "cursor", "error", "notice"):
            getattr(self.state.events, field).connect(getattr(self, f"_on_{field}_changed"))
        self._on_spec_changed(self.state.spec)
        self._on_analysis_changed(self.state.analysis)

    # -- building -------------------------------------------------------------
    def _build_layout(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(8, 6, 8, 6)
        self._build_about()
        self._build_text()
        self.messages = MessageArea()
        self._layout.addWidget(self.messages)
        self._build_options()
        self._build_tokens()
        self.targets = TargetsEditor(self.session)
        self._layout.addWidget(self.targets)
        self.vocab = VocabTable()
        self._layout.addWidget(self.vocab)
        self.model = ModelSettings(self.session)
        self._layout.addWidget(self.model)
        self._layout.addStretch(1)

    def _build_about(self) -> None:
        self.about_button = QToolButton()
        self.about_button.setCheckable(True)
        self.about_button.setChecked(True)
        self.about_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.about_button.setArrowType(Qt.ArrowType.DownArrow)
        self.about_button.setStyleSheet("QToolButton { border: none; font-weight: bold; }")
        self.about_button.toggled.connect(self._on_about_toggled)
        self.about_text = QLabel()
        self.about_text.setWordWrap(True)
        self.about_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.about_text.linkActivated.connect(lambda _link: self.sig_show_notes.emit())
        self.about_text.setStyleSheet(
            "QLabel { background: palette(alternate-base); border-radius: 4px; padding: 6px; }"
        )
        self._layout.addWidget(self.about_button)
        self._layout.addWidget(self.about_text)

    def _build_text(self) -> None:
        self._layout.addWidget(QLabel("<b>Input text</b>"))
        self.text_edit = QPlainTextEdit()
        self.text_edit.setTabChangesFocus(True)
        lines = self.text_edit.fontMetrics().lineSpacing()
        self.text_edit.setFixedHeight(lines * 3 + 14)
        self.text_edit.setToolTip("The network re-runs as you type")
        self.text_edit.textChanged.connect(self._debounce.start)
        self._layout.addWidget(self.text_edit)

    def _build_options(self) -> None:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        levels = QHBoxLayout()
        self.level_group = QButtonGroup(self)
        self.word_radio = QRadioButton("Words")
        self.char_radio = QRadioButton("Characters")
        for button, level in ((self.word_radio, "word"), (self.char_radio, "char")):
            button.setToolTip(f"Split the text into {level}s")
            self.level_group.addButton(button)
            levels.addWidget(button)
            button.clicked.connect(lambda _c=False, lv=level: self.session.set_input(level=lv))
        levels.addStretch(1)
        form.addRow("Tokens", levels)
        self.encoding_combo = QComboBox()
        for key, label in ENCODINGS:
            self.encoding_combo.addItem(label, key)
        self.encoding_combo.setToolTip("How each token becomes the input vector x_t")
        self.encoding_combo.activated.connect(self._on_encoding_chosen)
        form.addRow("Encoding", self.encoding_combo)
        options = QHBoxLayout()
        self.lowercase_check = QCheckBox("Lowercase")
        self.lowercase_check.setToolTip("Treat “AI” and “ai” as the same token")
        self.lowercase_check.toggled.connect(lambda on: self.session.set_input(lowercase=on))
        self.punctuation_check = QCheckBox("Punctuation")
        self.punctuation_check.setToolTip("Keep each punctuation mark as a token of its own")
        self.punctuation_check.toggled.connect(
            lambda on: self.session.set_input(punctuation="keep" if on else "drop")
        )
        options.addWidget(self.lowercase_check)
        options.addWidget(self.punctuation_check)
        options.addStretch(1)
        form.addRow("Options", options)
        self._layout.addLayout(form)

    def _build_tokens(self) -> None:
        self.tokens_title = QLabel()
        self.tokens_title.setWordWrap(True)  # "· 3 unknown → <unk>" must not widen the dock
        self._layout.addWidget(self.tokens_title)
        self.chips = TokenChips()
        self.chips.sig_clicked.connect(self.session.set_cursor)
        self._layout.addWidget(self.chips)

    # -- widgets -> session ---------------------------------------------------
    def _apply_text(self) -> None:
        text = self.text_edit.toPlainText()
        if text != self.state.spec.text or self.state.error is not None:
            self.session.set_text(text)

    def _on_encoding_chosen(self, index: int) -> None:
        encoding = self.encoding_combo.itemData(index)
        spec = self.state.spec
        if encoding == spec.encoding:
            return
        if encoding == "numeric":
            # the sentence is not a series: try it, else start from a sample series
            if not self.session.set_input(encoding="numeric"):
                self.session.set_input(encoding="numeric", text=SAMPLE_SERIES)
        elif spec.encoding == "numeric" and self._word_text is not None:
            self.session.set_input(encoding=encoding, text=self._word_text)
        else:
            self.session.set_input(encoding=encoding)
        self._update_options(self.state.spec)  # a refused switch shows the old choice

    def _on_about_toggled(self, shown: bool) -> None:
        self.about_text.setVisible(shown)
        self.about_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    # -- state -> widgets -----------------------------------------------------
    def _on_spec_changed(self, spec) -> None:
        if spec.encoding != "numeric":
            self._word_text = spec.text
        self._update_about(spec)
        self._update_text(spec)
        self._update_options(spec)
        self.model.update_from(spec)

    def _on_analysis_changed(self, analysis) -> None:
        self._update_tokens(analysis)
        built = analysis.built
        self.vocab.set_vocab(built.vocab, built.spec.encoding, built.params.W_xh.shape[1])
        self.targets.update_from(built)
        self._on_cursor_changed(self.state.cursor)
        self._update_messages()

    def _on_cursor_changed(self, cursor: int) -> None:
        self.chips.set_current(cursor)

    def _on_error_changed(self, error) -> None:
        self._update_messages()

    def _on_notice_changed(self, notice) -> None:
        self._update_messages()

    def _update_about(self, spec) -> None:
        self.about_button.setText("About this example")
        paragraphs = [p for p in spec.description.split("\n\n") if p.strip()]
        summary = escape(paragraphs[0]) if paragraphs else "Your own experiment."
        more = (
            "<br><a href='notes'>Read the notes and the tutorial's errata…</a>"
            if len(paragraphs) > 1
            else ""
        )
        self.about_text.setText(f"<b>{escape(spec.name)}</b><br>{summary}{more}")

    def _update_text(self, spec) -> None:
        # never overwrite keys the user typed that are still waiting for the debounce
        if self._debounce.isActive() or self.text_edit.toPlainText() == spec.text:
            return
        self.text_edit.blockSignals(True)
        self.text_edit.setPlainText(spec.text)
        self.text_edit.blockSignals(False)

    def _update_options(self, spec) -> None:
        widgets = (
            self.word_radio,
            self.char_radio,
            self.encoding_combo,
            self.lowercase_check,
            self.punctuation_check,
        )
        for w in widgets:
            w.blockSignals(True)
        numeric = spec.encoding == "numeric"
        (self.word_radio if spec.level == "word" else self.char_radio).setChecked(True)
        self.encoding_combo.setCurrentIndex(self.encoding_combo.findData(spec.encoding))
        self.lowercase_check.setChecked(spec.lowercase)
        self.punctuation_check.setChecked(spec.punctuation == "keep")
        for w in widgets:
            w.blockSignals(False)
            w.setEnabled(not numeric or w is self.encoding_combo)
        self.text_edit.setPlaceholderText(PLACEHOLDER[numeric])

    def _update_tokens(self, analysis) -> None:
        built = analysis.built
        ids = built.sample.ids  # None for a numeric series
        vocab = built.vocab
        unk_id = vocab.tokens.index(vocab.unk) if vocab is not None and vocab.unk else None
        self.chips.set_tokens(built.tokens, ids, unk_id)
        n_unk = 0 if unk_id is None else int((ids == unk_id).sum())
        what = "steps" if ids is None else "tokens (id after each)"
        extra = f" · {n_unk} unknown → &lt;unk&gt;" if n_unk else ""
        self.tokens_title.setText(f"<b>{len(built.tokens)} input {what}</b>{extra}")

    def _update_messages(self) -> None:
        state = self.state
        fallback = ""
        if state.error is not None:
            spec = state.spec
            fallback = (
                f"Showing the last valid input: “{short(spec.text)}” "
                f"({spec.level}s, {spec.encoding}, hidden size {spec.hidden_size}, "
                f"{spec.config.activation})."
            )
        self.messages.set_messages(state.error, state.notice, fallback)


class ExampleNotes(QTextBrowser):
    """The example's full description (what it shows, choices, errata), readable at length."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = session.state
        self.setOpenExternalLinks(True)
        self.state.events.spec.connect(self._on_spec_changed)
        self._on_spec_changed(self.state.spec)

    def _on_spec_changed(self, spec) -> None:
        html = description_html(spec.description or "Your own experiment.")
        self.setHtml(f"<h3>{escape(spec.name)}</h3>{html}")


def description_html(text: str) -> str:
    """Plain description -> HTML: paragraphs, '- ' bullets, '1. ' numbered items, bold leads."""
    out = []
    for para in (p.strip() for p in text.split("\n\n") if p.strip()):
        lines = para.splitlines()
        head, items = lines[0], lines[1:]
        if items and all(_item(x) for x in items):  # a heading line followed by a list
            tag = "ol" if _item(items[0]) == "ol" else "ul"
            body = "".join(f"<li>{escape(_strip_marker(x))}</li>" for x in items)
            out.append(f"<p><b>{escape(head)}</b></p><{tag}>{body}</{tag}>")
            continue
        lead, dot, rest = para.partition(". ")
        if dot and len(lead.split()) <= 4:  # "What it shows. The sentence ..."
            out.append(f"<p><b>{escape(lead)}.</b> {escape(rest)}</p>")
        else:
            out.append(f"<p>{escape(para)}</p>")
    return "".join(out)


def _item(line: str) -> str | None:
    if line.startswith("- "):
        return "ul"
    number, dot, _ = line.partition(". ")
    return "ol" if dot and number.isdigit() else None


def _strip_marker(line: str) -> str:
    return line[2:] if line.startswith("- ") else line.partition(". ")[2]
