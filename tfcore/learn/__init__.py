"""Learning tfcore from the inside: the course's runner and the checker for your own code.

    python -m tfcore                  the course's front door: list the chapters
    python -m tfcore 5                run chapter 5's code, printing as it goes
    python -m tfcore.learn list       the exercises the checker knows, with their signatures
    python -m tfcore.learn check conv2d my_file.py:my_conv2d [--seed S] [--timeout T]
    python -m tfcore.learn grade students/ada/ [--seed S] [--json FILE] [--junit FILE]
    python -m tfcore.learn test [CHAPTER ...]        check the chapters' printed outputs
    python -m tfcore.learn regenerate tfcore/learn/chapters/05_conv.md   (authors) rewrite output blocks

    course.py     the chapter format (```python then ```output), run / check / regenerate
    exercises.py  each exercise: signature, random and adversarial cases (no TensorFlow)
    oracles.py    each exercise's oracle (tf.nn ops, tfcore cells, Attention)
    mistakes.py   the classic mistakes, computed, so a failure can name the one it equals
    checker.py    forward, backward against central differences, backward against the oracle
    sandbox.py    the learner's code in a child process, with a time limit
    grade.py      teacher mode: a folder of solutions, scores as text, JSON and JUnit XML

`check` and `CheckResult` import TensorFlow on first use, so `import tfcore.learn`
(and `python -m tfcore.learn list`) does not.
"""

from typing import TYPE_CHECKING

from tfcore import lazy

# Imported at first use (tfcore/lazy.py), like tfcore's own names: `python -m tfcore`
# reads the chapters through tfcore.learn.course without importing the checker, and so
# without TensorFlow, so the chapter list and usage errors answer at once.
_FROM = {"check": "checker", "CheckResult": "checker", "EXERCISES": "exercises",
         "chapters": "course", "find_chapter": "course", "run_chapter": "course",
         "check_chapter": "course", "regenerate": "course"}

_SUBMODULES = ("course", "exercises", "oracles", "mistakes", "checker", "sandbox", "grade")
__all__ = list(_FROM) + list(_SUBMODULES)

__getattr__, __dir__ = lazy.exports(
    __name__, {name: "tfcore.learn." + module for name, module in _FROM.items()},
    submodules=_SUBMODULES)

if TYPE_CHECKING:  # a type checker runs no __getattr__: it reads the names where they are defined
    from tfcore.learn.checker import CheckResult, check
    from tfcore.learn.course import chapters, check_chapter, find_chapter, regenerate, run_chapter
    from tfcore.learn.exercises import EXERCISES
