"""Teacher mode: grade a student's folder of solutions, as text, JSON and JUnit XML.

    python -m tfcore.learn grade students/ada/ [--seed S] [--json FILE] [--junit FILE] [--timeout T]

The folder holds one file per exercise, `<exercise>.py`, defining a function
named `<exercise>` (`conv2d.py` defines `conv2d`). Each exercise runs on its
random cases, with values drawn from the seed (drawn at run time unless given,
and printed, so a run can be repeated exactly), and on its adversarial cases
(exercises.py). Every case is run, even after a failure:

    score = cases passed / cases          (0 to 1 per exercise; the total is the sum)

A missing file, a file without the function or one that does not parse scores 0
and is named. Each function runs isolated in a child process with its time limit
(sandbox.py); all of them share one TensorFlow start-up.

This module imports no TensorFlow (the checker process does).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import random
import xml.etree.ElementTree as ElementTree
from typing import IO, Any, Callable

from tfcore.learn import sandbox
from tfcore.learn.exercises import EXERCISES, UsageError


@dataclasses.dataclass
class Score:
    """One exercise's grade: `status` is pass, fail, missing, error, timeout, exit or crash."""

    exercise: str
    status: str
    passed: int
    total: int
    message: str = ""

    @property
    def score(self) -> float:
        return round(self.passed / self.total, 4) if self.total else 0.0


def draw_seed() -> int:
    """A fresh seed for hidden cases (from the OS, so two runs do not share it)."""
    return random.SystemRandom().randrange(2 ** 31)


def grade(directory: str | pathlib.Path, seed: int, timeout: float = sandbox.DEFAULT_TIMEOUT,
          verbose: bool = False,
          on_line: Callable[[int, str], object] | None = None) -> list[Score]:
    """Every exercise's `Score` for the solutions in `directory`."""
    directory = pathlib.Path(directory)
    scores: dict[str, Score] = {}
    jobs: list[dict[str, Any]] = []
    for name, spec in EXERCISES.items():
        total = len(spec.all_cases(seed))
        file = directory / ("%s.py" % name)
        if not file.is_file():
            scores[name] = Score(name, "missing", 0, total, "missing file %s" % file)
            continue
        try:
            path = sandbox.find_function(file, name)
        except UsageError as err:
            scores[name] = Score(name, "error", 0, total, str(err))
            continue
        jobs.append({"exercise": name, "file": path, "function": name, "seed": seed, "cases": None,
                     "keep_going": True})
    results = sandbox.run_jobs(jobs, timeout, verbose, on_line) if jobs else []
    for job, result in zip(jobs, results):
        name = job["exercise"]
        total = len(EXERCISES[name].all_cases(seed))
        scores[name] = Score(name, result["status"], result["passed"], total, result["failure"] or "")
    return [scores[name] for name in EXERCISES]


def summary(scores: list[Score], seed: int) -> dict[str, Any]:
    """The report as a dict (what --json writes)."""
    return {"seed": seed, "total": round(sum(s.score for s in scores), 4), "max": len(scores),
            "exercises": {s.exercise: {"score": s.score, "status": s.status, "passed": s.passed,
                                       "cases": s.total, "message": s.message} for s in scores}}


def write_text(scores: list[Score], seed: int, out: IO[str]) -> None:
    """One line per exercise, the first lines of any failure under it, then the total."""
    width = max(len(s.exercise) for s in scores)
    for s in scores:
        out.write("%-*s  %-7s  %2d/%-2d cases  score %.2f\n" % (width, s.exercise, s.status, s.passed,
                                                                 s.total, s.score))
        if s.status != "pass" and s.message:
            lines = s.message.splitlines()
            out.write("".join("    %s\n" % line for line in lines[:4]))
            if len(lines) > 4:
                out.write("    ... (%d more lines: python -m tfcore.learn check %s FILE:%s --seed %d)\n"
                          % (len(lines) - 4, s.exercise, s.exercise, seed))
    out.write("total %.2f / %d (seed %d)\n" % (sum(s.score for s in scores), len(scores), seed))


def write_json(scores: list[Score], seed: int, path: str | pathlib.Path) -> None:
    pathlib.Path(path).write_text(json.dumps(summary(scores, seed), indent=2) + "\n")


def write_junit(scores: list[Score], seed: int, path: str | pathlib.Path) -> None:
    """JUnit XML: one test case per exercise; a missing or wrong one is a failure with its message."""
    failed = [s for s in scores if s.status != "pass"]
    suite = ElementTree.Element("testsuite", name="tfcore.learn grade", tests=str(len(scores)),
                                failures=str(len(failed)), errors="0", skipped="0")
    properties = ElementTree.SubElement(suite, "properties")
    ElementTree.SubElement(properties, "property", name="seed", value=str(seed))
    ElementTree.SubElement(properties, "property", name="total", value="%.4f" % sum(s.score for s in scores))
    for s in scores:
        case = ElementTree.SubElement(suite, "testcase", classname="tfcore.learn.grade", name=s.exercise)
        ElementTree.SubElement(case, "system-out").text = "score %.4f (%d/%d cases)" % (s.score, s.passed, s.total)
        if s.status != "pass":
            first = (s.message.splitlines() or [s.status])[0]
            failure = ElementTree.SubElement(case, "failure", type=s.status, message=first)
            failure.text = s.message
    ElementTree.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
