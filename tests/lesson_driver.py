"""Drive a lesson through the real widgets of a real MainWindow, as a learner would.

``LessonDriver.run_step`` checks the step's set-up (preset, text, cursor,
phase, unit, notation, σ_max, the dock shown and highlighted), performs its
task with the widgets a learner uses (arrow keys on the window, the
diagram's Forward/Backward buttons, typing into the input box, picking combo
entries with the keyboard, the σ slider, the clipping lab's spin box and Run,
the Training panel's Train and Reset), waits for the panel's ✓, answers the
self-check with the engine's own value (typed into the box or the right radio
button clicked, then Check) and presses Next. A fact the driver has no widget
route for fails loudly, so a new lesson cannot pass by accident.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QTabBar

from rnnviz import presets
from rnnviz.lessons import answers
from rnnviz.lessons import facts as F
from rnnviz.lessons.format import Step

WAIT_MS = 20_000
# results of what the learner did, not things to do: checked after the actions
RESULTS = {"prediction", "total_loss", "dh_ratio", "grad_norm", "dh_first", "dh_last", "training"}
MADE_UP_WORD = "blorptastic"  # in no vocabulary: becomes <unk>


def target(expect, kind: str = "number"):
    """A value that meets ``expect`` (the driver aims for it)."""
    if not isinstance(expect, dict):
        return expect
    op, want = next((k, v) for k, v in expect.items() if k != "tol")
    if op == "one_of":
        return want[0]
    if op in ("at_least", "at_most") and kind == "slider":
        # the σ slider has steps of 0.01, and a rescaled W_hh's σ_max may land a hair under
        # the value asked for: go one step past the bound, as a learner dragging would
        if op == "at_least":
            return math.ceil(want * 100 - 1e-9) / 100 + 0.01
        return math.floor(want * 100 + 1e-9) / 100 - 0.01
    return want


def with_words(current: str, want: str) -> str:
    """``current`` changed as little as possible so that it contains ``want``."""
    cur, new = current.split(), want.split()
    for k, word in enumerate(new):
        if word in cur:
            start = max(cur.index(word) - k, 0)
            return " ".join(cur[:start] + new)
    return want


class LessonDriver:
    def __init__(self, qtbot, window) -> None:
        self.qtbot, self.window = qtbot, window
        self.lessons = window.lessons
        self.panel = window.lessons.panel
        self.session, self.state = window.session, window.session.state

    # -- the set-up -------------------------------------------------------------------------------
    def check_setup(self, step: Step, index: int) -> None:
        s, st, run = step.setup, self.state, self.panel.run
        assert run is not None and run.index == index
        assert run.problem is None, run.problem
        assert self.panel.progress_label.text() == f"Step {index + 1} of {run.count}"
        assert self.panel.progress_bar.value() == index + 1
        if s.preset:
            assert presets.key_of(st.spec) == s.preset
        if s.has("text"):
            assert st.spec.text == s.text
        for key, value in s.input.items():
            assert getattr(st.spec, key) == value, key
        if s.has("sigma_max"):
            assert abs(F.fact(st, "sigma_max") - s.sigma_max) < 1e-9
        if s.has("cursor"):
            T = st.analysis.length
            c = s.cursor
            want = T - 1 if c == "last" else (T + c if c < 0 else c)
            assert st.cursor == want, (st.cursor, want)
        if s.phase:
            assert st.phase == s.phase
        if s.has("unit"):
            assert st.selected_unit == s.unit
        if s.notation:
            assert st.notation == s.notation
        if s.show:
            assert s.show in self.lessons.visible_docks(), (s.show, self.lessons.visible_docks())
        for name in {s.show, s.highlight} - {None}:
            frame = self.lessons.frames.get(name)
            assert frame is not None and frame.isVisible(), f"{name} is not highlighted"

    # -- widgets ----------------------------------------------------------------------------------
    def click(self, button) -> None:
        if isinstance(button, QAbstractButton) and button.isCheckable():
            # a radio button or check box reacts on its indicator and label, not its empty right
            pos = QPoint(8, button.height() // 2)
            self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=pos)
        else:
            self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    def click_in_view(self, widget) -> None:
        """Scroll the lesson panel to ``widget`` (as a learner would), then click it."""
        self.panel.scroll.ensureWidgetVisible(widget)
        QApplication.processEvents()
        self.click(widget)

    def choose(self, combo, data) -> None:
        """Pick the entry whose data is ``data`` with the arrow keys, as a user would."""
        index = combo.findData(data)
        assert index >= 0, f"{data!r} is not in the combo box"
        combo.setFocus()
        for _ in range(combo.count()):
            if combo.currentIndex() == index:
                break
            key = Qt.Key.Key_Down if combo.currentIndex() < index else Qt.Key.Key_Up
            self.qtbot.keyClick(combo, key)
        assert combo.currentIndex() == index

    def type_into(self, edit, text: str) -> None:
        edit.setFocus()
        edit.selectAll()
        self.qtbot.keyClicks(edit, text)

    def type_text(self, text: str) -> None:
        self.type_into(self.window.panels["input"].text_edit, text)
        self.qtbot.waitUntil(lambda: self.state.spec.text == text, timeout=WAIT_MS)

    def move_cursor_to(self, t: int) -> None:
        """Press → / ← with the diagram focused until the cursor shows ``t`` (1-based)."""
        diagram = self.window.panels["diagram"]
        diagram.setFocus()
        for _ in range(2 * self.state.analysis.length + 2):
            if self.state.cursor == t - 1:
                return
            right = self.state.cursor < t - 1
            self.qtbot.keyClick(diagram, Qt.Key.Key_Right if right else Qt.Key.Key_Left)
        assert self.state.cursor == t - 1

    def bring_to_front(self, name: str) -> None:
        dock = self.window.docks[name]
        if not dock.isVisible() and dock.toggleViewAction().isChecked() is False:
            dock.toggleViewAction().trigger()
        for bar in self.window.findChildren(QTabBar):
            for i in range(bar.count()):
                if bar.tabText(i) == dock.windowTitle() and bar.currentIndex() != i:
                    self.click_tab(bar, i)
        self.qtbot.waitUntil(lambda: name in self.lessons.visible_docks(), timeout=WAIT_MS)

    def click_tab(self, bar: QTabBar, i: int) -> None:
        self.qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(i).center())

    # -- the task ---------------------------------------------------------------------------------
    def perform(self, when: dict) -> None:
        order = sorted(when, key=lambda n: (n in ("t", "cursor"), n in RESULTS))
        for name in order:
            if F.holds(when[name], self.current(name)):
                continue
            if name in RESULTS:
                continue  # follows from the actions above; the ✓ check below tells
            handler = getattr(self, f"do_{name}", None)
            assert handler is not None, f"the driver has no widget route for the fact {name!r}"
            handler(when[name])

    def current(self, name: str):
        return F.fact(self.state, name, self.lessons.ui_facts())

    def do_t(self, expect) -> None:
        self.move_cursor_to(int(target(expect)))

    def do_cursor(self, expect) -> None:
        self.move_cursor_to(int(target(expect)) + 1)

    def do_phase(self, expect) -> None:
        bar = self.window.panels["diagram"].controls
        self.click(bar.backward_button if target(expect) == "backward" else bar.forward_button)

    def do_text(self, expect) -> None:
        if isinstance(expect, dict) and "contains" in expect:
            self.type_text(with_words(self.state.spec.text, expect["contains"]))
        else:
            self.type_text(target(expect))

    def do_unk_count(self, expect) -> None:
        self.type_text(f"{self.state.spec.text} {MADE_UP_WORD}")

    def do_level(self, expect) -> None:
        panel = self.window.panels["input"]
        self.click(panel.char_radio if target(expect) == "char" else panel.word_radio)

    def do_encoding(self, expect) -> None:
        self.choose(self.window.panels["input"].encoding_combo, target(expect))

    def do_activation(self, expect) -> None:
        self.choose(self.window.panels["input"].model.activation, target(expect))

    def do_head(self, expect) -> None:
        self.choose(self.window.panels["input"].model.head, target(expect))

    def do_loss(self, expect) -> None:
        self.choose(self.window.panels["input"].model.loss, target(expect))

    def do_hidden_size(self, expect) -> None:
        spin = self.window.panels["input"].model.hidden
        self.type_into(spin.lineEdit(), str(int(target(expect))))
        self.qtbot.keyClick(spin, Qt.Key.Key_Return)

    def do_selected_unit(self, expect) -> None:
        unit = target(expect)
        self.window.panels["math"].unit_spin.setValue(0 if unit is None else unit + 1)

    def do_notation(self, expect) -> None:
        self.choose(self.window.panels["math"].notation_combo, target(expect))

    def do_sigma_max(self, expect) -> None:
        slider = self.window.panels["gradients"].sigma_slider
        value = target(expect, "slider")
        slider.setValue(round(value * 100))
        self.qtbot.waitUntil(lambda: F.holds(expect, self.current("sigma_max")), timeout=WAIT_MS)

    def do_visible(self, expect) -> None:
        self.bring_to_front(expect["contains"] if isinstance(expect, dict) else expect[0])

    def do_generated(self, expect) -> None:
        self.click(self.window.panels["generate"].generate_button)
        self.qtbot.waitUntil(lambda: F.holds(expect, self.current("generated")), timeout=WAIT_MS)

    def do_trained_steps(self, expect) -> None:
        training = self.window.panels["training"]
        if target(expect) == 0:
            self.click(training.reset_button)
            return
        for _ in range(20):  # Train runs the settings' steps; press again if more are asked
            self.click(training.train_button)
            self.qtbot.waitUntil(lambda: self.state.training != "running", timeout=WAIT_MS)
            if F.holds(expect, self.current("trained_steps")):
                return

    def do_lab_threshold(self, expect) -> None:
        spin = self.window.panels["lab"].threshold_spin
        self.type_into(spin.lineEdit(), str(target(expect)))
        self.qtbot.keyClick(spin, Qt.Key.Key_Return)
        assert F.holds(expect, spin.value())

    def _run_lab(self, done) -> None:
        """Run, wait for ``done``; then Stop, as a learner who has seen enough would."""
        lab = self.window.panels["lab"]
        self.click(lab.run_button)
        self.qtbot.waitUntil(
            lambda: done() or (lab.runner is not None and not lab.runner.running),
            timeout=WAIT_MS,
        )
        if lab.stop_button.isEnabled():
            self.click(lab.stop_button)
        self.qtbot.waitUntil(lambda: not lab.stop_button.isEnabled(), timeout=WAIT_MS)
        assert done()

    def do_lab_steps_run(self, expect) -> None:
        lab = self.window.panels["lab"]
        steps = int(target(expect))
        if lab.steps_spin.value() < steps:
            self.type_into(lab.steps_spin.lineEdit(), str(steps))
            self.qtbot.keyClick(lab.steps_spin, Qt.Key.Key_Return)
        self._run_lab(lambda: F.holds(expect, self.current("lab_steps_run")))

    def do_lab_diverged(self, expect) -> None:
        self._run_lab(lambda: F.holds(expect, self.current("lab_diverged")))

    # -- the ✓, the self-check, Next --------------------------------------------------------------
    def wait_done(self) -> None:
        panel = self.panel
        self.qtbot.waitUntil(
            lambda: (panel.refresh() or True) and "✓" in panel.task_status.text(),
            timeout=WAIT_MS,
        )
        assert not panel.task_reason.isVisible()

    def answer_check(self, step: Step) -> None:
        check, box = step.check, self.panel.self_check
        answer = check.answer
        assert box.isVisible() and box.question.text()
        if answer.kind == "choice":
            self.click_in_view(box.choice_buttons[answer.correct])
            assert box.choice_buttons[answer.correct].isChecked()
        else:
            right = answers.expected_text(answer, self.state, self.lessons.ui_facts())
            typed = right if answer.kind == "number" else answer.texts[0]
            self.type_into(box.answer_edit, typed)
        self.click_in_view(box.check_button)
        assert "✓ Correct" in box.feedback.text(), box.feedback.text()

    def run_step(self, index: int) -> None:
        step = self.panel.run.lesson.steps[index]
        self.check_setup(step, index)
        if step.task is not None:
            # ticked on arrival only if the set-up's end state meets it (the set-up passes
            # through states, e.g. a fresh preset's t = 1, that must not count)
            met = all(F.holds(want, self.current(name)) for name, want in step.task.when.items())
            shown = self.panel.task_status.text()
            assert ("✓" in shown) == met and ("Waiting" in shown) != met, (index, shown)
            self.perform(step.task.when)
            self.wait_done()
        if step.check is not None:
            self.answer_check(step)
        QApplication.processEvents()
        self.click(self.panel.next_button)
