"""The built-in lessons: every ``rnnviz/lessons/builtin/*.json``, sorted by file name (Qt-free).

Files are named ``NN-some-id.json``; the number orders the Lessons menu.
They are read with importlib.resources, so they are found inside an
installed package too (the wheel needs ``"rnnviz.lessons" = ["builtin/*.json"]``
in pyproject's package-data). A broken built-in file is a bug: ``lessons()``
raises its LessonError; ``entries()`` lists the files without reading them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from .format import Lesson, loads

FOLDER = "builtin"
_NUMBER = re.compile(r"(\d+)-")


@dataclass(frozen=True)
class Entry:
    """One built-in lesson file."""

    filename: str
    number: int | None  # from the "NN-" prefix of the file name

    def load(self) -> Lesson:
        data = (_folder() / self.filename).read_bytes()
        return loads(data, self.filename, base_dir=_base_dir())


def _folder():
    return resources.files("rnnviz.lessons") / FOLDER


def _base_dir() -> str | None:
    """The folder on disk, for lessons that name a session file next to them."""
    folder = _folder()
    try:
        with resources.as_file(folder) as path:
            return str(path) if path.is_dir() else None
    except (FileNotFoundError, NotImplementedError):
        return None


def entries() -> list[Entry]:
    """The built-in lesson files in menu order (by file name)."""
    folder = _folder()
    if not folder.is_dir():
        return []
    names = sorted(f.name for f in folder.iterdir() if f.name.endswith(".json") and f.is_file())
    out = []
    for name in names:
        m = _NUMBER.match(name)
        out.append(Entry(name, int(m.group(1)) if m else None))
    return out


def lessons() -> list[Lesson]:
    """Every built-in lesson, loaded and checked, in menu order."""
    return [e.load() for e in entries()]


def get(key: str) -> Lesson:
    """A built-in lesson by id or file name; ValueError naming the known ones otherwise."""
    for entry in entries():
        if key == entry.filename:
            return entry.load()
    for lesson in lessons():
        if key == lesson.id:
            return lesson
    known = ", ".join(e.filename for e in entries()) or "none yet"
    raise ValueError(f"no built-in lesson {key!r}; known: {known}")
