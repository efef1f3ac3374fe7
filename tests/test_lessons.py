"""Lessons without Qt: the file format, facts read from real sessions, expectations,
answers, the runner that applies set-ups, the built-in library, and a corpus of
broken lesson files that must each be refused with a message naming file and place."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rnnviz import presets
from rnnviz.lessons import LessonError, answers, library, load, loads, markup
from rnnviz.lessons import facts as F
from rnnviz.lessons.runner import LessonRun, apply_setup, rehearse
from rnnviz.session import Session

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "example-lesson.json"
BAD = Path(__file__).parent / "data" / "lessons" / "bad"


def lesson_dict(**step_changes) -> dict:
    step = {"title": "One", "text": "Text.", **step_changes}
    return {
        "format": "rnnviz-lesson",
        "version": 1,
        "id": "t",
        "title": "T",
        "summary": "S",
        "steps": [step],
    }


def lesson_of(*steps: dict, source: str = "mine.json"):
    d = lesson_dict()
    d["steps"] = [{"title": f"Step {i + 1}", "text": "Text.", **s} for i, s in enumerate(steps)]
    return loads(json.dumps(d), source)


@pytest.fixture
def planet() -> Session:
    return Session(presets.get("ai-planet"))


# -- the loader ---------------------------------------------------------------------------------
def test_the_documented_example_loads_and_every_setup_applies():
    lesson = load(EXAMPLE)
    assert lesson.id == "example-first-steps" and 3 <= len(lesson) <= 4
    assert lesson.source == "example-lesson.json"
    assert lesson.steps[0].setup.preset == "ai-planet"
    assert lesson.steps[0].task.when == {"t": 3}
    assert lesson.steps[-1].check.answer.fact == "h[1][0]"
    assert rehearse(lesson) == []


def test_a_minimal_hand_written_lesson_loads_with_defaults():
    lesson = loads(json.dumps(lesson_dict()))
    step = lesson.steps[0]
    assert (step.title, step.text, step.task, step.check) == ("One", "Text.", None, None)
    assert step.setup.given == () and lesson.tutorials == ()


def test_setup_keys_are_kept_in_apply_order_and_null_unit_is_recorded():
    lesson = lesson_of({"setup": {"unit": None, "cursor": "last", "preset": "hello"}})
    setup = lesson.steps[0].setup
    assert setup.given == ("preset", "cursor", "unit")
    assert setup.unit is None and setup.has("unit") and setup.cursor == "last"


def test_a_utf8_bom_is_accepted_and_over_one_megabyte_is_refused():
    text = json.dumps(lesson_dict(), ensure_ascii=False).encode("utf-8")
    assert loads(b"\xef\xbb\xbf" + text).title == "T"
    with pytest.raises(LessonError, match=r"big\.json: .*limited to 1 MB"):
        loads(b" " * (2**20 + 10), "big.json")


def test_an_unreadable_path_names_the_file(tmp_path):
    with pytest.raises(LessonError, match="nothere.json: cannot read"):
        load(tmp_path / "nothere.json")


# the broken corpus: file -> fragments its message must contain (besides the file name)
BROKEN = {
    "unknown_fact.json": ["steps[0].task.when", 'unknown fact "cursr"', 'did you mean "cursor"'],
    "missing_comma.json": ["line 4, column 3", "expected ','"],
    "trailing_comma.json": ["line 13", "no trailing comma"],
    "nan.json": ["steps[0].setup.sigma_max", "NaN"],
    "duplicate_key.json": ["steps[0].title", "written twice"],
    "wrong_format.json": ["format", 'must be "rnnviz-lesson"'],
    "future_version.json": ["version", "newer rnnviz"],
    "missing_steps.json": ['"steps" is missing'],
    "empty_steps.json": ["steps", "1 to 100 steps"],
    "unknown_preset.json": ["steps[0].setup.preset", "unknown preset", '"ai-planet"'],
    "unknown_top_key.json": ["titel", 'did you mean "title"'],
    "unknown_setup_key.json": ["steps[0].setup.cursur", 'did you mean "cursor"'],
    "bad_phase.json": ["steps[1].setup.phase", 'did you mean "backward"'],
    "bad_cursor_string.json": ["steps[0].setup.cursor", 'whole number or "last"'],
    "bad_panel.json": ["steps[0].setup.show", "unknown panel", 'did you mean "math"'],
    "html_in_text.json": ["steps[0].text", "HTML", "**bold**"],
    "unclosed_bold.json": ["steps[0].text", "bold", "not closed"],
    "bad_indexed_fact.json": ["steps[0].task.when", '"h[1]"', "h[t][unit]"],
    "expect_unknown_operator.json": ["steps[0].task.when.t", "exactly one of", "atleast"],
    "expect_number_on_text_fact.json": ["steps[0].task.when.phase", "numeric fact"],
    "expect_impossible_value.json": ["steps[0].task.when.phase", "not a possible value"],
    "expect_tol_without_near.json": ["steps[0].task.when.t", '"tol" goes only with "near"'],
    "choice_out_of_range.json": ["steps[2].check.answer.correct", "from 0 to 2"],
    "answer_fact_not_numeric.json": ["steps[2].check.answer.number.fact", "not a numeric"],
    "answer_two_kinds.json": ["steps[2].check.answer", '{"number": ...}'],
    "top_level_list.json": ["expected an object", "found a list"],
    "empty.json": ["the file is empty"],
    "truncated.json": ["truncated?"],
    "missing_prompt.json": ["steps[0].task", '"prompt" is missing'],
    "bool_unit.json": ["steps[0].setup.unit", "whole number"],
    "preset_and_session.json": ["steps[0].setup", "not both"],
    "missing_session_file.json": ["steps[0].setup.session", "no file 'no-such-session.json'"],
    "model_unknown_key.json": ["steps[1].setup.model.hiden_size", '"hidden_size"'],
    "bad_id.json": ["id", "lowercase letters"],
    "non_utf8.json": ["line 10", "not UTF-8"],
    "negative_sigma_max.json": ["steps[0].setup.sigma_max", "> 0"],
    "zero_hidden_size.json": ["steps[1].setup.model.hidden_size", "from 1 to 512"],
    "empty_title.json": ["steps[1].title", "is empty"],
    "text_answer_not_list.json": ["steps[2].check.answer.text", "list of texts"],
    "step_not_object.json": ["steps[3]", "expected an object"],
}


def test_the_broken_corpus_is_complete():
    files = sorted(p.name for p in BAD.glob("*.json"))
    assert len(files) >= 20
    assert files == sorted(BROKEN)  # every file has its expected message, and vice versa


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_lesson_is_refused_naming_file_and_place(name):
    with pytest.raises(LessonError) as info:
        load(BAD / name)
    message = str(info.value)
    assert message.startswith(f"{name}: ")
    for fragment in BROKEN[name]:
        assert fragment in message, message
    assert "Traceback" not in message and "\n" not in message


# -- facts on real sessions ---------------------------------------------------------------------
def test_ai_planet_facts_are_the_engines_numbers(planet):
    f = F.facts(planet.state)
    assert abs(F.fact(planet.state, "h[1][0]") - 0.44624361) < 1e-8
    assert abs(F.fact(planet.state, "h[1][1]") - 0.64107696) < 1e-8
    assert abs(F.fact(planet.state, "z[1][0]") - 0.48) < 1e-12
    assert (f["cursor"], f["t"], f["length"], f["token_count"]) == (0, 1, 9, 9)
    assert (f["preset"], f["hidden_size"], f["embedding_size"], f["vocab_size"]) == (
        "ai-planet", 2, 3, 10
    )  # fmt: skip
    trace = planet.state.analysis.trace
    assert f["total_loss"] == trace.loss and f["prediction"] == "positive"
    assert f["dh_first"] == trace.dh_norms[0] and f["dh_last"] == trace.dh_norms[-1]
    assert f["dh_ratio"] == pytest.approx(trace.dh_norms[0] / trace.dh_norms[-1], rel=1e-12)
    assert F.fact(planet.state, "dh[9]") == f["dh_last"]
    assert F.fact(planet.state, "h[-1][1]") == trace.hs[-1, 1]
    assert F.fact(planet.state, "y[9][1]") == trace.ys[8, 1]
    assert F.fact(planet.state, "loss[9]") == trace.step_losses[8]
    assert f["sigma_max"] == pytest.approx(np.linalg.svd(trace.params.W_hh)[1][0])
    assert (f["generated"], f["trained_steps"], f["training"]) == (0, 0, "idle")
    assert set(f) == set(F.FACTS)


def test_facts_follow_the_cursor_text_and_phase(planet):
    planet.set_cursor(2)
    planet.set_phase("backward")
    assert F.values(planet.state, ["cursor", "t", "phase"]) == {
        "cursor": 2, "t": 3, "phase": "backward"
    }  # fmt: skip
    assert F.fact(planet.state, "unk_count") == 0
    planet.set_text("AI Planet rocks and rolls")
    assert F.fact(planet.state, "unk_count") == 2  # "rocks", "rolls"
    assert F.fact(planet.state, "text") == "AI Planet rocks and rolls"


def test_unavailable_facts_are_none_and_unknown_names_are_refused(planet):
    assert F.fact(planet.state, "h[10][0]") is None  # T = 9
    assert F.fact(planet.state, "h[1][5]") is None  # H = 2
    assert "T = 9" in F.unavailable(planet.state, "h[10][0]")
    with pytest.raises(ValueError, match='did you mean "cursor"'):
        F.fact(planet.state, "cursr")
    planet.set_input(label=None)
    assert F.fact(planet.state, "total_loss") is None and F.fact(planet.state, "prediction") is None


def test_ui_facts_come_from_the_ui_mapping(planet):
    ui = {"lab_threshold": 1.0, "visible": ["math", "diagram"]}
    assert F.fact(planet.state, "lab_threshold", ui) == 1.0
    assert F.fact(planet.state, "lab_steps_run", ui) is None
    assert F.holds({"contains": "math"}, F.fact(planet.state, "visible", ui))


# -- expectations -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expect", "value", "ok"),
    [
        (3, 3, True),
        (3, 4, False),
        (0.1 + 0.2, 0.3, True),  # 1e-9 relative
        (1.0, 1.001, False),
        ("backward", "backward", True),
        (True, 1, False),
        (None, None, True),
        (3, None, False),
        ({"at_least": 50}, 50, True),
        ({"at_least": 50}, 49, False),
        ({"at_most": 1}, 0.5, True),
        ({"at_most": 1}, float("nan"), False),
        ({"near": 1.0, "tol": 0.1}, 1.09, True),
        ({"near": 1.0, "tol": 0.1}, 1.2, False),
        ({"one_of": ["value", "norm"]}, "norm", True),
        ({"one_of": ["value", "norm"]}, "off", False),
        ({"contains": "not"}, "this movie is not good", True),
        ({"contains": "no clipping"}, ["no clipping"], True),
        ({"contains": "math"}, ["diagram"], False),
        ({"at_least": 1}, None, False),
    ],
)
def test_holds(expect, value, ok):
    assert F.holds(expect, value) is ok


def test_unmet_reasons_speak_the_learners_terms():
    when = {
        "t": 3,
        "cursor": {"at_least": 4},
        "phase": "backward",
        "trained_steps": {"at_least": 50},
    }
    reasons = F.unmet(when, {"t": 1, "cursor": 0, "phase": "forward", "trained_steps": 0})
    assert reasons == [
        "cursor is at t = 1, want t = 3",
        "cursor is at t = 1, want t ≥ 5",
        "phase is forward, want backward",
        "training steps done is 0, want ≥ 50",
    ]
    assert F.unmet(when, {"t": 3, "cursor": 4, "phase": "backward", "trained_steps": 60}) == []
    # units are numbered from 1 on screen, so the status line does too
    assert F.unmet({"selected_unit": 0}, {"selected_unit": 1}) == ["selected unit is 2, want 1"]
    assert F.unmet({"selected_unit": 1}, {"selected_unit": None}) == [
        "selected unit is none, want 2"
    ]


# -- answers ------------------------------------------------------------------------------------
def test_a_number_answer_is_read_from_the_engine_at_check_time(planet):
    answer = load(EXAMPLE).steps[-1].check.answer
    for typed in ("0.4462", "0,4462", " 0.44624 ", "0.4466"):
        assert answers.judge(answer, typed, planet.state).correct, typed
    assert not answers.judge(answer, "0.4470", planet.state).correct
    assert "not a number" in answers.judge(answer, "zero point four", planet.state).message
    assert answers.expected_text(answer, planet.state) == "0.4462"
    planet.set_model(seed=5)  # the weights are the tutorial's: unchanged; now rescale W_xh:
    planet.scale_recurrent(2.0)
    planet.set_text("Planet AI")  # h_1 now comes from "Planet": the expected value follows
    assert (
        answers.expected_text(answer, planet.state) == f"{planet.state.analysis.trace.hs[0, 0]:.4f}"
    )


def test_choice_text_and_literal_answers(planet):
    steps = lesson_of(
        {"check": {"question": "?", "answer": {"choice": ["a", "b"], "correct": 1}}},
        {"check": {"question": "?", "answer": {"text": ["<unk>", "unk"]}}},
        {"check": {"question": "?", "answer": {"number": -0.5, "tol": 0.01}}},
    ).steps
    choice, text, number = (s.check.answer for s in steps)
    assert answers.judge(choice, 1, planet.state).correct
    assert not answers.judge(choice, 0, planet.state).correct
    assert "Choose" in answers.judge(choice, None, planet.state).message
    assert answers.judge(text, "  UNK ", planet.state).correct
    assert not answers.judge(text, "unknown", planet.state).correct
    assert answers.judge(number, "−0.5", planet.state).correct  # unicode minus
    assert answers.parse_number("1e-3") == 0.001 and answers.parse_number("1.2.3") is None


# -- the runner ---------------------------------------------------------------------------------
def test_entering_steps_applies_their_setups_in_order(planet):
    lesson = lesson_of(
        {"setup": {"preset": "hello", "phase": "backward", "cursor": "last", "unit": 1}},
        {"setup": {"preset": "ai-planet", "cursor": -2, "notation": "uvw"}},
        {"setup": {"text": "AI Planet", "model": {"activation": "relu"}, "sigma_max": 1.5}},
    )
    run = LessonRun(planet, lesson)
    st = planet.state
    assert run.enter(0) is None
    assert (F.fact(st, "preset"), st.phase, st.cursor, st.selected_unit) == (
        "hello", "backward", st.analysis.length - 1, 1
    )  # fmt: skip
    assert run.next() is None
    assert (F.fact(st, "preset"), st.cursor, st.notation) == ("ai-planet", 7, "uvw")
    assert run.next() is None
    assert (st.spec.text, F.fact(st, "activation")) == ("AI Planet", "relu")
    assert F.fact(st, "sigma_max") == pytest.approx(1.5)
    assert run.back() is None and st.spec.text.startswith("AI Planet Bootcamps")
    assert run.restart() is None and F.fact(st, "preset") == "hello"


def test_a_refused_setup_names_file_and_step_and_keeps_the_state(planet):
    planet.set_cursor(3)
    planet.set_phase("backward")
    before = (planet.state.spec, planet.state.analysis, planet.state.cursor, planet.state.phase)
    lesson = lesson_of(
        {"setup": {"preset": "sentiment", "cursor": 0, "input": {"label": "neutral"}}},
        {"setup": {"cursor": 40}},
        {"setup": {"preset": "hello", "unit": 7}},
        source="class.json",
    )
    problem = apply_setup(planet, lesson, 0)
    assert problem.startswith("class.json, step 1 (“Step 1”): setup.input")
    assert "keeps its previous state" in problem
    assert planet.state.spec is before[0] or planet.state.spec == before[0]
    assert (planet.state.cursor, planet.state.phase, planet.state.error) == (3, "backward", None)
    assert "setup.cursor" in apply_setup(planet, lesson, 1) and "T = 9" in apply_setup(
        planet, lesson, 1
    )
    assert "no unit 7" in apply_setup(planet, lesson, 2)
    assert F.fact(planet.state, "preset") == "ai-planet" and planet.state.cursor == 3
    assert len(rehearse(lesson)) == 3


def test_a_task_is_live_and_stays_done_once_met(planet):
    run = LessonRun(planet, load(EXAMPLE))
    run.enter(0)
    assert run.task_status() == (False, ["cursor is at t = 1, want t = 3"])
    planet.set_cursor(2)
    assert run.task_status() == (True, [])
    planet.set_cursor(5)
    assert run.task_status() == (True, [])  # moving on does not take the tick away
    run.enter(0)
    assert run.task_status()[0] is False  # a new visit starts again
    run.enter(1)
    assert run.task_status() == (True, [])  # no task: nothing to wait for


def test_a_session_file_setup_is_resolved_next_to_the_lesson(tmp_path, planet):
    from rnnviz.io import SessionFile, save_session

    save_session(tmp_path / "mine.rnnviz.json", SessionFile(presets.get("sentiment")))
    d = lesson_dict(setup={"session": "mine.rnnviz.json", "cursor": "last"})
    (tmp_path / "l.json").write_text(json.dumps(d), encoding="utf-8")
    lesson = load(tmp_path / "l.json")
    assert apply_setup(planet, lesson, 0) is None
    assert planet.state.spec.text == presets.get("sentiment").text


# -- markup -------------------------------------------------------------------------------------
def test_markup_escapes_everything_but_bold_and_code():
    html = markup.to_html("The **vocabulary** has `<unk>` & h₁.\n\nNew <paragraph>.")
    assert "<b>vocabulary</b>" in html and "&lt;unk&gt;" in html and "&amp;" in html
    assert html.count("<p ") == 2 and "&lt;paragraph&gt;" in html
    assert markup.check("fine **bold** `co**de`") is None
    assert markup.to_plain("**a** `b`") == "a b"


# -- the library --------------------------------------------------------------------------------
def test_the_library_lists_builtin_files_sorted_by_name():
    entries = library.entries()
    names = [e.filename for e in entries]
    assert names == sorted(names)
    assert all(n.endswith(".json") for n in names)
    with pytest.raises(ValueError, match="no built-in lesson 'nope'"):
        library.get("nope")


@pytest.mark.parametrize("entry", library.entries(), ids=lambda e: e.filename)
def test_every_builtin_lesson_loads_and_its_setups_apply(entry):
    lesson = entry.load()
    assert lesson.source == entry.filename
    assert rehearse(lesson) == []
    assert lesson.steps[-1].check is not None  # every built-in lesson ends with a self-check
