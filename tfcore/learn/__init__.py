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

from tfcore import lazy

# Loaded on first use (tfcore/lazy.py): `python -m tfcore.learn` sets up its process
# (tfcore.quiet) before TensorFlow is imported.
_NAMES = dict(
    {name: "tfcore.learn.checker" for name in ("CheckResult", "check", "load_function")},
    **{name: "tfcore.learn.course" for name in (
        "check_chapter", "chapters", "find_chapter", "regenerate", "run_chapter")},
    EXERCISES="tfcore.learn.exercises")

__all__ = ["check", "CheckResult", "load_function", "EXERCISES", "chapters", "find_chapter",
           "run_chapter", "check_chapter", "regenerate"]

__getattr__, __dir__ = lazy.exports(__name__, _NAMES)
