"""The lesson panel's pieces: its colours, the task status and the self-check box.

``SelfCheck`` shows a step's question with an answer box (number or text)
or radio choices, a Check button, ✓/✗ feedback with the hint, "Show answer"
and the explanation. It judges nothing itself: the panel gives it the
callbacks of ``rnnviz.lessons.runner.LessonRun`` (the engine's own number is
read at check time). Marks carry the meaning (✓ ✗ ○), colour only helps.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..lessons import markup
from ..lessons.format import Check

# Okabe-Ito, colour-blind safe: blue = right/done, vermillion = wrong/problem;
# the lighter pair reads on the dark theme
GOOD, BAD = {"light": "#0072B2", "dark": "#56B4E9"}, {"light": "#D55E00", "dark": "#E69F00"}


def theme_of(widget: QWidget) -> str:
    return "dark" if widget.palette().window().color().lightness() < 128 else "light"


def rich_label(text: str = "", pt: int | None = None, bold: bool = False) -> QLabel:
    """A wrapping, selectable rich-text label that never widens its dock."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    font = label.font()
    if pt is not None:
        font.setPointSize(pt)
    font.setBold(bold)
    label.setFont(font)
    return label


class ElidedLabel(QLabel):
    """One line that ends in … when the dock is narrow (the full text is the tooltip)."""

    def __init__(self) -> None:
        super().__init__()
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        self.setText(metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, self.width()))


def rich(text: str) -> str:
    return markup.to_html(text)


class SelfCheck(QGroupBox):
    """Question, answer, Check / Show answer, feedback and explanation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Check yourself", parent)
        self.check: Check | None = None
        self._judge: Callable = lambda given: None
        self._answer_text: Callable[[], str] = lambda: ""
        layout = QVBoxLayout(self)
        self.question = rich_label()
        self.answer_edit = QLineEdit()
        self.answer_edit.returnPressed.connect(self._on_check_clicked)
        self.choice_box = QWidget()
        QVBoxLayout(self.choice_box).setContentsMargins(0, 0, 0, 0)
        self.choice_group = QButtonGroup(self)
        self.choice_buttons: list[QRadioButton] = []
        self.check_button = QPushButton("Check")
        self.check_button.setToolTip("Compare your answer with the app's own number (Enter)")
        self.check_button.clicked.connect(self._on_check_clicked)
        self.show_button = QPushButton("Show answer")
        self.show_button.clicked.connect(self._on_show_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.show_button)
        buttons.addStretch(1)
        self.feedback = rich_label()
        self.explain = rich_label()
        for w in (self.question, self.answer_edit, self.choice_box):
            layout.addWidget(w)
        layout.addLayout(buttons)
        layout.addWidget(self.feedback)
        layout.addWidget(self.explain)

    def set_check(self, check: Check | None, judge: Callable, answer_text: Callable) -> None:
        """A new step: its check (None hides the box), reset to unanswered."""
        self.check, self._judge, self._answer_text = check, judge, answer_text
        self.setVisible(check is not None)
        for button in self.choice_buttons:
            self.choice_group.removeButton(button)
            button.deleteLater()
        self.choice_buttons = []
        self.answer_edit.clear()
        self.feedback.clear()
        self.explain.clear()
        self.feedback.hide()
        self.explain.hide()
        if check is None:
            return
        self.question.setText(rich(check.question))
        kind = check.answer.kind
        self.answer_edit.setVisible(kind != "choice")
        self.choice_box.setVisible(kind == "choice")
        self.answer_edit.setPlaceholderText(
            "a number, e.g. 0.1234" if kind == "number" else "your answer"
        )
        for i, text in enumerate(check.answer.choices):
            button = QRadioButton(markup.to_plain(text))
            button.setObjectName(f"choice_{i}")
            self.choice_group.addButton(button, i)
            self.choice_box.layout().addWidget(button)
            self.choice_buttons.append(button)

    def given(self):
        if self.check is not None and self.check.answer.kind == "choice":
            i = self.choice_group.checkedId()
            return None if i < 0 else i
        return self.answer_edit.text()

    def _say(self, text: str, color: str | None = None, more: str = "") -> None:
        style = f"color: {color}; " if color else ""
        self.feedback.setText(f'<p style="{style}margin-bottom: 0.4em;">{text}</p>{more}')
        self.feedback.show()

    def _on_check_clicked(self) -> None:
        if self.check is None:
            return
        verdict = self._judge(self.given())
        theme = theme_of(self)
        if verdict.message:  # nothing to judge yet (empty box, not a number)
            self._say(verdict.message, BAD[theme])
        elif verdict.correct:
            self._say("<b>✓ Correct.</b>", GOOD[theme])
            self._show_explanation()
        else:
            hint = rich(f"Hint: {self.check.hint}") if self.check.hint else ""
            self._say("<b>✗ Not quite.</b>", BAD[theme], hint)

    def _on_show_clicked(self) -> None:
        if self.check is None:
            return
        self._say(f"Answer: <b>{html.escape(self._answer_text())}</b>")
        self._show_explanation()

    def _show_explanation(self) -> None:
        if self.check.explain:
            self.explain.setText(rich(self.check.explain))
            self.explain.show()
