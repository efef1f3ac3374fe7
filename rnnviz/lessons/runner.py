"""A lesson in progress on a Session: enter steps, apply set-ups, watch tasks (Qt-free).

Entering a step (Next, Back, Restart) applies its ``setup`` through the
Session's intents, in the documented order: preset or session file, text,
input, model, training settings, σ_max, then the view (phase, cursor, unit,
notation). If any intent is refused, everything the set-up changed is put
back and the problem comes back as one message naming the lesson file, the
step and the key, so the learner's app keeps its state. ``show`` and
``highlight`` are for the UI (which docks to raise); they are not applied here.

A step's task is re-evaluated by the UI whenever the state changes; once it
holds it stays done for that visit (moving the cursor on after "press → until
t = 3" should not take the tick away).
"""

from __future__ import annotations

import os

from . import answers
from . import facts as F
from .format import Lesson, Setup, Step


class SetupError(Exception):
    """One refused intent: (key, reason)."""


def _resolve_cursor(session, cursor) -> int:
    T = session.state.analysis.length
    c = T - 1 if cursor == "last" else (T + cursor if cursor < 0 else cursor)
    if not 0 <= c < T:
        raise SetupError("cursor", f"{cursor} is outside this sequence (T = {T} steps)")
    return c


def _open_session(session, path: str) -> None:
    from ..io.session_file import load_session
    from ..io.session_history import history_from_dict
    from ..session import analyse

    try:
        sf = load_session(path)
        history = history_from_dict(sf.history, sf.current_params)
        analyse(sf.spec, sf.current_params)  # refuse before anything changes
    except (ValueError, OSError) as e:
        raise SetupError("session", f"{os.path.basename(path)}: {e}") from None
    view = sf.view
    if not session.set_spec(sf.spec, path=None, dirty=False, cursor=view.get("cursor", 0)):
        raise SetupError("session", session.state.error)
    if sf.current_params is not None or history:
        session.restore_training(sf.current_params, history, dirty=False)
    session.set_phase(view.get("phase", "forward"))
    session.set_notation(view.get("notation", "xh"))
    session.set_selected_unit(view.get("selected_unit"))


def _apply(session, setup: Setup, base_dir: str | None) -> None:
    """Every intent of ``setup`` in order; SetupError at the first refusal."""
    s = session

    def ok(key: str, accepted: bool) -> None:
        if not accepted:
            raise SetupError(key, s.state.error or "refused")

    if setup.has("preset"):
        ok("preset", s.load_preset(setup.preset))
    if setup.has("session"):
        _open_session(s, os.path.join(base_dir or os.getcwd(), setup.session))
    if setup.has("text"):
        ok("text", s.set_text(setup.text))
    if setup.has("input"):
        ok("input", s.set_input(**setup.input))
    if setup.has("model"):
        ok("model", s.set_model(**setup.model))
    if setup.has("training"):
        ok("training", s.set_training(**setup.training))
    if setup.has("sigma_max"):
        ok("sigma_max", s.scale_recurrent(setup.sigma_max))
    if setup.has("phase"):
        s.set_phase(setup.phase)
    if setup.has("cursor"):
        s.set_cursor(_resolve_cursor(s, setup.cursor))
    if setup.has("unit"):
        H = s.state.analysis.built.params.hidden_size
        if setup.unit is not None and setup.unit >= H:
            raise SetupError("unit", f"there is no unit {setup.unit} (H = {H}: units 0 to {H - 1})")
        s.set_selected_unit(setup.unit)
    if setup.has("notation"):
        s.set_notation(setup.notation)


def _snapshot(state) -> tuple:
    return (
        state.spec,
        state.current_params,
        state.history,
        state.cursor,
        state.phase,
        state.selected_unit,
        state.notation,
        state.path,
        state.dirty,
    )


def _restore(session, snap: tuple) -> None:
    spec, params, history, cursor, phase, unit, notation, path, dirty = snap
    st = session.state
    if st.spec is not spec or st.current_params is not params or st.history is not history:
        session.set_spec(spec, path=path, dirty=dirty, cursor=cursor)
        if params is not None or history:
            session.restore_training(params, history, dirty=dirty)
    session.set_cursor(cursor)
    session.set_phase(phase)
    session.set_selected_unit(unit)
    session.set_notation(notation)
    session.clear_error()


def apply_setup(session, lesson: Lesson, index: int) -> str | None:
    """Apply step ``index``'s set-up; on a refusal put everything back and say why."""
    step = lesson.steps[index]
    if not step.setup.given:
        return None
    session.set_playing(False)  # playback would move the cursor away at once
    snap = _snapshot(session.state)
    try:
        _apply(session, step.setup, lesson.base_dir)
    except SetupError as e:
        key, why = e.args
        _restore(session, snap)
        return (
            f"{lesson.source}, step {index + 1} (“{step.title}”): setup.{key} could not be "
            f"applied: {why}. The app keeps its previous state."
        )
    return None


def rehearse(lesson: Lesson, session=None) -> list[str]:
    """Apply every step's set-up in order on a scratch Session; the problems found."""
    if session is None:
        from ..session import Session

        session = Session()
    problems = [apply_setup(session, lesson, i) for i in range(len(lesson.steps))]
    return [p for p in problems if p]


class LessonRun:
    """Where a learner is in a lesson, on one Session."""

    def __init__(self, session, lesson: Lesson) -> None:
        self.session, self.lesson = session, lesson
        self.index = 0
        self.problem: str | None = None  # the last set-up refusal, shown by the panel
        self.task_done = False

    @property
    def step(self) -> Step:
        return self.lesson.steps[self.index]

    @property
    def count(self) -> int:
        return len(self.lesson.steps)

    @property
    def at_end(self) -> bool:
        return self.index == self.count - 1

    def enter(self, index: int) -> str | None:
        """Go to step ``index`` (clamped) and apply its set-up; the problem, or None."""
        self.index = min(max(int(index), 0), self.count - 1)
        self.problem = apply_setup(self.session, self.lesson, self.index)
        # the set-up passes through states (a fresh preset at t = 1, say) that may meet the
        # task on the way: only what the learner does after it counts
        self.task_done = False
        return self.problem

    def next(self) -> str | None:
        return self.enter(self.index + 1)

    def back(self) -> str | None:
        return self.enter(self.index - 1)

    def restart(self) -> str | None:
        return self.enter(0)

    def needed_facts(self) -> list[str]:
        task = self.step.task
        return list(task.when) if task else []

    def task_status(self, ui=None) -> tuple[bool, list[str]]:
        """(done, unmet reasons) for the current step's task; sticky once done."""
        task = self.step.task
        if task is None:
            return True, []
        state = self.session.state
        values = F.values(state, task.when, ui)
        reasons = F.unmet(task.when, values)
        for name in task.when:
            if values.get(name) is None and name not in F.FACTS and name not in F.UI_FACTS:
                reasons = [F.unavailable(state, name) if r.startswith(name) else r for r in reasons]
        self.task_done = self.task_done or not reasons
        return self.task_done, [] if self.task_done else reasons

    def check(self, given, ui=None) -> answers.Verdict:
        return answers.judge(self.step.check.answer, given, self.session.state, ui)

    def answer_text(self, ui=None) -> str:
        return answers.expected_text(self.step.check.answer, self.session.state, ui)
