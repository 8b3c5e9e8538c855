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

import importlib

# Imported at first use (PEP 562), like tfcore's own names: `python -m tfcore` reads
# the chapters through tfcore.learn.course without importing the checker, and so
# without TensorFlow, so the chapter list and usage errors answer at once.
_FROM = {"check": "checker", "CheckResult": "checker", "EXERCISES": "exercises", "chapters": "course", "find_chapter": "course",
         "run_chapter": "course", "check_chapter": "course", "regenerate": "course"}

__all__ = list(_FROM)


def __getattr__(name):
    if name not in _FROM:
        raise AttributeError("module 'tfcore.learn' has no attribute %r" % name)
    value = getattr(importlib.import_module("tfcore.learn." + _FROM[name]), name)
    globals()[name] = value
    return value
