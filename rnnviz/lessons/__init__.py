"""Guided lessons: data files that walk a learner through the live app (Qt-free).

* ``format``: the lesson file (docs/lessons.md), ``load`` / ``loads`` and the
  frozen ``Lesson`` / ``Step`` / ``Setup`` / ``Task`` / ``Check`` it returns;
* ``facts``: what a task can test, read from the State (``facts``, ``fact``,
  ``holds``, ``unmet``);
* ``answers``: checking a self-check answer against the engine's number;
* ``runner``: a lesson in progress on a Session (enter a step, apply its
  set-up, evaluate its task), and ``rehearse`` to try every set-up once;
* ``library``: the built-in lessons shipped in ``rnnviz/lessons/builtin``.
"""

from ._schema import LessonError
from .format import Lesson, load, loads

__all__ = ["Lesson", "LessonError", "load", "loads"]
