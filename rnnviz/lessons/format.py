"""The lesson file: a strict JSON format a teacher can write by hand (docs/lessons.md).

    {"format": "rnnviz-lesson", "version": 1, "id": "...", "title": "...",
     "summary": "...", "tutorials": [...], "steps": [STEP, ...]}

Each step has a title and text, and optionally a ``setup`` (applied when the
step is entered), a ``task`` (facts the app watches, ``rnnviz.lessons.facts``)
and a ``check`` (a self-check question). ``load(path)`` / ``loads(text,
source)`` return a frozen ``Lesson`` or raise ``LessonError`` whose message
names the file, the place and the problem, e.g.

    lesson.json: steps[2].task.when: unknown fact "cursr" (did you mean "cursor"?)
    lesson.json: line 14, column 3: expected ',' between two items, or a closing bracket

The JSON layer (size limit, UTF-8, duplicate keys, NaN) is rnnviz.io.jsonfile,
shared with session files. This module checks the structure and every value
that can be checked without running a network; ``rnnviz.lessons.runner.rehearse``
then runs every step's set-up once on a scratch session.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..io import jsonfile
from . import facts as F
from . import markup
from ._schema import Checker, LessonError, key_path
from .setup import SETUP_KEYS, Setup, check_setup

__all__ = [
    "SETUP_KEYS",
    "Answer",
    "Check",
    "Lesson",
    "LessonError",
    "Setup",
    "Step",
    "Task",
    "load",
    "loads",
]

FORMAT, VERSION = "rnnviz-lesson", 1
MAX_BYTES = 2**20  # 1 MB
MAX_STEPS = 100
DEFAULT_TOL = 5e-4  # a number answer's tolerance when the file gives none
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Task:
    prompt: str
    when: dict  # fact name -> expectation (rnnviz.lessons.expect)


@dataclass(frozen=True)
class Answer:
    kind: str  # "number" | "choice" | "text"
    fact: str | None = None  # number: read from the engine at check time
    value: float | None = None  # number: a literal
    tol: float = DEFAULT_TOL
    choices: tuple[str, ...] = ()
    correct: int | None = None
    texts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    question: str
    answer: Answer
    hint: str = ""
    explain: str = ""


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    setup: Setup = field(default_factory=Setup)
    task: Task | None = None
    check: Check | None = None


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    tutorials: tuple[str, ...] = ()
    source: str = "lesson.json"  # the name messages start with
    base_dir: str | None = None  # where "session" paths are resolved

    def __len__(self) -> int:
        return len(self.steps)


# -- reading ------------------------------------------------------------------------------------
def load(path: str | os.PathLike) -> Lesson:
    """Read and check a lesson file; every problem is a LessonError naming the file."""
    path = Path(path)
    try:
        data = jsonfile.read_limited(path, MAX_BYTES, "lesson file")
    except jsonfile.JsonFileError as e:
        raise LessonError(f"{path.name}: {e}") from None
    return loads(data, path.name, base_dir=str(path.resolve().parent))


def loads(text: str | bytes, source: str = "lesson.json", base_dir: str | None = None) -> Lesson:
    """Check the lesson in ``text``; ``source`` names it in messages."""
    c = Checker(source)
    try:
        value = jsonfile.loads_strict(text, MAX_BYTES, "lesson file")
    except jsonfile.JsonFileError as e:
        raise LessonError(f"{source}: {e}") from None
    c.scan(value)
    top = c.obj(value, "", ("format", "version", "id", "title", "summary", "steps"), ("tutorials",))
    if top["format"] != FORMAT:
        c.fail("format", f'must be "{FORMAT}", not {top["format"]!r}')
    version = c.integer(top["version"], "version", lo=1)
    if version > VERSION:
        c.fail("version", f"this lesson needs a newer rnnviz (version {version}; this one reads 1)")
    lesson_id = c.text(top["id"], "id", max_len=64)
    if not _ID.fullmatch(lesson_id):
        c.fail("id", f"{lesson_id!r}: use lowercase letters, digits and - (e.g. one-step-by-hand)")
    steps = top["steps"]
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        n = len(steps) if isinstance(steps, list) else "not a list"
        c.fail("steps", f"a lesson has 1 to {MAX_STEPS} steps in a list [...] ({n})")
    tutorials = c.strings(top.get("tutorials", []), "tutorials", min_len=0, max_len=20)
    return Lesson(
        id=lesson_id,
        title=c.text(top["title"], "title", max_len=120),
        summary=c.text(top["summary"], "summary", max_len=400),
        steps=tuple(_step(c, s, f"steps[{i}]", base_dir) for i, s in enumerate(steps)),
        tutorials=tutorials,
        source=source,
        base_dir=base_dir,
    )


def _marked(c: Checker, value, path: str, max_len: int, empty: bool = False) -> str:
    text = c.text(value, path, max_len=max_len, empty=empty)
    problem = markup.check(text)
    if problem:
        c.fail(path, problem)
    return text


def _step(c: Checker, value, path: str, base_dir: str | None) -> Step:
    d = c.obj(value, path, ("title", "text"), ("setup", "task", "check"))
    return Step(
        title=_marked(c, d["title"], key_path(path, "title"), 120),
        text=_marked(c, d["text"], key_path(path, "text"), 10_000),
        setup=check_setup(c, d.get("setup", {}), key_path(path, "setup"), base_dir),
        task=_task(c, d["task"], key_path(path, "task")) if "task" in d else None,
        check=_check(c, d["check"], key_path(path, "check")) if "check" in d else None,
    )


def _task(c: Checker, value, path: str) -> Task:
    d = c.obj(value, path, ("prompt", "when"), ())
    prompt = _marked(c, d["prompt"], key_path(path, "prompt"), 1000)
    when = d["when"]
    wpath = key_path(path, "when")
    if not isinstance(when, dict) or not when:
        c.fail(wpath, 'expected an object of facts, e.g. {"t": 3} (at least one)')
    for name, expect in when.items():
        if not F.known(name):
            c.fail(wpath, F.suggest(name))
        problem = F.check_expect(expect, F.kind_of(name), F.domain(name))
        if problem:
            c.fail(key_path(wpath, name), problem)
    return Task(prompt, dict(when))


def _check(c: Checker, value, path: str) -> Check:
    d = c.obj(value, path, ("question", "answer"), ("hint", "explain"))
    return Check(
        question=_marked(c, d["question"], key_path(path, "question"), 1000),
        answer=_answer(c, d["answer"], key_path(path, "answer")),
        hint=_marked(c, d.get("hint", ""), key_path(path, "hint"), 2000, empty=True),
        explain=_marked(c, d.get("explain", ""), key_path(path, "explain"), 5000, empty=True),
    )


def _answer(c: Checker, value, path: str) -> Answer:
    kinds = ("number", "choice", "text")
    if not isinstance(value, dict) or sum(k in value for k in kinds) != 1:
        c.fail(path, 'expected {"number": ...}, {"choice": [...], "correct": i} or {"text": [...]}')
    if "number" in value:
        d = c.obj(value, path, ("number",), ("tol",))
        tol = c.number(d.get("tol", DEFAULT_TOL), key_path(path, "tol"), positive=True)
        num, npath = d["number"], key_path(path, "number")
        if isinstance(num, dict):
            name = c.obj(num, npath, ("fact",), ())["fact"]
            if not F.known(name):
                c.fail(key_path(npath, "fact"), F.suggest(name))
            if F.kind_of(name) not in ("int", "number"):
                c.fail(key_path(npath, "fact"), f'"{name}" is not a numeric fact')
            return Answer("number", fact=name, tol=tol)
        return Answer("number", value=c.number(num, npath), tol=tol)
    if "choice" in value:
        d = c.obj(value, path, ("choice", "correct"), ())
        choices = c.strings(d["choice"], key_path(path, "choice"), min_len=2, max_len=8)
        if len(set(choices)) != len(choices):
            c.fail(key_path(path, "choice"), "the same choice is listed twice")
        correct = c.integer(d["correct"], key_path(path, "correct"), 0, len(choices) - 1)
        return Answer("choice", choices=choices, correct=correct)
    d = c.obj(value, path, ("text",), ())
    return Answer("text", texts=c.strings(d["text"], key_path(path, "text"), max_len=20))
