"""Lesson: the running lesson's step, its task with a live ✓, a self-check, Back / Next.

The panel shows one step of a ``rnnviz.lessons`` lesson at a time: the lesson
title, "Step k of n" with a progress bar, the step's title and text, the task
("Press → until t = 3") with a live status (○ waiting, with the unmet reason
in small text, → ✓ done) and the self-check. Entering a step (Next, Back,
Restart) applies its set-up through ``LessonRun`` (Session intents only); a
refused set-up is shown here and the app keeps its state.

The task is re-evaluated on every state change it could depend on, and by a
cheap timer while it waits on UI facts (the clipping lab's threshold, which
docks are in front), which are not in the State. Those, and raising or
highlighting another dock, come through a host object the window gives
(``set_host``): ``ui_facts() -> dict``, ``show(name)``, ``highlight(name)``
and optionally ``clear_highlight()``. The panel never touches other panels.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..lessons import facts as F
from ..lessons.format import Lesson
from ..lessons.runner import LessonRun
from ..session import Session
from .lesson_check import BAD, GOOD, ElidedLabel, SelfCheck, rich, rich_label, theme_of

EMPTY = "Choose a lesson from the Lessons menu."
FINISHED = "Lesson finished. Choose another one from the Lessons menu."
POLL_MS = 400  # UI facts (lab threshold, visible docks) are polled this often while waiting
TEXT_PT = 11  # the step text: readable on a projector, still ~35 characters a line at 1280
# the state fields a task's facts can depend on
WATCHED = ("cursor", "phase", "analysis", "selected_unit", "notation", "history", "training",
           "generation", "spec")  # fmt: skip


class _NoHost:
    def ui_facts(self) -> dict:
        return {}

    def show(self, name: str) -> None:
        pass

    def highlight(self, name: str) -> None:
        pass


class LessonPanel(QWidget):
    sig_lesson_changed = Signal(object)  # the Lesson now running, or None
    sig_step_entered = Signal(int)  # 0-based index of the step just entered

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = session.state
        self.run: LessonRun | None = None
        self.host = _NoHost()
        font = self.font()
        font.setPointSize(max(font.pointSize(), 11))
        self.setFont(font)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack)
        self._build_empty()
        self._build_lesson()
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self.refresh)
        for field in WATCHED:  # one handler: any of these may change a task's facts
            getattr(self.state.events, field).connect(self._on_state_changed)
        self._update_all()

    # -- building -------------------------------------------------------------
    def _build_empty(self) -> None:
        self.empty_label = QLabel(EMPTY)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack.addWidget(self.empty_label)

    def _build_lesson(self) -> None:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.lesson_title = ElidedLabel()  # one line: the step text needs the height
        font = self.lesson_title.font()
        font.setBold(True)
        self.lesson_title.setFont(font)
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(10)
        row = QHBoxLayout()
        row.addWidget(self.progress_label)
        row.addWidget(self.progress_bar, 1)
        layout.addWidget(self.lesson_title)
        layout.addLayout(row)
        layout.addWidget(self._build_body(), 1)
        layout.addLayout(self._build_nav())
        self.stack.addWidget(page)

    def _build_body(self) -> QScrollArea:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 4, 4, 4)
        self.step_title = rich_label(pt=TEXT_PT + 1, bold=True)
        self.step_text = rich_label(pt=TEXT_PT)
        self.problem_label = rich_label()
        self.self_check = SelfCheck()
        # read top to bottom like a page: what to know, then what to do, then a check
        for w in (self.step_title, self.step_text, self.problem_label, self._build_task()):
            layout.addWidget(w)
        layout.addWidget(self.self_check)
        layout.addStretch(1)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setWidget(body)
        self.scroll = area
        return area

    def _build_task(self) -> QGroupBox:
        self.task_box = QGroupBox("Your turn")
        box = QVBoxLayout(self.task_box)
        box.setContentsMargins(6, 4, 6, 4)
        self.task_prompt = rich_label(pt=TEXT_PT)
        self.task_status = rich_label(bold=True)
        self.task_reason = rich_label(pt=max(self.font().pointSize() - 1, 10))
        for w in (self.task_prompt, self.task_status, self.task_reason):
            box.addWidget(w)
        return self.task_box

    def _build_nav(self) -> QHBoxLayout:
        self.back_button = QPushButton("◂ Back")
        self.restart_button = QPushButton("Restart")
        self.next_button = QPushButton("Next ▸")
        self.back_button.setToolTip("The previous step (its set-up is applied again)")
        self.restart_button.setToolTip("Back to the first step")
        self.back_button.clicked.connect(self.go_back)
        self.restart_button.clicked.connect(self.restart)
        self.next_button.clicked.connect(self.go_next)
        row = QHBoxLayout()
        row.addWidget(self.back_button)
        row.addWidget(self.restart_button)
        row.addStretch(1)
        row.addWidget(self.next_button)
        return row

    # -- the lesson -------------------------------------------------------------
    def set_host(self, host) -> None:
        self.host = host or _NoHost()

    def start(self, lesson: Lesson) -> str | None:
        """Run ``lesson`` from its first step; the set-up problem of step 1, or None."""
        self.run = LessonRun(self.session, lesson)
        self.sig_lesson_changed.emit(lesson)
        return self._enter(0)

    def close_lesson(self, finished: bool = False) -> None:
        self.run = None
        self._clear_highlight()
        self.empty_label.setText(FINISHED if finished else EMPTY)
        self.sig_lesson_changed.emit(None)
        self._update_all()

    def restart(self) -> str | None:
        return self._enter(0) if self.run else None

    def go_next(self) -> str | None:
        if self.run is None:
            return None
        if self.run.at_end:
            self.close_lesson(finished=True)
            return None
        return self._enter(self.run.index + 1)

    def go_to(self, index: int) -> str | None:
        """Jump to step ``index`` (0-based), applying its set-up."""
        return self._enter(index) if self.run else None

    def go_back(self) -> str | None:
        return self._enter(self.run.index - 1) if self.run else None

    def _enter(self, index: int) -> str | None:
        self._clear_highlight()
        problem = self.run.enter(index)
        setup = self.run.step.setup
        if setup.show:
            self.host.show(setup.show)
            self.host.highlight(setup.show)
        if setup.highlight:
            self.host.highlight(setup.highlight)
        self._update_all()
        self.scroll.verticalScrollBar().setValue(0)
        self.sig_step_entered.emit(self.run.index)
        return problem

    def _clear_highlight(self) -> None:
        clear = getattr(self.host, "clear_highlight", None)
        if clear is not None:
            clear()

    # -- state -> widgets -------------------------------------------------------
    def _on_state_changed(self, _value) -> None:
        if self.run is not None and not self.run.task_done:
            self._update_task()

    def refresh(self) -> None:
        """Re-evaluate the task now (the window calls this when docks change, too)."""
        if self.run is not None:
            self._update_task()

    def _update_all(self) -> None:
        run = self.run
        self.stack.setCurrentIndex(0 if run is None else 1)
        if run is None:
            self.timer.stop()
            return
        step, k, n = run.step, run.index + 1, run.count
        self.lesson_title.set_full_text(run.lesson.title)
        self.progress_label.setText(f"Step {k} of {n}")
        self.progress_bar.setRange(0, n)
        self.progress_bar.setValue(k)
        self.step_title.setText(rich(step.title))
        self.step_text.setText(rich(step.text))
        self.problem_label.setVisible(run.problem is not None)
        if run.problem:
            color = BAD[theme_of(self)]
            text = html.escape(run.problem)
            self.problem_label.setText(f'<p style="color: {color};">⚠ {text}</p>')
        self.task_box.setVisible(step.task is not None)
        if step.task is not None:
            self.task_prompt.setText(rich(step.task.prompt))
        self.self_check.set_check(
            step.check,
            lambda given: run.check(given, self.host.ui_facts()),
            lambda: run.answer_text(self.host.ui_facts()),
        )
        self.back_button.setEnabled(run.index > 0)
        self.next_button.setText("Finish ✓" if run.at_end else "Next ▸")
        self._update_task()

    def _update_task(self) -> None:
        run = self.run
        if run.step.task is None:
            self.timer.stop()
            return
        ui = self.host.ui_facts() if any(k in F.UI_FACTS for k in run.step.task.when) else None
        done, reasons = run.task_status(ui)
        theme = theme_of(self)
        if done:
            self.task_status.setText(f'<span style="color: {GOOD[theme]};">✓ Done</span>')
            self.task_reason.setText("")
        else:
            self.task_status.setText("○ Waiting…")
            self.task_reason.setText(html.escape("; ".join(reasons)))
        self.task_reason.setVisible(not done)
        uses_ui = ui is not None
        if uses_ui and not done and not self.timer.isActive():
            self.timer.start()
        elif (done or not uses_ui) and self.timer.isActive():
            self.timer.stop()
