"""Learning tfcore from the inside: the course's runner and the checker for your own code.

    python -m tfcore                  the course's front door: list the chapters
    python -m tfcore 5                run chapter 5's code, printing as it goes
    python -m tfcore.learn list       the exercises the checker knows, with their signatures
    python -m tfcore.learn check conv2d my_file.py:my_conv2d
    python -m tfcore.learn test [CHAPTER ...]        check the chapters' printed outputs
    python -m tfcore.learn regenerate tfcore/learn/chapters/05_conv.md   (authors) rewrite output blocks

    course.py     the chapter format (```python then ```output), run / check / regenerate
    exercises.py  each exercise: signature, random cases, oracle (tf.nn ops, tfcore cells, Attention)
    checker.py    forward, backward against central differences, backward against the oracle
"""

import importlib

# Imported at first use (PEP 562), like tfcore's own names: `python -m tfcore` reads
# the chapters through tfcore.learn.course without importing the checker, and so
# without TensorFlow, so the chapter list and usage errors answer at once.
_FROM = {"check": "checker", "CheckResult": "checker", "load_function": "checker",
         "EXERCISES": "exercises", "chapters": "course", "find_chapter": "course",
         "run_chapter": "course", "check_chapter": "course", "regenerate": "course"}

__all__ = list(_FROM)


def __getattr__(name):
    if name not in _FROM:
        raise AttributeError("module 'tfcore.learn' has no attribute %r" % name)
    value = getattr(importlib.import_module("tfcore.learn." + _FROM[name]), name)
    globals()[name] = value
    return value
