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

from tfcore.learn.checker import CheckResult, check, load_function
from tfcore.learn.course import check_chapter, chapters, find_chapter, regenerate, run_chapter
from tfcore.learn.exercises import EXERCISES

__all__ = ["check", "CheckResult", "load_function", "EXERCISES", "chapters", "find_chapter",
           "run_chapter", "check_chapter", "regenerate"]
